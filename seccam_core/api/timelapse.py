"""Timelapse endpoints: status, configure (and start/stop), list, video, thumbnail, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from quart import Blueprint, jsonify

from seccam_core.api.context import current_seccam
from seccam_core.api.media import (
    image_responses,
    json_list,
    media,
    required_text,
    send_sidecar,
    send_video,
    video_responses,
)
from seccam_core.api.media_schemas import (
    DELETED_FILE,
    DURATION,
    FILE_FIELDS,
    FILE_REQUIRED,
    PATH_QUERY,
)
from seccam_core.api.validation import (
    NULLABLE_STRING,
    json_body,
    message_answer,
    query_args,
    responds,
)
from seccam_core.media.layout import resolved_sidecars, sidecars
from seccam_core.media.sections import TIMELAPSE_SCHEMA

blueprint = Blueprint("timelapse", __name__)

CONFIGURE_BODY = {**TIMELAPSE_SCHEMA, "minProperties": 1}
PATH_BODY = {
    "type": "object",
    "properties": {"path": {"type": "string", "minLength": 1}},
    "required": ["path"],
}

_SETTINGS = cast(dict[str, Any], TIMELAPSE_SCHEMA["properties"])
TIMELAPSE_STATUS = {
    "type": "object",
    "properties": {
        "enabled": _SETTINGS["enabled"],
        "interval_minutes": _SETTINGS["interval_minutes"],
        "fps": _SETTINGS["fps"],
        "resolution": {"type": "string", **_SETTINGS["resolution"]},
        "today_frame_count": {"type": "integer", "minimum": 0,
                              "description": "frames captured today, waiting for the stitch"},
        "last_capture": {"type": ["string", "null"], "format": "date-time",
                         "description": "when the newest frame was taken (ISO 8601, local "
                         "time with its UTC offset)"},
        "error": {**NULLABLE_STRING, "description": "why the last frame or stitch failed"},
    },
    "required": ["enabled", "interval_minutes", "fps", "resolution", "today_frame_count",
                 "last_capture", "error"],
}
TIMELAPSE_CHANGED = message_answer(status=TIMELAPSE_STATUS, always=("status",))
TIMELAPSE_ITEM = {
    "type": "object",
    "properties": {
        **FILE_FIELDS,
        "duration": DURATION,
        "date": {"type": "string", "format": "date", "description": "the day it shows"},
        "thumbnail": {"type": "string", "description": "the thumbnail image's absolute path "
                      "(GET /timelapse/thumbnail takes the video's); absent when there is none"},
    },
    "required": [*FILE_REQUIRED, "duration", "date"],
}
TIMELAPSE_LIST = {"type": "array", "items": TIMELAPSE_ITEM}


async def _save(changes: dict[str, Any]) -> dict[str, Any]:
    seccam = current_seccam()
    await seccam.settings.save("Timelapse", changes)
    return media().timelapse.status()


@blueprint.get("/timelapse/status")
@responds(200, schema=TIMELAPSE_STATUS, description="the timelapse's state")
async def timelapse_status() -> Any:
    """Enabled, interval, fps, resolution, today's frame count and the last capture."""
    return jsonify(media().timelapse.status())


@blueprint.post("/timelapse/configure")
@responds(200, schema=TIMELAPSE_CHANGED, description="saved; the new state")
@json_body(CONFIGURE_BODY)
async def timelapse_configure(body: dict[str, Any]) -> Any:
    """Change any of enabled, interval_minutes (1-60), fps, resolution."""
    status = await _save(body)
    return jsonify({"message": "Timelapse settings saved", "status": status})


@blueprint.post("/timelapse/start")
@responds(200, schema=TIMELAPSE_CHANGED, description="enabled; the new state")
async def timelapse_start() -> Any:
    """Enable timelapse capture."""
    status = await _save({"enabled": True})
    return jsonify({"message": "Timelapse started", "status": status})


@blueprint.post("/timelapse/stop")
@responds(200, schema=TIMELAPSE_CHANGED, description="disabled; the new state")
async def timelapse_stop() -> Any:
    """Disable timelapse capture (today's frames are kept)."""
    status = await _save({"enabled": False})
    return jsonify({"message": "Timelapse stopped", "status": status})


@blueprint.get("/timelapse")
@responds(200, schema=TIMELAPSE_LIST, description="timelapse videos, newest first")
async def timelapse_list() -> Any:
    """Stitched timelapse videos, newest first, with their thumbnail when there is one."""
    items = []
    for entry in await media().archive.entries("timelapse"):
        item = {key: value for key, value in entry.items() if key != "thumbnail"}
        if entry.get("thumbnail"):
            item["thumbnail"] = str(sidecars(Path(entry["path"]))[0])
        items.append(item)
    return await json_list(items)


@blueprint.get("/timelapse/video")
@video_responses
@query_args(PATH_QUERY)
async def timelapse_video(query: dict[str, Any]) -> Any:
    """A timelapse video as video/mp4, with Range support."""
    path = media().layout.timelapse_area().resolve(required_text(query.get("path"), "path"))
    return await send_video(path)


@blueprint.get("/timelapse/thumbnail")
@image_responses
@query_args(PATH_QUERY)
async def timelapse_thumbnail(query: dict[str, Any]) -> Any:
    """A timelapse video's thumbnail (cached 24 h)."""
    video = media().layout.timelapse_area().resolve(
        required_text(query.get("path"), "path"), must_exist=False
    )
    return await send_sidecar(video, 0)


@blueprint.post("/timelapse/delete")
@responds(200, schema=DELETED_FILE, description="the video is gone")
@json_body(PATH_BODY)
async def timelapse_delete(body: dict[str, Any]) -> Any:
    """Delete a timelapse video (only timelapse_*.mp4 in the timelapse folder) and its thumbnail."""
    service = media()
    path = service.layout.timelapse_area().resolve(body["path"])

    def remove() -> None:
        for sidecar in resolved_sidecars(path):
            sidecar.unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    await asyncio.to_thread(remove)
    service.archive.forget(path)
    current_seccam().bus.publish("archive_updated", {"path": str(path), "type": "deleted"})
    return jsonify({"message": "Timelapse deleted", "path": str(path)})
