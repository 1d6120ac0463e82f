"""``POST /notify/snooze``: hold notifications for a while."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core import BadRequest, json_body, responds

SNOOZE_BODY = {
    "type": "object",
    "properties": {"minutes": {"type": "number", "minimum": 0, "maximum": 10080,
                               "description": "how long to hold notifications; 0 ends it"}},
    "required": ["minutes"],
    "additionalProperties": False,
}


def make_blueprint(seccam: Any) -> Blueprint:
    """``POST /notify/snooze``."""
    blueprint = Blueprint("action_notify", __name__)

    @blueprint.post("/notify/snooze")
    @json_body(SNOOZE_BODY)
    @responds(200, schema={"type": "object", "required": ["snoozed_until"], "properties": {
        "snoozed_until": {"type": ["number", "null"], "description": "epoch seconds"}}})
    async def snooze(body: dict[str, Any]) -> dict[str, Any]:
        """Hold notifications for ``minutes`` (0 ends the snooze)."""
        runner = seccam.action_runner
        if runner is None or "notify" not in runner.states:
            raise BadRequest("the notify action is not running")
        return {"snoozed_until": await runner.snooze("notify", float(body["minutes"]))}

    return blueprint
