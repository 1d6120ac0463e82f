"""The ``Sensor`` settings section and the checks behind ``POST /sensor/configure``.

One active sensor: its ``type``, ``gpio`` (BCM 0-27, ``null`` for a type without a pin),
``enabled``, ``hold_seconds``, ``invert_logic`` and the type's ``calibration``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema

from seccam_core.contributions import SettingsSection
from seccam_core.errors import InvalidValue
from seccam_core.json_schema import Validator, brief_message
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
    return f"{path}: {brief_message(error)}"


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


# --- several sensors: the ``Sensors`` section ------------------------------------------

SENSORS_SECTION_NAME = "Sensors"
ARM_MODES = ("disarmed", "home", "away", "night")
"""The arm modes (Home Assistant's alarm panel names); a sensor lists those it records in."""
DEFAULT_MODES = ("away", "night")
MAX_SENSORS = 32
SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,39}$"
FLAT_FIELDS = ("type", "gpio", "enabled", "hold_seconds", "invert_logic", "calibration")

MODES_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {"enum": list(ARM_MODES)}, "uniqueItems": True,
    "description": "The arm modes in which it starts recordings (disarmed, home, away, night).",
}
ID_SCHEMA: dict[str, Any] = {
    "type": "string", "pattern": SLUG_PATTERN,
    "description": "Stable slug (a-z, 0-9, -; up to 40), used in /sensors/<id> and events.",
}
NAME_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64,
                               "description": "The name to show."}
SENSOR_ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"id": ID_SCHEMA, "name": NAME_SCHEMA,
                   **SENSOR_SECTION.schema["properties"], "modes": MODES_SCHEMA},
    "required": ["id", "name", *FLAT_FIELDS, "modes"],
    "additionalProperties": False,
}


def slug(text: str) -> str:
    """``Front door`` -> ``front-door``: the id a sensor gets from its name or type."""
    out = "".join(c if c.isalnum() and c.isascii() else "-" for c in text.lower())
    out = "-".join(part for part in out.split("-") if part)[:40].strip("-")
    return out or "sensor"


UNNAMED = "Sensor"
"""The name of the seed's one sensor, which nobody named: it is shown by its type."""


def shown_name(entry: Mapping[str, Any], types: Mapping[str, SensorType]) -> str:
    """What people read for a sensor: its name, or for the seed's unnamed sensor its
    type's label (``Reed switch``), so a message never just says "Sensor"."""
    name = str(entry.get("name") or "")
    if name and name != UNNAMED:
        return name
    sensor_type = types.get(str(entry.get("type")))
    return (sensor_type.label if sensor_type is not None and sensor_type.label
            else str(entry.get("type") or entry.get("id") or "sensor"))


def entry_from_flat(flat: Mapping[str, Any], *, name: str = UNNAMED) -> dict[str, Any]:
    """A ``Sensors`` entry for a flat ``Sensor`` section (today's or the original's)."""
    defaults = SENSOR_SECTION.defaults
    values = {key: copy.deepcopy(flat.get(key, defaults[key])) for key in FLAT_FIELDS}
    return {"id": slug(str(values["type"])), "name": name, **values,
            "modes": list(DEFAULT_MODES)}


