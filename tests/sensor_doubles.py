"""Sensor types for the core's tests (the real sensor plugins are not installed in the core env).

``test_door`` is a reed-like input on a gpiozero mock pin; ``test_pinless`` has no pin
and is fired by the test; ``test_broken`` fails to start like a device that is gone.
"""

from __future__ import annotations

from gpiozero import DigitalInputDevice

from seccam_core import hookimpl
from seccam_core.sensing.digital_input import LevelSensor
from seccam_core.sensing.types import Emit, LiveSensor, SensorConfig, SensorType, WiringPin

DOOR_PIN = 22

DOOR_SCHEMA = {
    "type": "object",
    "properties": {
        "bounce_time": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
        "sensitivity": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
    },
    "additionalProperties": False,
}


def build_door(config: SensorConfig, emit: Emit) -> LevelSensor:
    device = DigitalInputDevice(config.gpio, pull_up=True, pin_factory=config.pin_factory)
    return LevelSensor(device, emit, bounce_time=config.calibration["bounce_time"],
                       trigger_when_active=False)


class PinlessSensor(LiveSensor):
    """Fired by the test: ``fire("trigger")``, ``fire("error", "device gone")``."""

    def __init__(self, emit: Emit) -> None:
        self.fire = emit
        self.closed = False

    @property
    def raw_value(self) -> bool | None:
        return None

    def close(self) -> None:
        self.closed = True


def build_broken(config: SensorConfig, emit: Emit) -> LiveSensor:
    raise OSError("device not found")


TEST_DOOR = SensorType(
    name="test_door", label="Test door", factory=build_door, default_gpio=DOOR_PIN,
    wiring=(WiringPin("S", "GPIO 22"),), calibration_schema=DOOR_SCHEMA,
)
TEST_PINLESS = SensorType(
    name="test_pinless", label="Test pinless",
    factory=lambda config, emit: PinlessSensor(emit), uses_gpio=False,
)
TEST_BROKEN = SensorType(name="test_broken", label="Test broken", factory=build_broken,
                         default_gpio=6)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The test types."""
    return [TEST_DOOR, TEST_PINLESS, TEST_BROKEN]
