"""``hall_digital``: an A3144-style digital hall-effect switch on one GPIO.

The A3144 has an open-collector output: it pulls the pin LOW while a magnet's south pole
is near (*active* in gpiozero's terms, with the pull-up on) and lets it float HIGH
otherwise. By default the magnet arriving is the trigger; for a door with the magnet on
the leaf (magnet present = closed), set ``invert_logic`` so that the magnet leaving
triggers instead.
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
            0.05, description="Edges within this many seconds of a reported one are ignored "
                              "(a magnet at the edge of the sensor's range chatters)."),
    },
    "additionalProperties": False,
}


def magnet_switch(device: Any, emit: Emit, calibration: Mapping[str, Any]) -> LevelSensor:
    """With the pull-up, LOW (magnet present: *active*) triggers."""
    return LevelSensor(device, emit, bounce_time=calibration["bounce_time"],
                       trigger_when_active=True)


HALL_DIGITAL = SensorType(
    name="hall_digital",
    label="Hall sensor (digital)",
    device_class="opening",
    factory=digital_input_factory(magnet_switch, pull_up=True),
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
