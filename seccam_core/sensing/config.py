"""The ``Sensor`` settings section and the checks behind ``POST /sensor/configure``.

One active sensor: its ``type``, ``gpio`` (BCM 0-27, ``null`` for a type without a pin),
``enabled``, ``hold_seconds``, ``invert_logic`` and the type's ``calibration``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from seccam_core.contributions import SettingsSection
from seccam_core.errors import InvalidValue
from seccam_core.json_schema import Validator
from seccam_core.sensing.types import SensorType, calibration_defaults

SECTION = "Sensor"
TYPE_NAME = {"type": "string", "minLength": 1, "maxLength": 64,
             "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"}
MAX_GPIO = 27
MAX_HOLD_SECONDS = 3600

GPIO_SCHEMA: dict[str, Any] = {
    "type": ["integer", "null"], "minimum": 0, "maximum": MAX_GPIO,
    "description": "BCM GPIO pin number (0-27); null for a sensor without a pin.",
}
HOLD_SCHEMA: dict[str, Any] = {
    "type": "number", "minimum": 0, "maximum": MAX_HOLD_SECONDS,
    "description": "Seconds to keep recording after the sensor releases (0-3600).",
}

SENSOR_SECTION = SettingsSection(
    name=SECTION,
    description="The active sensor: type, pin, hold time, logic and calibration.",
    schema={
        "type": "object",
        "properties": {
            "type": {**TYPE_NAME, "description": "Sensor type (see GET /sensor/types)."},
            "gpio": GPIO_SCHEMA,
            "enabled": {"type": "boolean",
                        "description": "Whether the sensor triggers recordings."},
            "hold_seconds": HOLD_SCHEMA,
            "invert_logic": {"type": "boolean",
                             "description": "Swap trigger and release."},
            "calibration": {"type": "object",
                            "description": "Type-specific values (its calibration schema)."},
        },
        "required": ["type", "gpio", "enabled", "hold_seconds"],
        "additionalProperties": False,
    },
    defaults={
        "type": "reed_switch",
        "gpio": 22,
        "enabled": False,
        "hold_seconds": 10,
        "invert_logic": False,
        "calibration": {},
    },
)

CONFIGURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": TYPE_NAME,
        "gpio": GPIO_SCHEMA,
        "enabled": {"type": "boolean", "default": True},
        "hold_seconds": {**HOLD_SCHEMA, "default": 10},
        "invert_logic": {"type": "boolean", "default": False},
        "calibration": {"type": "object", "default": {}},
    },
    "required": ["type"],
    "additionalProperties": False,
}



def configure_schema(seccam: Any) -> dict[str, Any]:
    """``CONFIGURE_SCHEMA`` with each installed type's calibration schema inlined.

    One ``if type is X then calibration is X's schema`` per type: an unknown type still
    passes the shape check and gets the 400 that lists the installed ones.
    """
    types = seccam.sensor_types
    per_type = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"properties": {"calibration": {
                **dict(types[name].calibration_schema),
                "description": f"calibration of the {name} sensor",
            }}},
        }
        for name in sorted(types)
    ]
    type_field = {**CONFIGURE_SCHEMA["properties"]["type"],
                  "description": "Sensor type: " + ", ".join(sorted(types)) + "."}
    return {**CONFIGURE_SCHEMA,
            "properties": {**CONFIGURE_SCHEMA["properties"], "type": type_field},
            **({"allOf": per_type} if per_type else {})}


SENSOR_TEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"type": TYPE_NAME, "gpio": GPIO_SCHEMA},
    "required": ["type"],
    "additionalProperties": False,
}


class UnknownSensorType(InvalidValue):
    """The type is not installed; ``available`` lists those that are."""

    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(f"Unknown sensor type: {name}", available=available)


def sensor_type_named(name: str, types: Mapping[str, SensorType]) -> SensorType:
    try:
        return types[name]
    except KeyError:
        raise UnknownSensorType(name, sorted(types)) from None


def calibration_problem(sensor_type: SensorType, calibration: Any) -> str | None:
    """``calibration.pulse_count: 50 is greater than the maximum of 20``, or ``None``."""
    validator = Validator(sensor_type.calibration_schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(calibration))
    if error is None:
        return None
    path = ".".join(["calibration", *(str(part) for part in error.absolute_path)])
    return f"{path}: {error.message}"


def full_calibration(sensor_type: SensorType, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The calibration a factory gets: the schema's defaults, overridden by what is stored."""
    return {**calibration_defaults(sensor_type.calibration_schema), **stored}


def pin_for(sensor_type: SensorType, gpio: int | None) -> int | None:
    """The pin a type uses: ``None`` without a pin, else ``gpio`` or the type's default."""
    if not sensor_type.uses_gpio:
        return None
    return gpio if gpio is not None else sensor_type.default_gpio


def section_from_request(
    body: Mapping[str, Any], types: Mapping[str, SensorType]
) -> dict[str, Any]:
    """The whole new ``Sensor`` section for a configure body (already shape-checked).

    Raises :class:`InvalidValue` naming the field: unknown type (with ``available``), a
    type with a pin but no ``gpio`` and no default, calibration not matching the type.
    """
    sensor_type = sensor_type_named(body["type"], types)
    gpio = pin_for(sensor_type, body.get("gpio"))
    if sensor_type.uses_gpio and gpio is None:
        raise InvalidValue(f"gpio: the {sensor_type.name} sensor needs a pin (0-{MAX_GPIO})")
    calibration = dict(body.get("calibration") or {})
    problem = calibration_problem(sensor_type, full_calibration(sensor_type, calibration))
    if problem is not None:
        raise InvalidValue(problem)
    return {
        "type": sensor_type.name,
        "gpio": gpio,
        "enabled": body.get("enabled", True),
        "hold_seconds": body.get("hold_seconds", 10),
        "invert_logic": body.get("invert_logic", False),
        "calibration": calibration,
    }


def section_check(
    types: Mapping[str, SensorType],
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], str | None]:
    """The ``Sensor`` rules beyond its schema, for every route that writes the section.

    The type must be installed (a stored type whose plugin was uninstalled is kept
    until the type is changed), a type with a pin needs one, and the calibration must
    match the type's schema.
    """

    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        name = new.get("type")
        sensor_type = types.get(name) if isinstance(name, str) else None
        if sensor_type is None:
            if name == previous.get("type"):
                return None
            return (f"{SECTION}.type: unknown sensor type {name!r} "
                    f"(installed: {', '.join(sorted(types))})")
        if sensor_type.uses_gpio and pin_for(sensor_type, new.get("gpio")) is None:
            return f"{SECTION}.gpio: the {sensor_type.name} sensor needs a pin (0-{MAX_GPIO})"
        calibration = new.get("calibration") or {}
        problem = calibration_problem(sensor_type, full_calibration(sensor_type, calibration))
        return None if problem is None else f"{SECTION}.{problem}"

    return check
