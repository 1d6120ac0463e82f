"""``vibration``: an SW-420-style vibration switch on one GPIO, with pulse counting.

A *pulse* is the input going HIGH (the switch opening under vibration, the pull-up on),
after debouncing. The sensor triggers when ``pulse_count`` pulses arrive within
``pulse_window`` seconds. It releases once ``pulse_window`` seconds pass without a new
pulse while the input is at rest (LOW) - so it always releases, whatever
``pulse_count`` is. Pulses while triggered keep it triggered.
"""

from __future__ import annotations

import collections
import threading
import time
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
        "pulse_count": {
            "type": "integer", "minimum": 1, "maximum": 20, "default": 1,
            "title": "Pulse threshold",
            "description": "Pulses needed within the window to trigger.",
        },
        "pulse_window": {
            "type": "number", "minimum": 0.1, "maximum": 30, "default": 5,
            "title": "Pulse window", "x-unit": "s",
            "description": "Seconds in which the pulses must arrive; also the quiet time "
                           "after the last pulse before the sensor releases.",
        },
        "bounce_time": bounce_time_property(
            0.05, description="Chatter within this many seconds counts as one pulse."),
    },
    "additionalProperties": False,
}


class VibrationSensor(DigitalInputSensor):
    """Triggers on ``pulse_count`` pulses within ``pulse_window``; releases after a quiet window."""

    def __init__(self, device: Any, emit: Emit, *, pulse_count: int, pulse_window: float,
                 bounce_time: float) -> None:
        self._lock = threading.Lock()
        self._pulse_count = pulse_count
        self._pulse_window = pulse_window
        self._pulses: collections.deque[float] = collections.deque()
        self._triggered = False
        self._quiet = Countdown(self._quiet_for_a_window, name="seccam-vibration-quiet")
        super().__init__(device, emit, bounce_time=bounce_time)

    def on_level(self, active: bool) -> None:
        if active:
            return  # back at rest; the quiet countdown decides the release
        now = time.monotonic()
        with self._lock:
            self._quiet.start(self._pulse_window)
            if self._triggered:
                return
            self._pulses.append(now)
            while self._pulses and now - self._pulses[0] > self._pulse_window:
                self._pulses.popleft()
            if len(self._pulses) >= self._pulse_count:
                self._pulses.clear()
                self._triggered = True
                self.emit("trigger")

    def _quiet_for_a_window(self) -> None:
        with self._lock:
            if not self._triggered:
                return
            if not self.active:  # still HIGH: vibrating without pause; look again later
                self._quiet.start(self._pulse_window)
                return
            self._triggered = False
            self.emit("release")

    def close(self) -> None:
        self._quiet.close()
        super().close()


def pulse_counter(device: Any, emit: Emit, calibration: Mapping[str, Any]) -> VibrationSensor:
    """With the pull-up, counting HIGH pulses."""
    return VibrationSensor(device, emit, pulse_count=calibration["pulse_count"],
                           pulse_window=calibration["pulse_window"],
                           bounce_time=calibration["bounce_time"])


VIBRATION = SensorType(
    name="vibration",
    label="Vibration sensor",
    device_class="vibration",
    factory=digital_input_factory(pulse_counter, pull_up=True),
    default_gpio=5,
    module="SW-420 / KY-002",
    description="Spring or ball vibration switch: triggers on knocks and shaking.",
    use_case="Windows (glass break), safes, doors that get forced.",
    wiring=(
        WiringPin("VCC (+)", "3V3 (header pin 17)", "power"),
        WiringPin("GND (-)", "GND (header pin 14)", "ground"),
        WiringPin("DO (S)", "GPIO 5 (header pin 29)", "signal"),
    ),
    wiring_note="Power the module from 3V3 (its output then stays at 3.3 V). Turn the "
                "sensitivity pot until tapping the mount lights the DO LED; use "
                "pulse_count to ignore single bumps.",
    calibration_schema=CALIBRATION_SCHEMA,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The vibration sensor."""
    return [VIBRATION]
