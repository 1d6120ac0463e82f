"""``reed_switch``: a door or window magnet contact, read on one GPIO with the pull-up on.

The magnet holds the contact closed, pulling the pin LOW (*active* in gpiozero's terms).
Opening the door takes the magnet away, the contact opens and the pull-up brings the pin
HIGH: that is the trigger. Closing the door again is the release.
"""

from __future__ import annotations

from typing import Any

from gpiozero import DigitalInputDevice

from seccam_core import hookimpl
from seccam_core.digital_input import LevelSensor
from seccam_core.sensors import Emit, SensorConfig, SensorType, WiringPin

CALIBRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "bounce_time": {
            "type": "number", "minimum": 0, "maximum": 1, "default": 0.05,
            "title": "Debounce", "x-unit": "s",
            "description": "Edges within this many seconds of a reported one are contact "
                           "bounce; the level the contact settles on is still reported.",
        },
    },
    "additionalProperties": False,
}


def build(config: SensorConfig, emit: Emit) -> LevelSensor:
    """A debounced input with the internal pull-up: HIGH (door open) triggers."""
    device = DigitalInputDevice(config.gpio, pull_up=True, pin_factory=config.pin_factory)
    try:
        return LevelSensor(device, emit, bounce_time=config.calibration["bounce_time"],
                           trigger_when_active=False)
    except Exception:
        device.close()
        raise


REED_SWITCH = SensorType(
    name="reed_switch",
    label="Reed switch",
    factory=build,
    default_gpio=22,
    module="KY-025 / MC-38",
    description="Magnetic door or window contact: triggers when the magnet moves away.",
    use_case="Doors, windows, drawers, letter boxes.",
    wiring=(
        WiringPin("wire 1 (COM) / DO", "GPIO 22 (header pin 15)", "signal"),
        WiringPin("wire 2 / GND", "GND (header pin 14)", "ground"),
        WiringPin("+ (modules only)", "3V3 (header pin 17)", "power"),
    ),
    wiring_note="A bare two-wire contact needs no power: one wire to the GPIO, one to "
                "GND; the internal pull-up is switched on. Never connect 5 V to a GPIO.",
    calibration_schema=CALIBRATION_SCHEMA,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The reed switch."""
    return [REED_SWITCH]
