"""Sensor types for the core's tests (the real sensor plugins are not installed in the core env).

``test_door`` is a reed-like input on a gpiozero mock pin; ``test_pinless`` has no pin
and is fired by the test; ``test_broken`` fails to start like a device that is gone;
``test_range`` uses two pins (a second one in its calibration) and measures a distance.
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
        "sensitivity": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
        "bounce_time": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
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


class RangeSensor(LiveSensor):
    """Two pins (trigger and echo), like an ultrasonic distance sensor; it measures."""

    def __init__(self, trigger: DigitalInputDevice, echo: DigitalInputDevice) -> None:
        self.devices = (trigger, echo)

    @property
    def raw_value(self) -> bool | None:
        return bool(self.devices[1].value)

    @property
    def measurement(self) -> dict[str, float]:
        return {"distance_cm": 42.0}

    def close(self) -> None:
        for device in self.devices:
            device.close()


def build_range(config: SensorConfig, emit: Emit) -> RangeSensor:
    trigger = DigitalInputDevice(config.gpio, pin_factory=config.pin_factory)
    try:
        echo = DigitalInputDevice(config.calibration["echo_gpio"],
                                  pin_factory=config.pin_factory)
    except Exception:
        trigger.close()
        raise
    return RangeSensor(trigger, echo)


def check_range(config) -> list[str]:
    if config["calibration"]["echo_gpio"] == config["gpio"]:
        return ["calibration.echo_gpio: must differ from gpio"]
    return []


TEST_RANGE = SensorType(
    name="test_range", label="Test range", factory=build_range, default_gpio=5,
    calibration_schema={"type": "object", "properties": {
        "echo_gpio": {"type": "integer", "minimum": 0, "maximum": 27, "default": 6}},
        "additionalProperties": False},
    pin_keys=("echo_gpio",), validate=check_range,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The test types."""
    return [TEST_DOOR, TEST_PINLESS, TEST_BROKEN, TEST_RANGE]
