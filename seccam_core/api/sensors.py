"""``/sensor/...`` (the seed's, on the primary sensor) and ``/sensors/...`` (every sensor)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import NULLABLE_STRING, json_body, message_answer, responds
from seccam_core.errors import BadRequest, Conflict
from seccam_core.sensing.config import (
    GPIO_SCHEMA,
    MAX_GPIO,
    SENSOR_BODY_SCHEMA,
    SENSOR_ENTRY_SCHEMA,
    SENSOR_SECTION,
    SENSOR_TEST_SCHEMA,
    configure_schema,
    entry_from_request,
    pin_for,
    section_from_request,
    sensor_type_named,
)
from seccam_core.sensing.controller import SENSOR_CONTROLLER, SensorController

blueprint = Blueprint("sensors", __name__)

SENSOR_CONFIG = {
    "type": "object",
    "properties": SENSOR_SECTION.schema["properties"],
    "required": SENSOR_SECTION.schema["required"],
    "description": "the stored Sensor settings section",
}
LIVE_SENSOR = {
    "type": ["object", "null"],
    "properties": {
        "type": {"type": "string"},
        "name": {"type": "string", "description": "the type's label"},
        "gpio": GPIO_SCHEMA,
        "running": {"type": "boolean"},
    },
    "required": ["type", "name", "gpio", "running"],
    "description": "the live sensor; null while none runs",
}
SENSOR_ENTRY_STATUS = {
    "type": "object",
    "properties": {
        **SENSOR_ENTRY_SCHEMA["properties"],
        "armed": {"type": "boolean", "description": "whether its edges count"},
        "triggered": {"type": "boolean"},
        "suppressed": {"type": "boolean",
                       "description": "whether a trigger now would start nothing (arm mode)"},
        "suppressed_reason": {**NULLABLE_STRING,
                              "description": "why its last trigger started nothing"},
        "in_incident": {"type": "boolean",
                        "description": "whether it keeps the current recording going"},
        "sensor": LIVE_SENSOR,
        "measurement": {"type": ["object", "null"],
                        "description": "a value it measures (distance, level), if any"},
        "error": {**NULLABLE_STRING, "description": "why it is not running, if so"},
    },
    "required": [*SENSOR_ENTRY_SCHEMA["required"], "armed", "triggered", "suppressed",
                 "suppressed_reason", "in_incident", "sensor", "measurement", "error"],
}
START_ERROR = {"type": "string", "description": "why the sensor could not start, if it did not"}
SENSOR_STATUS = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "armed": {"type": "boolean", "description": "whether edges count (false while a PIR "
                                                    "warms up)"},
        "triggered": {"type": "boolean"},
        "suppressed": {"type": "boolean", "description": "whether a trigger now would start "
                                                         "nothing (arm mode, presence)"},
        "recording_from_sensor": {"type": "boolean",
                                  "description": "whether a recording runs for the sensor"},
        "hold_seconds": {"type": ["number", "null"],
                         "description": "the hold in force; null before the sensor was applied"},
        "config": SENSOR_CONFIG,
        "sensor": LIVE_SENSOR,
        "error": {**NULLABLE_STRING, "description": "why the sensor is not running, if so"},
        "sensors": {"type": "array", "items": SENSOR_ENTRY_STATUS,
                    "description": "every sensor (the first is this primary one)"},
    },
    "required": ["enabled", "armed", "triggered", "suppressed", "recording_from_sensor",
                 "hold_seconds", "config", "sensor", "error"],
}
SLIDER_BOUND = {"type": ["number", "null"]}
SENSOR_TYPES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "the name to configure it with"},
            "name": {"type": "string", "description": "the label to show"},
            "module": {"type": "string"},
            "description": {"type": "string"},
            "use_case": {"type": "string"},
            "default_gpio": {"type": ["integer", "null"]},
            "uses_gpio": {"type": "boolean"},
            "wiring": {"type": "array", "items": {
                "type": "object",
                "properties": {"pin": {"type": "string"}, "connect": {"type": "string"},
                               "role": {"type": "string"}},
                "required": ["pin", "connect", "role"],
            }},
            "wiring_note": {"type": "string"},
            "calibration_schema": {"type": "object",
                                   "description": "the JSON Schema of its calibration"},
            "calibration": {
                "type": "array",
                "description": "a slider per numeric calibration key (the original's form)",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "name": {"type": "string"},
                        "type": {"type": "string", "const": "range"},
                        "min": SLIDER_BOUND,
                        "max": SLIDER_BOUND,
                        "default": SLIDER_BOUND,
                        "step": {"type": "number"},
                        "description": {"type": "string"},
                        "unit": {"type": "string"},
                    },
                    "required": ["key", "name", "type", "min", "max", "default", "step",
                                 "description"],
                },
            },
        },
        "required": ["type", "name", "module", "description", "use_case", "default_gpio",
                     "uses_gpio", "wiring", "wiring_note", "calibration_schema", "calibration"],
    },
}
PIN_TEST = {
    "type": "object",
    "properties": {
        "value": {"type": ["boolean", "null"],
                  "description": "the raw level, true for HIGH; null when nothing was read"},
        "gpio": GPIO_SCHEMA,
        "type": {"type": "string"},
        "source": {"type": "string", "enum": ["active_sensor", "probe"],
                   "description": "read from the running sensor, or by opening the pin briefly"},
        "message": {"type": "string", "description": "why nothing was read (a pinless type)"},
    },
    "required": ["value", "gpio", "type"],
}


def controller() -> SensorController:
    """The running sensor controller (503 while the sensor plugin is off)."""
    return current_seccam().require(SENSOR_CONTROLLER)


@blueprint.get("/sensor/status")
@responds(200, schema=SENSOR_STATUS)
async def sensor_status() -> dict[str, Any]:
    """The sensor's state: enabled, armed, triggered, suppressed, recording, config."""
    return controller().status()