def flat_from_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Sensor`` section (the seed's shape) for the primary sensor's entry."""
    return {key: copy.deepcopy(entry[key]) for key in FLAT_FIELDS}


SENSORS_SECTION = SettingsSection(
    name=SENSORS_SECTION_NAME,
    description="Every sensor of this camera. The first is the primary one: the seed's "
                "/sensor/... endpoints and the Sensor section act on it.",
    schema={
        "type": "object",
        "properties": {"sensors": {"type": "array", "items": SENSOR_ENTRY_SCHEMA,
                                   "minItems": 1, "maxItems": MAX_SENSORS}},
        "required": ["sensors"],
        "additionalProperties": False,
    },
    defaults={"sensors": [entry_from_flat(SENSOR_SECTION.defaults)]},
)


def sensor_pins(sensor_type: SensorType, entry: Mapping[str, Any]) -> dict[str, int]:
    """Every pin a sensor uses, by the field that names it (``gpio``, ``calibration.x``)."""
    pins: dict[str, int] = {}
    gpio = pin_for(sensor_type, entry.get("gpio"))
    if gpio is not None:
        pins["gpio"] = gpio
    calibration = full_calibration(sensor_type, entry.get("calibration") or {})
    for key in sensor_type.pin_keys:
        value = calibration.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            pins[f"calibration.{key}"] = value
    return pins


def check_sensor_list(
    entries: Sequence[Mapping[str, Any]], types: Mapping[str, SensorType]
) -> None:
    """Rules across sensors and fields, after the shape check: :class:`InvalidValue` naming
    the field (``sensors[1].gpio: ...``) for a duplicate id, a pin used twice (second
    pins included), an enabled sensor without modes, or a type's own objection.

    A sensor of a type that is not installed is let through (it reports an error when
    started), so a plugin removed for a while does not make the list unsaveable.
    """
    seen_ids: dict[str, int] = {}
    pin_owner: dict[int, str] = {}
    for index, entry in enumerate(entries):
        where = f"sensors[{index}]"
        sensor_id = str(entry.get("id"))
        if sensor_id in seen_ids:
            raise InvalidValue(f"{where}.id: {sensor_id!r} is already used by "
                               f"sensors[{seen_ids[sensor_id]}]")
        seen_ids[sensor_id] = index
        if entry.get("enabled") and not entry.get("modes"):
            raise InvalidValue(f"{where}.modes: an enabled sensor needs at least one arm "
                               f"mode ({', '.join(ARM_MODES)})")
        sensor_type = types.get(str(entry.get("type")))
        if sensor_type is None:
            continue
        if sensor_type.validate is not None:
            calibration = full_calibration(sensor_type, entry.get("calibration") or {})
            problems = sensor_type.validate({**entry, "calibration": calibration})
            if problems:
                raise InvalidValue(f"{where}.{problems[0]}")
        for field_name, pin in sensor_pins(sensor_type, entry).items():
            if pin in pin_owner:
                raise InvalidValue(f"{where}.{field_name}: GPIO{pin} is already used by "
                                   f"{pin_owner[pin]}")
            pin_owner[pin] = f"sensor {sensor_id!r}"


SENSOR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {**CONFIGURE_SCHEMA["properties"], "id": ID_SCHEMA, "name": NAME_SCHEMA,
                   "modes": {**MODES_SCHEMA, "default": list(DEFAULT_MODES)}},
    "additionalProperties": False,
}
"""``POST /sensors`` (``type`` required) and ``PUT /sensors/<id>`` (any fields)."""


def unique_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... the first not taken."""
    candidate, number = wanted, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate, number = wanted[: 40 - len(suffix)] + suffix, number + 1
    return candidate


def entry_from_request(
    body: Mapping[str, Any], types: Mapping[str, SensorType],
    base: Mapping[str, Any] | None, taken: set[str],
) -> dict[str, Any]:
    """The full entry for a new sensor (``base`` None) or a changed one (``base`` given).

    Raises :class:`InvalidValue` naming the field, as :func:`section_from_request` does.
    """
    merged = {**(base or {}), **body}
    if base is not None:
        if "id" in body and body["id"] != base["id"]:
            raise InvalidValue(f"id: a sensor's id cannot be changed (it is {base['id']!r})")
        if "type" in body and body["type"] != base["type"] and "calibration" not in body:
            merged["calibration"] = {}  # the old type's calibration means nothing to the new
    if "type" not in merged:
        raise InvalidValue("type: required (see GET /sensor/types)")
    flat = section_from_request({k: merged[k] for k in FLAT_FIELDS if k in merged}, types)
    if base is None:
        name = str(body.get("name") or types[flat["type"]].label)
        if "id" in body:
            if body["id"] in taken:
                raise InvalidValue(f"id: {body['id']!r} is already used by another sensor")
            sensor_id = str(body["id"])
        else:
            sensor_id = unique_id(slug(name), taken)
    else:
        name, sensor_id = str(merged.get("name") or base["name"]), str(base["id"])
    return {"id": sensor_id, "name": name, **flat,
            "modes": list(merged.get("modes", DEFAULT_MODES))}


def sensors_section_check(
    types: Mapping[str, SensorType],
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], str | None]:
    """The ``Sensors`` rules beyond its schema, for every route that writes the section:
    each sensor as :func:`section_check` checks the flat section, then the list's own
    rules (:func:`check_sensor_list`)."""
    one = section_check(types)

    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        before = {e.get("id"): e for e in previous.get("sensors") or ()}
        for index, entry in enumerate(new.get("sensors") or ()):
            problem = one(entry, before.get(entry.get("id"), entry))
            if problem is not None:
                return f"{SENSORS_SECTION_NAME}.sensors[{index}]." + problem.split(".", 1)[1]
        try:
            check_sensor_list(new.get("sensors") or [], types)
        except InvalidValue as exc:
            return f"{SENSORS_SECTION_NAME}.{exc.message}"
        return None

    return check


def primary_check(
    types: Mapping[str, SensorType], entries: Callable[[], list[dict[str, Any]]],
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], str | None]:
    """The flat ``Sensor`` section must fit the list as its first sensor (pins, modes)."""

    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        current = entries()
        if not current:
            return None
        current[0] = {**current[0], **new}
        try:
            check_sensor_list(current, types)
        except InvalidValue as exc:
            return f"{SECTION}: {exc.message}"
        return None

    return check
