"""The event history and health samples: ``/events/history``, and the original's
``/event_history`` (+ ``/csv``) and ``/health_history`` spellings."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from quart import Blueprint, Response, jsonify

from seccam_core.api.context import current_seccam
from seccam_core.api.media import parse_since
from seccam_core.api.validation import query_args, responds
from seccam_core.catalogue.history import HISTORY_TYPES, SEVERITIES, History
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.errors import BadRequest

blueprint = Blueprint("history", __name__)

MAX_LIMIT = 10000
HISTORY_QUERY = {
    "type": "object",
    "properties": {
        "since": {"type": "string", "description": "ISO 8601 time (naive means UTC) or "
                  "epoch seconds: only events at or after it"},
        "until": {"type": "string", "description": "the same: only events at or before it"},
        "type": {"type": "string", "maxLength": 1000,
                 "description": "history types, comma-separated: "
                 + ", ".join(HISTORY_TYPES)},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                  "description": "at most this many, newest first (500)"},
    },
}
HOURS_QUERY = {
    "type": "object",
    "properties": {"hours": {"type": "number", "exclusiveMinimum": 0}},
}
HISTORY_ITEM = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "description": "the bus event's id (as in SSE `id:`)"},
        "timestamp": {"type": "string", "format": "date-time", "description": "UTC, ends in Z"},
        "type": {"type": "string", "enum": list(HISTORY_TYPES)},
        "event": {"type": "string", "description": "the bus event it came from"},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "detail": {"type": "string", "description": "one line for people"},
        "data": {"type": "object", "description": "the bus event's data (docs/events.md)"},
    },
    "required": ["id", "timestamp", "type", "event", "severity", "detail", "data"],
}
HISTORY_LIST = {"type": "array", "items": HISTORY_ITEM}
NULLABLE_NUMBER = {"type": ["number", "null"]}
HEALTH_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "timestamp": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "description": "the worst alert level then"},
            "cpu_temp": {**NULLABLE_NUMBER, "description": "°C, null off a Pi"},
            "load": {**NULLABLE_NUMBER, "description": "busiest core, percent"},
            "storage_pct": {**NULLABLE_NUMBER, "description": "media storage used, percent"},
            "alerts": {"type": "object", "description": "each metric's level"},
            "values": {"type": "object", "description": "each metric's value"},
        },
        "required": ["timestamp", "status", "cpu_temp", "load", "storage_pct", "alerts",
                     "values"],
    },
}


def history() -> History:
    return current_seccam().require(CATALOGUE).history


def _time(query: dict[str, Any], field: str) -> float | None:
    raw = query.get(field)
    if raw is None or raw == "":
        return None
    try:
        when: float | None = float(raw)
    except ValueError:
        when = parse_since(raw)
    if when is None or when != when or abs(when) > 1e11:
        raise BadRequest(f"{field}: not an ISO 8601 time or epoch seconds: {raw!r}")
    return when


def _types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    types = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [kind for kind in types if kind not in HISTORY_TYPES]
    if unknown:
        raise BadRequest(f"type: unknown history type {unknown[0]!r} (known: "
                         f"{', '.join(HISTORY_TYPES)})")
    return types


def _hours(query: dict[str, Any], default: float, most: float) -> float:
    return min(float(query.get("hours", default)), most)


@blueprint.get("/events/history")
@responds(200, schema=HISTORY_LIST, description="kept events, newest first")
@query_args(HISTORY_QUERY)
async def events_history(query: dict[str, Any]) -> Any:
    """What happened: sensor triggers, recordings, health alerts, presence... newest first."""
    since, until = _time(query, "since"), _time(query, "until")
    if since is not None and until is not None and until < since:
        raise BadRequest("until: earlier than since")
    items = await history().query(since=since, until=until, types=_types(query.get("type")),
                                  limit=int(query.get("limit", 500)))
    return jsonify(items)


@blueprint.get("/event_history")
@responds(200, schema=HISTORY_LIST, description="kept events of the last `hours`, newest first")
@query_args(HOURS_QUERY)
async def event_history(query: dict[str, Any]) -> Any:
    """The original's spelling: the last ``hours`` (168, at most 4380) of the history."""
    since = time.time() - _hours(query, 168, 4380) * 3600
    return jsonify(await history().query(since=since, limit=MAX_LIMIT))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading
    ``'``. Details hold names others chose (a Bluetooth device's, a sensor's), and
    ``=HYPERLINK(...)`` in a CSV runs when the owner opens the file."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@blueprint.get("/event_history/csv")
@responds(200, content_type="text/csv",
          description="columns timestamp, type, severity, detail; newest first; a detail "
          "that would start like a formula (= + - @) starts with ' instead")
@query_args(HOURS_QUERY)
async def event_history_csv(query: dict[str, Any]) -> Any:
    """The same as CSV, as the original had it."""
    since = time.time() - _hours(query, 168, 4380) * 3600
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["timestamp", "type", "severity", "detail"])
    for item in await history().query(since=since, limit=MAX_LIMIT):
        writer.writerow([item["timestamp"], item["type"], item["severity"],
                         spreadsheet_safe(item["detail"])])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=event_history.csv"
    return response


@blueprint.get("/health_history")
@responds(200, schema=HEALTH_LIST, description="health samples of the last `hours`, oldest first")
@query_args(HOURS_QUERY)
async def health_history(query: dict[str, Any]) -> Any:
    """Health samples (every ``History.health_sample_minutes``) of the last ``hours``
    (24, at most 72)."""
    since = time.time() - _hours(query, 24, 72) * 3600
    return jsonify(await history().health(since))
