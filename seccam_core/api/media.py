"""Media endpoints: snapshots, recordings, thumbnails, sprites, the archive, streaming.

Every path from a request goes through the layout's file areas (``FileArea.resolve``):
inside the recordings folder, the right name pattern, no symlink out. Images are
cached for 24 hours; videos support HTTP Range, so browsers can seek.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quart import Blueprint, Response, jsonify, request, send_file

from seccam_core.api.context import current_seccam
from seccam_core.api.media_schemas import (
    ARCHIVE_QUERY,
    CAMERA_STATUS,
    DELETED_FILE,
    LIST_QUERY,
    MEDIA_LINK,
    MEDIA_LINK_BODY,
    PATH_QUERY,
    RECONCILED,
    RECORDING_LIST,
    RECORDING_STATUS,
    RECORDING_TOGGLED,
    SNAPSHOT_BODY,
    SNAPSHOT_LIST,
    VIDEO_BODY,
    VIDEO_QUERY,
)
from seccam_core.api.validation import json_body, query_args, responds
from seccam_core.catalogue.archive import day_span
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.errors import ApiError, BadRequest, NotFound, Unavailable
from seccam_core.media.camera import CameraUnavailable
from seccam_core.media.ffmpeg import FfmpegError
from seccam_core.media.layout import resolved_sidecars, sidecar_area, sidecars
from seccam_core.media.live_video import PLAYLIST_TYPE, SEGMENT_TYPE
from seccam_core.media.recorder import RecorderUnavailable
from seccam_core.media.service import MEDIA, MediaService
from seccam_core.media_links import DEFAULT_SECONDS, LIVE_SEGMENT_RULE, link_target

blueprint = Blueprint("media", __name__)

IMAGE_CACHE_SECONDS = 24 * 3600
DEFAULT_LIST_LIMIT = 1000

def media() -> MediaService:
    """The running media service (503 while the media plugin is off)."""
    return current_seccam().require(MEDIA)


def required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} is required")
    return value


def _recording(requested: Any, field: str = "video_path", *, must_exist: bool = True) -> Path:
    path = media().layout.recordings_area().resolve(
        required_text(requested, field), field=field, must_exist=must_exist
    )
    if path.name.endswith(".part.mp4"):
        raise BadRequest(f"{field}: this recording is still being written")
    return path


async def send_image(path: Path) -> Response:
    """A JPEG with 24 h cache headers."""
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("no such image")
    response = await send_file(path, mimetype="image/jpeg", cache_timeout=IMAGE_CACHE_SECONDS)
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_CACHE_SECONDS}"
    return response


async def send_video(path: Path, *, download: bool = False) -> Response:
    """An MP4 with HTTP Range support (206 partial content, ``Accept-Ranges``)."""
    response = await send_file(path, mimetype="video/mp4", conditional=True,
                               as_attachment=download, cache_timeout=0)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def image_responses(view: Any) -> Any:
    """Document an image view: the JPEG, or 404."""
    view = responds(200, content_type="image/jpeg", description="the JPEG")(view)
    return responds(404, description="no such image")(view)


def video_responses(view: Any) -> Any:
    """Document a video view: 200 or 206 (Range) as video/mp4, 416, 404."""
    ranges = {"Accept-Ranges": "bytes: a Range request gets a 206"}
    view = responds(200, content_type="video/mp4", description="the whole video",
                    headers=ranges)(view)
    view = responds(206, content_type="video/mp4", description="the requested Range",
                    headers={**ranges, "Content-Range": "which bytes of the file"})(view)
    view = responds(416, description="the Range is outside the file")(view)
    return responds(404, description="no such video")(view)


PAGED = {"X-Total-Count": "how many there are in all, past `offset` and `limit` too"}


async def page_of(kind: str, query: dict[str, Any], **filters: Any) -> Response:
    """One page of the archive's ``kind`` as JSON, with the total in ``X-Total-Count``."""
    body, total = await media().archive.page(kind, query.get("offset", 0),
                                             query.get("limit", DEFAULT_LIST_LIMIT), **filters)
    response = Response(body, mimetype="application/json")
    response.headers["X-Total-Count"] = str(total)
    return response


