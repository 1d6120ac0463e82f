"""``/sensor/mock/trigger`` and ``/sensor/mock/release``."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core import BadRequest, Seccam, message_answer, responds
from seccam_sensor_mock import MockSensor


def active_mock(seccam: Seccam) -> MockSensor:
    """The running mock sensor, or a 400 when the active sensor is something else."""
    sensors = seccam.sensors
    live = sensors.live_sensor if sensors is not None else None
    if not isinstance(live, MockSensor):
        raise BadRequest("Mock sensor is not active")
    return live


def make_blueprint(seccam: Seccam) -> Blueprint:
    """``/sensor/mock/trigger`` and ``/sensor/mock/release`` for this app."""
    blueprint = Blueprint("sensor_mock", __name__)

    @blueprint.post("/sensor/mock/trigger")
    @responds(200, schema=message_answer())
    async def mock_trigger() -> dict[str, Any]:
        """Fire the mock sensor's trigger (400 unless the mock is the active sensor)."""
        active_mock(seccam).trigger()
        return {"message": "Mock sensor triggered"}

    @blueprint.post("/sensor/mock/release")
    @responds(200, schema=message_answer())
    async def mock_release() -> dict[str, Any]:
        """Fire the mock sensor's release (400 unless the mock is the active sensor)."""
        active_mock(seccam).release()
        return {"message": "Mock sensor released"}

    return blueprint
