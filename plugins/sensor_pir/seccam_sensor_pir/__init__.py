"""``pir``: an HC-SR501-style passive infrared motion sensor on one GPIO.

The module drives its output HIGH while it sees motion. After power-up it needs a
warm-up (about a minute) during which its output is meaningless: the sensor is not
*armed* and edges are ignored until ``warmup_seconds`` have passed. Re-triggering: the
output often drops for a moment between two detections of the same movement; a release
is only reported once the output has stayed LOW for ``retrigger_seconds``, and motion
inside that gap continues the same trigger.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from seccam_core import (
    Countdown,
    DigitalInputSensor,
    Emit,
    SensorType,
    WiringPin,
    bounce_time_property,
    digital_input_factory,
    hookimpl,
)

CALIBRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "warmup_seconds": {
            "type": "number", "minimum": 0, "maximum": 300, "default": 60,
            "title": "Warm-up", "x-unit": "s",
            "description": "Seconds after start during which the sensor is not armed.",
        },
        "retrigger_seconds": {
            "type": "number", "minimum": 0, "maximum": 60, "default": 2,
            "title": "Re-trigger gap", "x-unit": "s",
            "description": "The output must stay LOW this long before a release is "
                           "reported; motion inside the gap continues the trigger.",
        },
        "bounce_time": bounce_time_property(0),
    },
    "additionalProperties": False,
}


class PirSensor(DigitalInputSensor):
    """Motion (HIGH) triggers once armed; release after ``retrigger_seconds`` of LOW."""

    def __init__(self, device: Any, emit: Emit, *, warmup_seconds: float,
                 retrigger_seconds: float, bounce_time: float) -> None:
        self._lock = threading.Lock()
        self._armed = warmup_seconds <= 0
        self._motion = False
        self._retrigger_seconds = retrigger_seconds
        self._quiet = Countdown(self._quiet_long_enough, name="seccam-pir-retrigger")
        self._warmup = Countdown(self._warmed_up, name="seccam-pir-warmup")
        super().__init__(device, emit, bounce_time=bounce_time)
        if not self._armed:
            self._warmup.start(warmup_seconds)

    @property
    def armed(self) -> bool:
        return self._armed

    def on_level(self, active: bool) -> None:
        with self._lock:
            if not self._armed:
                return
            if active:
                self._quiet.cancel()
                if not self._motion:
                    self._motion = True
                    self.emit("trigger")
            elif self._motion:
                if self._retrigger_seconds > 0:
                    self._quiet.start(self._retrigger_seconds)
                else:
                    self._motion = False
                    self.emit("release")

    def _quiet_long_enough(self) -> None:
        with self._lock:
            if self._motion and not self.active:
                self._motion = False
                self.emit("release")

    def _warmed_up(self) -> None:
        with self._lock:
            self._armed = True
            self.emit("ready")

    def close(self) -> None:
        self._warmup.close()
        self._quiet.close()
        super().close()


def motion_sensor(device: Any, emit: Emit, calibration: Mapping[str, Any]) -> PirSensor:
    """The module drives its output (no pull), active HIGH."""
    return PirSensor(device, emit, warmup_seconds=calibration["warmup_seconds"],
                     retrigger_seconds=calibration["retrigger_seconds"],
                     bounce_time=calibration["bounce_time"])


PIR = SensorType(
    name="pir",
    label="PIR motion sensor",
    device_class="motion",
    factory=digital_input_factory(motion_sensor, pull_up=None, active_state=True),
    default_gpio=17,
    module="HC-SR501",
    description="Passive infrared motion detector: triggers on movement of warm bodies.",
    use_case="Rooms, hallways, entrances.",
    wiring=(
        WiringPin("VCC", "5V (header pin 2)", "power"),
        WiringPin("GND", "GND (header pin 6)", "ground"),
        WiringPin("OUT", "GPIO 17 (header pin 11)", "signal"),
    ),
    wiring_note="The HC-SR501 is powered from 5 V but its OUT pin is 3.3 V, safe for a GPIO. "
                "Set the jumper to H (repeatable trigger); turn the time pot fully "
                "anticlockwise (shortest output) and let hold_seconds do the holding.",
    calibration_schema=CALIBRATION_SCHEMA,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The PIR motion sensor."""
    return [PIR]
