"""``/sensor/...``: configure, status, enable, disable, types and the raw pin test."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import json_body
from seccam_core.errors import BadRequest, Unavailable
from seccam_core.sensor_config import (
    MAX_GPIO,
    SENSOR_TEST_SCHEMA,
    configure_schema,
    pin_for,
    section_from_request,
    sensor_type_named,
)
from seccam_core.sensor_controller import SensorController

blueprint = Blueprint("sensors", __name__)


def controller() -> SensorController:
    """The running sensor controller (``seccam.services["sensors"]``)."""
    found = current_seccam().services.get("sensors")
    if not isinstance(found, SensorController):
        raise Unavailable("the sensor controller is not running")
    return found


@blueprint.get("/sensor/status")
async def sensor_status() -> dict[str, Any]:
    """The sensor's state: enabled, armed, triggered, suppressed, recording, config."""
    return controller().status()


@blueprint.get("/sensor/types")
async def sensor_types() -> list[dict[str, Any]]:
    """Every installed sensor type: wiring, default pin and calibration schema."""
    types = current_seccam().sensor_types
    return [types[name].declaration() for name in sorted(types)]


@blueprint.post("/sensor/configure")
@json_body(configure_schema)
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
async def sensor_enable() -> dict[str, Any]:
    """Enable the configured sensor and start it."""
    running = controller()
    await running.apply({"enabled": True})
    response: dict[str, Any] = {"message": "Sensor enabled"}
    if running.error:
        response["error"] = running.error
    return response


@blueprint.post("/sensor/disable")
async def sensor_disable() -> dict[str, Any]:
    """Stop the sensor (ending any recording it asked for) and disable it."""
    await controller().apply({"enabled": False})
    return {"message": "Sensor disabled"}


@blueprint.post("/sensor/test")
@json_body(SENSOR_TEST_SCHEMA)
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