async def json_list(items: list[dict[str, Any]]) -> Response:
    """A JSON array response, encoded in a worker thread (a long list must not block)."""
    body = await asyncio.to_thread(json.dumps, items, separators=(",", ":"))
    return Response(body, mimetype="application/json")


def parse_since(raw: str | None) -> float | None:
    """An ISO 8601 time (naive means UTC) as epoch seconds, or ``None`` if unusable."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.timestamp()
    except (OverflowError, ValueError, OSError):  # year 1 with a positive offset
        return None


# --- recording -------------------------------------------------------------------------


@blueprint.get("/recording_status")
@responds(200, schema=RECORDING_STATUS, description="the recorder's state")
async def recording_status() -> Any:
    """Whether a recording is running, since when and why."""
    return jsonify(media().recorder.status())


@blueprint.post("/toggle_recording")
@responds(200, schema=RECORDING_TOGGLED, description="the new state")
async def toggle_recording() -> Any:
    """Start a manual recording, or stop the one running."""
    try:
        recording, finished = await media().recorder.toggle()
    except RecorderUnavailable as exc:
        raise Unavailable(str(exc)) from None
    message = "Recording started" if recording else "Recording stopped"
    answer = {"message": message, **media().recorder.status()}
    if finished is not None:
        answer["path"] = str(finished)
    return jsonify(answer)


@blueprint.get("/camera/status")
@responds(200, schema=CAMERA_STATUS, description="the capture pipeline's state")
async def camera_status() -> Any:
    """The capture pipeline's state, its source and how much pre-roll is buffered."""
    return jsonify(media().camera.status())


@blueprint.get("/camera/frame")
@responds(200, content_type="image/jpeg", description="the newest frame, 640 px wide",
          headers={"X-Frame-Time": "when the frame was taken, epoch seconds"})
@responds(503, description="the camera has no recent video")
async def camera_frame() -> Any:
    """The camera's newest frame as a JPEG (the dashboard's live view; about one a second)."""
    try:
        jpeg, taken = await media().live_frame.jpeg()
    except CameraUnavailable as exc:
        raise Unavailable(str(exc)) from None
    except (FfmpegError, OSError, TimeoutError) as exc:
        raise Unavailable(f"the frame could not be cut: {exc or 'timeout'}") from None
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["X-Frame-Time"] = f"{taken:.3f}"
    return response


# --- live video (HLS) --------------------------------------------------------------------

SEGMENT_LINK_SECONDS = 120
"""A playlist's segment links are fetched within seconds; two minutes is plenty."""


@blueprint.get("/live/stream.m3u8")
@responds(200, content_type=PLAYLIST_TYPE,
          description="a live HLS playlist of the newest segments, each a signed link")
@responds(503, description="the camera has no recent video")
async def live_playlist() -> Any:
    """Live video as HLS, the camera's own H.264 (never re-encoded). Open it with a
    signed link from ``POST /media/link`` (or ``?token=``): the segments it lists are
    signed links of their own, so a player needs nothing else."""
    links = current_seccam().auth.links
    service = media()
    await service.camera.wait_while_starting()

    def segment_url(sequence: int) -> str:
        return links.make(f"/live/segment/{sequence}.ts", [], SEGMENT_LINK_SECONDS)[0]

    try:
        # On the loop, as the camera's segment listener: both change the window.
        text = service.live_video.playlist(segment_url)
    except CameraUnavailable as exc:
        raise Unavailable(str(exc)) from None
    return Response(text, mimetype=PLAYLIST_TYPE)


