"""``light_gate``: an infrared light gate (KY-010 photo-interrupter), as a third party writes it.

An example of a sensor plugin kept outside the seccam repository's plugins: it uses only
the public plugin API (``seccam_core.hookimpl``, ``seccam_core.sensors``, and the
building blocks ``DigitalInputSensor`` and ``Countdown``).

The KY-010's output goes HIGH while something blocks the beam. The gate triggers once
the beam has stayed blocked for ``min_blocked_seconds`` (0: at once), which ignores
insects and raindrops, and releases when the beam is clear again.
"""

from __future__ import annotations

import threading
from typing import Any

from gpiozero import DigitalInputDevice

from seccam_core import hookimpl
from seccam_core.countdown import Countdown
from seccam_core.digital_input import DigitalInputSensor
from seccam_core.sensors import Emit, SensorConfig, SensorType, WiringPin

CALIBRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "min_blocked_seconds": {
            "type": "number", "minimum": 0, "maximum": 5, "default": 0,
            "title": "Minimum block", "x-unit": "s",
            "description": "The beam must stay blocked this long before the gate triggers.",
        },
        "bounce_time": {
            "type": "number", "minimum": 0, "maximum": 0.5, "default": 0.01,
            "title": "Debounce", "x-unit": "s",
            "description": "Edges within this time of a reported one are ignored.",
        },
    },
    "additionalProperties": False,
}


class LightGate(DigitalInputSensor):
    """Beam blocked (input HIGH, *inactive* with the pull-up) for long enough: trigger."""

    def __init__(self, device: Any, emit: Emit, *, min_blocked_seconds: float,
                 bounce_time: float) -> None:
        self._lock = threading.Lock()
        self._min_blocked = min_blocked_seconds
        self._triggered = False
        self._blocked_long_enough = Countdown(self._still_blocked, name="lightgate-block")
        super().__init__(device, emit, bounce_time=bounce_time)

    def on_level(self, active: bool) -> None:
        with self._lock:
            if not active:  # beam blocked
                if self._min_blocked <= 0:
                    self._trigger()
                else:
                    self._blocked_long_enough.start(self._min_blocked)
                return
            self._blocked_long_enough.cancel()  # beam clear again
            if self._triggered:
                self._triggered = False
                self.emit("release")

    def _still_blocked(self) -> None:
        with self._lock:
            if not self.active:
                self._trigger()

    def _trigger(self) -> None:
        if not self._triggered:
            self._triggered = True
            self.emit("trigger")

    def close(self) -> None:
        self._blocked_long_enough.close()
        super().close()


def build(config: SensorConfig, emit: Emit) -> LightGate:
    """Create the input device (the plugin's job) and hand it to the gate logic."""
    device = DigitalInputDevice(config.gpio, pull_up=True, pin_factory=config.pin_factory)
    try:
        return LightGate(device, emit, **config.calibration)
    except Exception:
        device.close()
        raise


LIGHT_GATE = SensorType(
    name="light_gate",
    label="Light gate",
    factory=build,
    default_gpio=6,
    module="KY-010",
    description="Infrared photo-interrupter: triggers when something blocks the beam.",
    use_case="Letter boxes, cat flaps, narrow passages.",
    wiring=(
        WiringPin("+ (middle)", "3V3 (header pin 17)", "power"),
        WiringPin("- ", "GND (header pin 14)", "ground"),
        WiringPin("S", "GPIO 6 (header pin 31)", "signal"),
    ),
    wiring_note="Power from 3V3. The output goes HIGH while the beam is blocked.",
    calibration_schema=CALIBRATION_SCHEMA,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The light gate."""
    return [LIGHT_GATE]