@blueprint.get("/sensor/types")
@responds(200, schema=SENSOR_TYPES)
async def sensor_types() -> list[dict[str, Any]]:
    """Every installed sensor type: wiring, default pin and calibration schema."""
    types = current_seccam().sensor_types
    return [types[name].declaration() for name in sorted(types)]


@blueprint.post("/sensor/configure")
@json_body(configure_schema)
@responds(200, schema=message_answer(config=SENSOR_CONFIG, error=START_ERROR))
async def sensor_configure(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the sensor configuration (validated against the type) and restart it."""
    running = controller()
    section = section_from_request(body, current_seccam().sensor_types)
    await running.check_pin_free(section["gpio"])
    await running.apply(section)
    response: dict[str, Any] = {"message": "Sensor configured",
                                "config": current_seccam().settings.get("Sensor")}
    if running.error:
        response["error"] = running.error
    return response


@blueprint.post("/sensor/enable")
@responds(200, schema=message_answer(error=START_ERROR))
async def sensor_enable() -> dict[str, Any]:
    """Enable the configured sensor and start it."""
    running = controller()
    await running.apply({"enabled": True})
    response: dict[str, Any] = {"message": "Sensor enabled"}
    if running.error:
        response["error"] = running.error
    return response


@blueprint.post("/sensor/disable")
@responds(200, schema=message_answer())
async def sensor_disable() -> dict[str, Any]:
    """Stop the sensor (ending any recording it asked for) and disable it."""
    await controller().apply({"enabled": False})
    return {"message": "Sensor disabled"}


@blueprint.post("/sensor/test")
@json_body(SENSOR_TEST_SCHEMA)
@responds(200, schema=PIN_TEST)
async def sensor_test(body: dict[str, Any]) -> dict[str, Any]:
    """Read a pin's raw level (true = HIGH) without disturbing the running sensor."""
    sensor_type = sensor_type_named(body["type"], current_seccam().sensor_types)
    if not sensor_type.uses_gpio:
        return {"value": None, "type": sensor_type.name, "gpio": None,
                "message": f"the {sensor_type.name} sensor has no pin to read"}
    gpio = pin_for(sensor_type, body.get("gpio"))
    if gpio is None:
        raise BadRequest(f"gpio: the {sensor_type.name} sensor needs a pin (0-{MAX_GPIO})")
    value, source = await controller().read_pin(sensor_type, gpio)
    return {"value": value, "gpio": gpio, "type": sensor_type.name, "source": source}


# --- /sensors: every sensor -----------------------------------------------------------

SENSOR_LIST = {"type": "object", "properties": {"sensors": {"type": "array",
                                                             "items": SENSOR_ENTRY_STATUS}},
               "required": ["sensors"]}
NEW_SENSOR_SCHEMA = {**SENSOR_BODY_SCHEMA, "required": ["type"]}


@blueprint.get("/sensors")
@responds(200, schema=SENSOR_LIST)
async def sensors_list() -> dict[str, Any]:
    """Every sensor, in order (the first is the primary), with its state."""
    running = controller()
    return {"sensors": [running.sensor_status(runner) for runner in running.runners]}


@blueprint.post("/sensors")
@json_body(NEW_SENSOR_SCHEMA)
@responds(201, schema=SENSOR_ENTRY_STATUS)
async def sensors_add(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add a sensor (``id`` from its name unless given; ``modes`` default away, night)."""
    running = controller()
    entries = running.entries()
    entry = entry_from_request(body, current_seccam().sensor_types, None,
                               {str(e["id"]) for e in entries})
    await running.save_entries([*entries, entry])
    return running.sensor_status(running.require(entry["id"])), 201


@blueprint.get("/sensors/<sensor_id>")
@responds(200, schema=SENSOR_ENTRY_STATUS)
async def sensors_get(sensor_id: str) -> dict[str, Any]:
    """One sensor with its state (404 for an unknown id)."""
    running = controller()
    return running.sensor_status(running.require(sensor_id))


@blueprint.put("/sensors/<sensor_id>")
@json_body(SENSOR_BODY_SCHEMA)
@responds(200, schema=SENSOR_ENTRY_STATUS)
async def sensors_put(sensor_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a sensor's fields (those given; its id stays) and restart it."""
    running = controller()
    base = running.require(sensor_id).entry
    entries = running.entries()
    entry = entry_from_request(body, current_seccam().sensor_types, base, set())
    await running.save_entries([entry if e["id"] == sensor_id else e for e in entries])
    return running.sensor_status(running.require(sensor_id))


@blueprint.delete("/sensors/<sensor_id>")
@responds(200, schema=message_answer())
async def sensors_delete(sensor_id: str) -> dict[str, Any]:
    """Remove a sensor (ending its part in a recording); the last one stays (409)."""
    running = controller()
    running.require(sensor_id)
    entries = running.entries()
    if len(entries) == 1:
        raise Conflict(f"sensor_id: {sensor_id!r} is the only sensor; disable it instead")
    await running.save_entries([e for e in entries if e["id"] != sensor_id])
    return {"message": f"Sensor {sensor_id} deleted"}


@blueprint.post("/sensors/<sensor_id>/enable")
@responds(200, schema=SENSOR_ENTRY_STATUS)
async def sensors_enable(sensor_id: str) -> dict[str, Any]:
    """Enable a sensor and start it (its ``error`` says why if it cannot)."""
    return await _set_enabled(sensor_id, True)


@blueprint.post("/sensors/<sensor_id>/disable")
@responds(200, schema=SENSOR_ENTRY_STATUS)
async def sensors_disable(sensor_id: str) -> dict[str, Any]:
    """Stop a sensor (it leaves the recording it kept going) and disable it."""
    return await _set_enabled(sensor_id, False)


async def _set_enabled(sensor_id: str, enabled: bool) -> dict[str, Any]:
    running = controller()
    await running.set_enabled(sensor_id, enabled)
    return running.sensor_status(running.require(sensor_id))


@blueprint.post("/sensors/<sensor_id>/test")
@responds(200, schema=PIN_TEST)
async def sensors_test(sensor_id: str) -> dict[str, Any]:
    """Read a sensor's raw pin level (true = HIGH) without disturbing it."""
    running = controller()
    entry = running.require(sensor_id).entry
    sensor_type = sensor_type_named(entry["type"], current_seccam().sensor_types)
    gpio = pin_for(sensor_type, entry.get("gpio"))
    if not sensor_type.uses_gpio or gpio is None:
        return {"value": None, "type": sensor_type.name, "gpio": None,
                "message": f"the {sensor_type.name} sensor has no pin to read"}
    value, source = await running.read_pin(sensor_type, gpio)
    return {"value": value, "gpio": gpio, "type": sensor_type.name, "source": source}
