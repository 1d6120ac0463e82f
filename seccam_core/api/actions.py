"""``/actions``: every action's state and counters, its delivery log, a test, a snooze."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.actions import ActionRunner
from seccam_core.api.context import current_seccam
from seccam_core.api.validation import NULLABLE_STRING, json_body, responds
from seccam_core.errors import BadRequest, NotFound, Unavailable

blueprint = Blueprint("actions", __name__)

COUNT = {"type": "integer", "minimum": 0}
ACTION = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string"}},
        "section": {**NULLABLE_STRING, "description": "its settings section, if it has one"},
        "state": {"enum": ["idle", "busy", "snoozed", "disabled"]},
        "queued": {**COUNT, "description": "events waiting in its queue"},
        "snoozed_until": {"type": ["number", "null"], "description": "epoch seconds"},
        "last_error": NULLABLE_STRING,
        "sent": COUNT, "failed": COUNT, "skipped": COUNT, "retries": COUNT,
        "dropped": {**COUNT, "description": "events dropped because its queue was full"},
        "details": {"type": ["object", "null"],
                    "description": "the action's own status (the MQTT plugin: connected, "
                                   "last_error, messages_sent, overflow)"},
    },
    "required": ["name", "events", "state", "queued", "sent", "failed", "skipped",
                 "dropped", "retries"],
}
DELIVERY = {
    "type": "object",
    "properties": {
        "time": {"type": "string", "format": "date-time"},
        "event": {"type": "string"},
        "event_id": {"type": ["integer", "null"]},
        "incident_id": NULLABLE_STRING,
        "outcome": {"enum": ["sent", "nothing sent", "failed", "skipped", "dropped"]},
        "attempts": COUNT,
        "error": {**NULLABLE_STRING, "description": "why it failed or was skipped"},
    },
    "required": ["time", "event", "outcome", "attempts", "error"],
}
TEST_RESULT = {
    "type": "object",
    "properties": {"outcome": {"type": "string"}, "attempts": COUNT, "error": NULLABLE_STRING},
    "required": ["outcome", "attempts", "error"],
}
SNOOZE_BODY = {
    "type": "object",
    "properties": {"minutes": {"type": "number", "minimum": 0, "maximum": 7 * 24 * 60,
                               "description": "how long to hold messages; 0 ends a snooze"}},
    "required": ["minutes"],
    "additionalProperties": False,
}
SNOOZED = {
    "type": "object",
    "properties": {"snoozed_until": {"type": ["number", "null"],
                                     "description": "epoch seconds; null: not snoozed"}},
    "required": ["snoozed_until"],
}


def runner() -> ActionRunner:
    action_runner = current_seccam().action_runner
    if action_runner is None:
        raise Unavailable("the actions are not running")
    return action_runner


def known(name: str) -> ActionRunner:
    action_runner = runner()
    if name not in action_runner.states:
        raise NotFound(f"no action named {name!r}", available=sorted(action_runner.states))
    return action_runner


@blueprint.get("/actions")
@responds(503, description="the actions are not running")
@responds(200, schema={"type": "object", "properties": {"actions": {"type": "array",
                                                                     "items": ACTION}},
                       "required": ["actions"]})
async def list_actions() -> dict[str, Any]:
    """Every action: its state (idle, busy, snoozed, disabled) and its counters."""
    return {"actions": runner().listing()}


@blueprint.get("/actions/<name>/deliveries")
@responds(404, description="no action of that name (`available` lists them)")
@responds(200, schema={"type": "object", "properties": {"deliveries": {"type": "array",
                                                                        "items": DELIVERY}},
                       "required": ["deliveries"]})
async def deliveries(name: str) -> dict[str, Any]:
    """The action's last 100 messages, newest first: time, event, outcome, attempts, error."""
    return {"deliveries": known(name).states[name].deliveries.listing()}


@blueprint.post("/actions/<name>/test")
@responds(404, description="no action of that name (`available` lists them)")
@responds(200, schema=TEST_RESULT)
async def send_test(name: str) -> dict[str, Any]:
    """Send a test message through the action now (its retries apply; the gate does not)."""
    return await known(name).send_test(name)


@blueprint.post("/actions/<name>/snooze")
@responds(404, description="no action of that name (`available` lists them)")
@json_body(SNOOZE_BODY)
@responds(200, schema=SNOOZED)
async def snooze(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Hold the action's messages for ``minutes`` (0 ends the snooze)."""
    action_runner = known(name)
    try:
        until = await action_runner.snooze(name, float(body["minutes"]))
    except LookupError as exc:
        raise BadRequest(str(exc)) from None
    return {"snoozed_until": until}
