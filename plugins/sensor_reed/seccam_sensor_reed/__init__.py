"""``reed_switch``: a door or window magnet contact, read on one GPIO with the pull-up on.

The magnet holds the contact closed, pulling the pin LOW (*active* in gpiozero's terms).
Opening the door takes the magnet away, the contact opens and the pull-up brings the pin
HIGH: that is the trigger. Closing the door again is the release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seccam_core import (
    Emit,
    LevelSensor,
    SensorType,
    WiringPin,
    bounce_time_property,
    digital_input_factory,
    hookimpl,
)

CALIBRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "bounce_time": bounce_time_property(
            0.05, description="Edges within this many seconds of a reported one are contact "
                              "bounce; the level the contact settles on is still reported."),
    },
    "additionalProperties": False,
}


def door_contact(device: Any, emit: Emit, calibration: Mapping[str, Any]) -> LevelSensor:
    """With the internal pull-up, HIGH (door open: *inactive*) triggers."""
    return LevelSensor(device, emit, bounce_time=calibration["bounce_time"],
                       trigger_when_active=False)


REED_SWITCH = SensorType(
    name="reed_switch",
    label="Reed switch",
    device_class="door",
    factory=digital_input_factory(door_contact, pull_up=True),
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