@blueprint.get(LIVE_SEGMENT_RULE)
@responds(200, content_type=SEGMENT_TYPE, description="one MPEG-TS segment")
@responds(404, description="the segment has left the live window")
async def live_segment(sequence: int) -> Any:
    """One segment of the live playlist, by its sequence number."""
    path = media().live_video.segment(sequence)
    if path is None:
        raise NotFound("this segment has left the live window")
    try:
        return await send_file(path, mimetype=SEGMENT_TYPE, conditional=True)
    except FileNotFoundError:
        raise NotFound("this segment has left the live window") from None


# --- snapshots --------------------------------------------------------------------------


@blueprint.post("/snapshot")
@responds(200, schema={"type": "object", "properties": {"path": {"type": "string"}},
                        "required": ["path"]}, description="the saved snapshot")
@responds(500, description="the capture failed (the reason is in `error`)")
async def snapshot() -> Any:
    """Save one JPEG from the live camera; 500 with the reason when that fails."""
    try:
        path = await media().snapshot()
    except (CameraUnavailable, FfmpegError, OSError, TimeoutError) as exc:
        raise ApiError(500, f"snapshot failed: {exc or 'timeout'}") from None
    return jsonify({"path": str(path)})


@blueprint.get("/snapshots")
@responds(200, schema=SNAPSHOT_LIST, description="snapshots, newest first", headers=PAGED)
@query_args(LIST_QUERY)
async def snapshots(query: dict[str, Any]) -> Any:
    """Snapshots, newest first: path, name, size, mtime and creation time."""
    return await page_of("snapshot", query)


@blueprint.get("/snapshot_image")
@image_responses
@query_args(PATH_QUERY)
async def snapshot_image(query: dict[str, Any]) -> Any:
    """The JPEG of one snapshot (cached 24 h)."""
    path = media().layout.snapshots_area().resolve(required_text(query.get("path"), "path"))
    return await send_image(path)


@blueprint.post("/delete_snapshot")
@responds(200, schema=DELETED_FILE, description="the snapshot is gone")
@json_body(SNAPSHOT_BODY)
async def delete_snapshot(body: dict[str, Any]) -> Any:
    """Delete one snapshot (only snapshot_*.jpg inside the recordings folder)."""
    service = media()
    path = service.layout.snapshots_area().resolve(body["snapshot_path"], field="snapshot_path")
    await asyncio.to_thread(path.unlink, True)
    service.archive.forget(path)
    current_seccam().bus.publish("archive_updated", {"path": str(path), "type": "deleted"})
    return jsonify({"message": "Snapshot deleted", "path": str(path)})


# --- thumbnails and sprites --------------------------------------------------------------


async def _sidecar(requested: Any, index: int) -> Response:
    video = _recording(requested, must_exist=False)
    return await send_sidecar(video, index)


async def send_sidecar(video: Path, index: int) -> Response:
    """A video's thumbnail (0) or sprite (1), through the safe resolver: 404 otherwise."""
    try:
        image = sidecar_area(video).resolve(str(sidecars(video)[index]))
    except ApiError:
        raise NotFound("no such image") from None
    return await send_image(image)


@blueprint.get("/thumbnail")
@image_responses
@query_args(VIDEO_QUERY)
async def thumbnail(query: dict[str, Any]) -> Any:
    """The JPEG taken when a recording started (cached 24 h)."""
    return await _sidecar(query.get("video_path"), 0)


@blueprint.get("/thumbnail/<path:name>")
@image_responses
async def thumbnail_by_name(name: str) -> Any:
    """The same, by the recording's file name."""
    return await _sidecar(name, 0)


@blueprint.get("/sprite")
@image_responses
@query_args(VIDEO_QUERY)
async def sprite(query: dict[str, Any]) -> Any:
    """A recording's hover-scrub strip, 10 frames of 160x90 (cached 24 h)."""
    return await _sidecar(query.get("video_path"), 1)


