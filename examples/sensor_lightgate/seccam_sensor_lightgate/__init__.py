"""``light_gate``: an infrared light gate (KY-010 photo-interrupter), as a third party writes it.

An example of a sensor plugin kept outside the seccam repository's plugins: it uses only
the public plugin API (``seccam_core.hookimpl``, ``seccam_core.sensing.types``, and the
building blocks ``DigitalInputSensor`` and ``Countdown``).

The KY-010's output goes HIGH while something blocks the beam. The gate triggers once
the beam has stayed blocked for ``min_blocked_seconds`` (0: at once), which ignores
insects and raindrops, and releases when the beam is clear again.

It also shows a plugin's own settings section: ``LightGate`` says whether each passage
(a trigger and its release) is written to the log, and in which words. The dashboard
draws its form from the schema, with nothing to add there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from seccam_core import (
    Countdown,
    DigitalInputSensor,
    Emit,
    Event,
    Seccam,
    SensorType,
    SettingsSection,
    WiringPin,
    bounce_time_property,
    digital_input_factory,
    hookimpl,
)

log = logging.getLogger(__name__)

SECTION = "LightGate"
LIGHT_GATE_SECTION = SettingsSection(
    name=SECTION,
    description="What the light gates tell you besides starting recordings.",
    schema={
        "type": "object",
        "properties": {
            "log_passages": {
                "type": "boolean",
                "description": "Write a line to the log each time something has passed a "
                "light gate, with how long it blocked the beam.",
            },
            "passage_words": {
                "type": "string", "minLength": 1, "maxLength": 40,
                "pattern": "^[^\\x00-\\x1f\\x7f]+$",
                "description": "What that line calls a passage, e.g. 'post arrived' for a "
                "letter box.",
            },
        },
        "additionalProperties": False,
    },
    defaults={"log_passages": False, "passage_words": "something passed"},
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


class PassageLog:
    """Writes a log line per passage through any light gate, when the section asks."""

    def __init__(self, seccam: Seccam) -> None:
        self.seccam = seccam
        self.blocked_since: dict[str, float] = {}

    def on_event(self, event: Event) -> None:
        data = event.data
        if event.type != "sensor_state" or data.get("type") != LIGHT_GATE.name:
            return
        sensor_id = str(data.get("sensor_id"))
        if data.get("triggered"):
            self.blocked_since.setdefault(sensor_id, time.monotonic())
            return
        since = self.blocked_since.pop(sensor_id, None)
        settings = self.seccam.settings.get(SECTION)
        if since is not None and settings["log_passages"]:
            log.info("light gate %s: %s (beam blocked %.1f s)", sensor_id,
                     settings["passage_words"], time.monotonic() - since)


_LISTENERS: dict[int, Callable[[], None]] = {}


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The light gate."""
    return [LIGHT_GATE]


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """``LightGate``: the passage log."""
    return [LIGHT_GATE_SECTION]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Follow the light gates' passages."""
    _LISTENERS[id(seccam)] = seccam.bus.add_listener(PassageLog(seccam).on_event)


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop following them."""
    remove = _LISTENERS.pop(id(seccam), None)
    if remove is not None:
        remove()
