"""``/sensor/...``: configure, status, enable, disable, types and the raw pin test."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import NULLABLE_STRING, json_body, message_answer, responds
from seccam_core.errors import BadRequest
from seccam_core.sensing.config import (
    GPIO_SCHEMA,
    MAX_GPIO,
    SENSOR_SECTION,
    SENSOR_TEST_SCHEMA,
    configure_schema,
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
START_ERROR = {"type": "string", "description": "why the sensor could not start, if it did not"}
SENSOR_STATUS = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "armed": {"type": "boolean", "description": "whether edges count (false while a PIR "
                                                    "warms up)"},
        "triggered": {"type": "boolean"},
        "suppressed": {"type": "boolean", "description": "whether presence suppresses it"},
        "recording_from_sensor": {"type": "boolean",
                                  "description": "whether a recording runs for the sensor"},
        "hold_seconds": {"type": ["number", "null"],
                         "description": "the hold in force; null before the sensor was applied"},
        "config": SENSOR_CONFIG,
        "sensor": {
            "type": ["object", "null"],
            "properties": {
                "type": {"type": "string"},
                "name": {"type": "string", "description": "the type's label"},
                "gpio": GPIO_SCHEMA,
                "running": {"type": "boolean"},
            },
            "required": ["type", "name", "gpio", "running"],
            "description": "the live sensor; null while none runs",
        },
        "error": {**NULLABLE_STRING, "description": "why the sensor is not running, if so"},
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
