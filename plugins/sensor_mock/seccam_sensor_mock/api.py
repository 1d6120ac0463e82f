"""``/sensor/mock/trigger`` and ``/sensor/mock/release``."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core import BadRequest, Seccam, json_body, message_answer, responds
from seccam_sensor_mock import MockSensor

MOCK_BODY = {
    "type": "object",
    "properties": {"sensor_id": {"type": "string", "minLength": 1, "maxLength": 40,
                                 "description": "which mock sensor (default: the primary)"}},
    "additionalProperties": False,
}


def active_mock(seccam: Seccam, sensor_id: str | None = None) -> MockSensor:
    """The running mock sensor (the primary, or ``sensor_id``), else a 400."""
    sensors = seccam.sensors
    live = sensors.live_sensor_of(sensor_id) if sensors is not None else None
    if not isinstance(live, MockSensor):
        if sensor_id is not None:
            raise BadRequest(f"sensor_id: {sensor_id!r} is not a running mock sensor")
        raise BadRequest("Mock sensor is not active")
    return live


def make_blueprint(seccam: Seccam) -> Blueprint:
    """``/sensor/mock/trigger`` and ``/sensor/mock/release`` for this app."""
    blueprint = Blueprint("sensor_mock", __name__)

    @blueprint.post("/sensor/mock/trigger")
    @json_body(MOCK_BODY)
    @responds(200, schema=message_answer())
    async def mock_trigger(body: dict[str, Any]) -> dict[str, Any]:
        """Fire a mock sensor's trigger (400 unless that sensor is a running mock)."""
        active_mock(seccam, body.get("sensor_id")).trigger()
        return {"message": "Mock sensor triggered"}

    @blueprint.post("/sensor/mock/release")
    @json_body(MOCK_BODY)
    @responds(200, schema=message_answer())
    async def mock_release(body: dict[str, Any]) -> dict[str, Any]:
        """Fire a mock sensor's release (400 unless that sensor is a running mock)."""
        active_mock(seccam, body.get("sensor_id")).release()
        return {"message": "Mock sensor released"}

    return blueprint