@blueprint.get("/sprite/<path:name>")
@image_responses
async def sprite_by_name(name: str) -> Any:
    """The same, by the recording's file name."""
    return await _sidecar(name, 1)


# --- archive ---------------------------------------------------------------------------------


@blueprint.get("/archive")
@responds(200, schema=RECORDING_LIST, description="recordings, newest first",
          headers=PAGED)
@query_args(ARCHIVE_QUERY)
async def archive_list(query: dict[str, Any]) -> Any:
    """Recordings, newest first: path, size, mtime, duration, thumbnail/sprite flags;
    ``day`` and ``sensor`` narrow the list (and its X-Total-Count)."""
    day = query.get("day")
    if day is not None:
        try:
            day_span(day)
        except (ValueError, OverflowError, OSError):
            raise BadRequest("day: not a date (YYYY-MM-DD)") from None
    return await page_of("recording", query, day=day, sensor=query.get("sensor"))


@blueprint.get("/archive/count")
@responds(200, schema={"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}},
                        "required": ["count"]})
async def archive_count() -> Any:
    """How many recordings there are."""
    return jsonify({"count": await media().archive.count("recording")})


@blueprint.get("/archive/new_count")
@responds(200, schema={"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}},
                        "required": ["count"]})
async def archive_new_count() -> Any:
    """Recordings, timelapses and snapshots added after ``since`` (0 if since is unusable)."""
    since = parse_since(request.args.get("since"))
    if since is None:
        return jsonify({"count": 0})
    return jsonify({"count": await media().archive.new_count(since)})


@blueprint.get("/stream_video")
@video_responses
@query_args(VIDEO_QUERY)
async def stream_video(query: dict[str, Any]) -> Any:
    """A recording as video/mp4, with Range support; ``download=1`` as an attachment."""
    path = _recording(query.get("video_path"))
    return await send_video(path, download=bool(query.get("download")))


@blueprint.post("/delete_video")
@responds(200, schema=DELETED_FILE, description="the recording is gone")
@json_body(VIDEO_BODY)
async def delete_video(body: dict[str, Any]) -> Any:
    """Delete a recording and its sidecars (thumbnail, sprite, metadata)."""
    service = media()
    path = _recording(body["video_path"])

    def remove() -> None:
        for sidecar in resolved_sidecars(path):
            sidecar.unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    await asyncio.to_thread(remove)
    service.archive.forget(path)
    current_seccam().bus.publish("archive_updated", {"path": str(path), "type": "deleted"})
    return jsonify({"message": "Video deleted", "path": str(path)})


@blueprint.post("/archive/reconcile")
@responds(200, schema=RECONCILED, description="the catalogue agrees with the folder again")
async def archive_reconcile() -> Any:
    """Compare the archive catalogue with the recordings folder now (files added or
    removed by hand); it also happens at start and whenever the folder changes."""
    report = await current_seccam().require(CATALOGUE).reconcile()
    if report is None:  # the folder was switched meanwhile: that one is being listed
        raise Unavailable("the recordings folder changed meanwhile; try again")
    return jsonify(report.as_dict())


# --- signed links ------------------------------------------------------------------------


@blueprint.post("/media/link")
@responds(200, schema=MEDIA_LINK, description="the signed link")
@json_body(MEDIA_LINK_BODY)
async def media_link(body: dict[str, Any]) -> Any:
    """A signed link to one media file (a clip, a timelapse, a snapshot, a thumbnail or
    a sprite) that works without the token, for GET and HEAD only, until it expires:
    for a ``<video>`` element that seeks with Range requests, or a download link.
    Regenerating the token revokes every link."""
    try:
        path, pairs = link_target(body["url"])
    except ValueError as exc:
        raise BadRequest(f"url: {exc}") from None
    url, expires = current_seccam().auth.links.make(
        path, pairs, body.get("seconds", DEFAULT_SECONDS))
    expires_at = datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")
    return jsonify({"url": url, "expires_at": expires_at})
