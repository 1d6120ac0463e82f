"""``light_gate``: an infrared light gate (KY-010 photo-interrupter), as a third party writes it.

An example of a sensor plugin kept outside the seccam repository's plugins: it uses only
the public plugin API (``seccam_core.hookimpl``, ``seccam_core.sensing.types``, and the
building blocks ``DigitalInputSensor`` and ``Countdown``).

The KY-010's output goes HIGH while something blocks the beam. The gate triggers once
the beam has stayed blocked for ``min_blocked_seconds`` (0: at once), which ignores
insects and raindrops, and releases when the beam is clear again.
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
        "min_blocked_seconds": {
            "type": "number", "minimum": 0, "maximum": 5, "default": 0,
            "title": "Minimum block", "x-unit": "s",
            "description": "The beam must stay blocked this long before the gate triggers.",
        },
        "bounce_time": bounce_time_property(0.01, maximum=0.5),
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


def light_gate(device: Any, emit: Emit, calibration: Mapping[str, Any]) -> LightGate:
    """The gate logic around the input (pull-up on: the beam blocked reads HIGH)."""
    return LightGate(device, emit, **calibration)


LIGHT_GATE = SensorType(
    name="light_gate",
    label="Light gate",
    device_class="occupancy",
    factory=digital_input_factory(light_gate, pull_up=True),
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
