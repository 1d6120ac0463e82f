"""``GET /events``: the Server-Sent-Events stream of the event bus."""

from __future__ import annotations

from collections.abc import AsyncIterator

from quart import Blueprint, Response, request

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import responds
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.errors import ApiError

blueprint = Blueprint("events", __name__)


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@blueprint.get("/events")
@responds(200, content_type="text/event-stream",
          description="never ends: `event:`, `id:`, `data:` (JSON) frames and heartbeats")
@responds(503, description="too many event streams are open",
          headers={"Retry-After": "seconds to wait before connecting again"})
async def events() -> Response:
    """Live events (``event:``/``id:``/``data:``); ``Last-Event-ID`` replays what was missed
    (the buffer's last few hundred events; before them, what the event history kept)."""
    seccam = current_seccam()
    if seccam.bus.subscriber_count >= seccam.config.max_sse_streams:
        raise ApiError(503, "too many event streams are open; try again later",
                       headers={"Retry-After": "5"})
    last_id = _last_event_id()
    heartbeat = seccam.config.heartbeat_seconds
    catalogue = seccam.get(CATALOGUE)

    async def stream() -> AsyncIterator[bytes]:
        # Subscribed only once the body is iterated: a stream dropped before its first
        # byte never holds a subscriber (nor a place under the stream cap).
        gap_until = None if last_id is None else seccam.bus.gap_before_buffer(last_id)
        subscription = seccam.bus.subscribe(last_id)
        try:
            yield b": heartbeat\n\n"
            if last_id is not None and gap_until is not None and catalogue is not None:
                # Missed more than the buffer holds: what the history kept comes first.
                older = await catalogue.history.frames_between(last_id, gap_until)
                if older:
                    yield b"".join(older)
            while True:
                frames = await subscription.next_frames(heartbeat)
                if frames is None:
                    return
                yield frames or b": heartbeat\n\n"
        finally:
            subscription.close("client gone")

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response
