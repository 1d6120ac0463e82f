"""Sensor types: what a sensor plugin declares, and the live sensor it builds.

The sensor controller (``sensing/controller.py``) is built on these declarations; it is
the only reader of a live sensor's edges.
"""

from __future__ import annotations

import abc
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from seccam_core.json_schema import with_field_order

Edge = Literal["trigger", "release", "ready", "error"]
"""What a live sensor reports: ``trigger`` and ``release`` in the sensor's own terms,
``ready`` once a sensor that was warming up (``armed`` false) is armed, and ``error``
(with a detail) when it can no longer read its input (device gone, read failed)."""


class Emit(Protocol):
    """Called by a live sensor, from any thread: ``emit("trigger")``, ``emit("error", why)``."""

    def __call__(self, edge: Edge, detail: str = "") -> None: ...


@dataclass(frozen=True)
class WiringPin:
    """One wire: the sensor's pin label and where it goes on the Pi header."""

    pin: str
    connect: str
    role: str = "signal"


@dataclass(frozen=True)
class SensorConfig:
    """The validated configuration a factory receives.

    ``calibration`` holds every key of the type's calibration schema (stored values,
    else the schema's defaults). ``pin_factory`` is the gpiozero pin factory to pass to
    the devices the sensor creates (``pin_factory=config.pin_factory``).
    """

    gpio: int | None
    calibration: Mapping[str, Any]
    pin_factory: Any = None


class LiveSensor(abc.ABC):
    """A running sensor, built by a :class:`SensorType` factory.

    It calls ``emit("trigger")`` and ``emit("release")`` in the sensor's own terms; the
    controller applies ``invert_logic``, presence suppression and the hold timer. A
    sensor that needs a warm-up says so with ``armed`` and calls ``emit("ready")`` when
    it is over.
    """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the pin (and any timer); called on disable, reconfigure and shutdown."""

    @property
    @abc.abstractmethod
    def raw_value(self) -> bool | None:
        """The pin's current raw level, True for HIGH (``None`` for sensors without a pin)."""

    @property
    def armed(self) -> bool:
        """Whether edges count yet (false while a PIR warms up)."""
        return True

    @property
    def measurement(self) -> Mapping[str, Any] | None:
        """A value the sensor measures, shown in status (``{"distance_cm": 42.0}``)."""
        return None


def calibration_defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``default`` of every top-level property of a calibration schema."""
    return {
        key: copy.deepcopy(spec["default"])
        for key, spec in schema.get("properties", {}).items()
        if isinstance(spec, Mapping) and "default" in spec
    }


def _slider(key: str, spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The original dashboard's slider descriptor for one numeric calibration key."""
    if spec.get("type") not in ("integer", "number"):
        return None
    integer = spec.get("type") == "integer"
    slider: dict[str, Any] = {
        "key": key,
        "name": spec.get("title", key),
        "type": "range",
        "min": spec.get("minimum", spec.get("exclusiveMinimum")),
        "max": spec.get("maximum", spec.get("exclusiveMaximum")),
        "default": spec.get("default"),
        "step": spec.get("multipleOf", 1 if integer else 0.01),
        "description": spec.get("description", ""),
    }
    if "x-unit" in spec:
        slider["unit"] = spec["x-unit"]
    return slider


@dataclass(frozen=True)
class SensorType:
    """The declaration of a sensor type, served by ``GET /sensor/types``.

    ``calibration_schema`` is a JSON Schema object with defaults and bounds; its keys are
    gpiozero's own argument names where one exists (``bounce_time``). ``factory(config,
    emit)`` builds the live sensor from a validated config; it may raise (pin busy, device
    missing): the controller reports the error in its status. ``uses_gpio`` is false for
    sensors without a pin (the mock), whose ``gpio`` is then ``None``. ``device_class``
    says what a trigger means to home automation (Home Assistant's binary_sensor device
    classes: ``door``, ``motion``, ``vibration``, ``opening``, ``occupancy`` ...); empty
    when none fits.

    ``pin_keys`` names the calibration keys that hold a second pin (an ultrasonic
    sensor's echo pin), so no two sensors share a pin. ``validate(config)`` may add the
    type's own checks across fields: it gets the sensor's settings (calibration filled
    with defaults) and returns problems, each starting with the field
    (``calibration.echo_gpio: must differ from gpio``); the first is a 400.
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
    device_class: str = ""
    pin_keys: tuple[str, ...] = ()
    validate: Callable[[Mapping[str, Any]], list[str]] | None = None

    def declaration(self) -> dict[str, Any]:
        """The JSON form clients see (field names of the original where it had them)."""
        sliders = [
            _slider(key, spec)
            for key, spec in self.calibration_schema.get("properties", {}).items()
        ]
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
            "calibration_schema": with_field_order(self.calibration_schema),
            "calibration": [slider for slider in sliders if slider is not None],
        }
