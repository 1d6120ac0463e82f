"""``/arming``: the arm mode in force (``GET``) and a manual change (``POST``)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import json_body, responds
from seccam_core.sensing.config import ARM_MODES
from seccam_core.services import ARMING

blueprint = Blueprint("arming", __name__)

MODE = {"enum": list(ARM_MODES)}
ARMING_STATE = {
    "type": "object",
    "properties": {
        "mode": {**MODE, "description": "the effective mode (after the presence rule)"},
        "source": {"enum": ["manual", "schedule", "presence"],
                   "description": "what set it"},
        "since": {"type": "string", "description": "ISO 8601 UTC"},
        "set_mode": {**MODE, "description": "the mode set by hand or by the schedule"},
        "next_change": {
            "type": "object",
            "properties": {"at": {"type": "string"}, "mode": MODE},
            "required": ["at", "mode"],
            "description": "the next schedule edge that changes the mode (absent if none)",
        },
    },
    "required": ["mode", "source", "since", "set_mode"],
}
SET_MODE = {"type": "object", "properties": {"mode": MODE}, "required": ["mode"],
            "additionalProperties": False}


@blueprint.get("/arming")
@responds(200, schema=ARMING_STATE)
async def arming_get() -> dict[str, Any]:
    """The arm mode in force, what set it, since when, and the next scheduled change."""
    return current_seccam().require(ARMING).status()


@blueprint.post("/arming")
@json_body(SET_MODE)
@responds(200, schema=ARMING_STATE)
async def arming_set(body: dict[str, Any]) -> dict[str, Any]:
    """Set the mode by hand; it holds until the next schedule window starts."""
    arming = current_seccam().require(ARMING)
    await arming.set_mode(body["mode"])
    return arming.status()
