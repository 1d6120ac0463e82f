"""Sensor types: what a sensor plugin declares, and the live sensor it builds.

The sensor controller (the state machine that turns edges into ``sensor_state``
events and recording requests) is built on these declarations.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Edge = Literal["trigger", "release"]
Emit = Callable[[Edge], None]
"""Called by a live sensor, from any thread, when it triggers or releases."""


@dataclass(frozen=True)
class WiringPin:
    """One wire: the sensor's pin label and where it goes on the Pi header."""

    pin: str
    connect: str
    role: str = "signal"


@dataclass(frozen=True)
class SensorConfig:
    """The validated configuration a factory receives."""

    gpio: int | None
    calibration: Mapping[str, Any]
    pin_factory: Any = None


class LiveSensor(abc.ABC):
    """A running sensor, built by a :class:`SensorType` factory.

    It calls ``emit("trigger")`` and ``emit("release")`` in the sensor's own terms; the
    controller applies ``invert_logic``, presence suppression and the hold timer.
    """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the pin (and any timer); called on disable, reconfigure and shutdown."""

    @property
    @abc.abstractmethod
    def raw_value(self) -> bool | None:
        """The pin's current raw level (``None`` for sensors without a pin)."""


@dataclass(frozen=True)
class SensorType:
    """The declaration of a sensor type, served by ``GET /sensor/types``.

    ``calibration_schema`` is a JSON Schema object with defaults and bounds; its keys are
    gpiozero's own argument names where one exists (``bounce_time``). ``factory(config,
    emit)`` builds the live sensor from a validated config.
    """

    name: str
    label: str
    factory: Callable[[SensorConfig, Emit], LiveSensor]
    default_gpio: int | None = None
    module: str = ""
    description: str = ""
    use_case: str = ""
    wiring: tuple[WiringPin, ...] = ()
    wiring_note: str = ""
    calibration_schema: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}, "additionalProperties": False}
    )
    uses_gpio: bool = True

    def declaration(self) -> dict[str, Any]:
        """The JSON form clients see (field names of the original where it had them)."""
        return {
            "type": self.name,
            "name": self.label,
            "module": self.module,
            "description": self.description,
            "use_case": self.use_case,
            "default_gpio": self.default_gpio,
            "uses_gpio": self.uses_gpio,
            "wiring": [
                {"pin": w.pin, "connect": w.connect, "role": w.role} for w in self.wiring
            ],
            "wiring_note": self.wiring_note,
            "calibration_schema": dict(self.calibration_schema),
        }
