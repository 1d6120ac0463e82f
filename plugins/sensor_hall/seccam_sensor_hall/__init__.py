"""``hall_digital``: an A3144-style digital hall-effect switch on one GPIO.

The A3144 has an open-collector output: it pulls the pin LOW while a magnet's south pole
is near (*active* in gpiozero's terms, with the pull-up on) and lets it float HIGH
otherwise. By default the magnet arriving is the trigger; for a door with the magnet on
the leaf (magnet present = closed), set ``invert_logic`` so that the magnet leaving
triggers instead.
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
            "description": "Edges within this many seconds of a reported one are ignored "
                           "(a magnet at the edge of the sensor's range chatters).",
        },
    },
    "additionalProperties": False,
}


def build(config: SensorConfig, emit: Emit) -> LevelSensor:
    """A debounced input with the pull-up: LOW (magnet present) triggers."""
    device = DigitalInputDevice(config.gpio, pull_up=True, pin_factory=config.pin_factory)
    try:
        return LevelSensor(device, emit, bounce_time=config.calibration["bounce_time"],
                           trigger_when_active=True)
    except Exception:
        device.close()
        raise


HALL_DIGITAL = SensorType(
    name="hall_digital",
    label="Hall sensor (digital)",
    factory=build,
    default_gpio=13,
    module="A3144 / KY-003",
    description="Magnetic field switch: triggers when a magnet comes near (active-low).",
    use_case="Doors and gates with a magnet, rotating parts, lids.",
    wiring=(
        WiringPin("VCC (+)", "3V3 (header pin 17)", "power"),
        WiringPin("GND (-)", "GND (header pin 14)", "ground"),
        WiringPin("OUT (S / DO)", "GPIO 13 (header pin 33)", "signal"),
    ),
    wiring_note="Power it from 3V3 so the output never exceeds 3.3 V; the output is open "
                "collector and uses the Pi's internal pull-up. Active-low: set "
                "invert_logic to trigger when the magnet goes away.",
    calibration_schema=CALIBRATION_SCHEMA,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The digital hall sensor."""
    return [HALL_DIGITAL]
