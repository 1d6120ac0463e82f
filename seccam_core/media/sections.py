"""The settings sections the media plugin owns: ``Camera`` and ``Timelapse``."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from seccam_core.contributions import SettingsSection
from seccam_core.files import SYSTEM_FOLDERS, system_path_problem

_SYSTEM_DIRS = "|".join(SYSTEM_FOLDERS)
CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https", "srt")
"""What a camera serves: RTSP (MediaMTX, IP cameras), HTTP(S) (MJPEG, HLS) and SRT as a
caller. ``udp://`` (always a listener), ``file:``, ``tcp:`` and the rest are refused."""
LISTENER_OPTIONS = frozenset({"listen", "listen_timeout", "rtsp_flags", "mode"})
"""URL options that would make the camera process accept pushed video from anyone."""
# Empty (the default <data>/recordings), a relative folder, or an absolute folder at least
# two levels deep outside the system folders; never "..", never a control character: the
# recordings folder is where listings, the storage cleaner and /delete_video operate
# (ORIGINAL S8). The real path it resolves to is checked too (camera_check).
RECORDINGS_DIR_PATTERN = (
    r"^$"
    r"|^(?!/)(?!(?:.*/)?\.\.(?:/|$))[^\x00-\x1f\x7f]+$"
    rf"|^(?!/(?:{_SYSTEM_DIRS})(?:/|$))(?!(?:.*/)?\.\.(?:/|$))"
    r"/[^/\x00-\x1f\x7f]+/[^\x00-\x1f\x7f]*[^/\x00-\x1f\x7f]$"
)
# The generated test picture: even sides (H.264's 4:2:0 needs them), at most 1920x1080.
_EVEN_WIDTH = r"(?:1[68]|[2-9][02468]|[1-9]\d[02468]|1[0-8]\d[02468]|19[01][02468]|1920)"
_EVEN_HEIGHT = r"(?:1[68]|[2-9][02468]|[1-9]\d[02468]|10[0-7][02468]|1080)"
TEST_PATTERN_SIZE_PATTERN = rf"^{_EVEN_WIDTH}x{_EVEN_HEIGHT}$"

CAMERA_SECTION = SettingsSection(
    name="Camera",
    description="The camera source, where recordings go, and the pre-roll buffer.",
    schema={
        "type": "object",
        "properties": {
            "source": {
                "type": "string", "maxLength": 500,
                "pattern": r"^(?:testpattern|(?:rtsps?|https?|srt)://[^\s\x00-\x1f\x7f]+)$",
                "description": "\"testpattern\" (a generated picture with a running clock) "
                "or a stream URL such as rtsp://localhost:8554/cam (MediaMTX on a Pi): "
                "rtsp, rtsps, http, https or srt, never a listener (listen, mode=listener) "
                "nor a link-local address; credentials in it are shown masked.",
            },
            "recordings_dir": {
                "type": "string", "maxLength": 500, "pattern": RECORDINGS_DIR_PATTERN,
                "description": "Folder for recordings and snapshots; empty means "
                "<data>/recordings, relative paths are inside the data folder; "
                "the root and system folders are refused.",
            },
            "pre_roll_seconds": {"type": "number", "minimum": 0, "maximum": 30,
                                 "description": "Seconds before a trigger every recording holds."},
            "test_pattern_size": {"type": "string", "pattern": TEST_PATTERN_SIZE_PATTERN,
                                  "description": "WIDTHxHEIGHT of the test pattern source: "
                                  "even numbers, 16x16 to 1920x1080."},
            "test_pattern_fps": {"type": "integer", "minimum": 1, "maximum": 30,
                                 "description": "Frames per second of the test pattern."},
            "max_recording_seconds": {
                "type": "integer", "minimum": 10, "maximum": 86400,
                "description": "A recording is stopped after this long, whatever asked for it.",
            },
            "stall_seconds": {
                "type": "number", "minimum": 5, "maximum": 300,
                "description": "The capture restarts when no video arrived for this long "
                "(a source that stalled without closing); at least three segments' length.",
            },
        },
        "additionalProperties": False,
    },
    defaults={
        "source": "testpattern",
        "recordings_dir": "",
        "pre_roll_seconds": 5,
        "test_pattern_size": "640x480",
        "test_pattern_fps": 10,
        "max_recording_seconds": 3600,
        "stall_seconds": 20,
    },
)

TIMELAPSE_SCHEMA = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean", "description": "Whether frames are captured."},
        "interval_minutes": {"type": "number", "minimum": 1, "maximum": 60,
                             "description": "Minutes between two frames."},
        "fps": {"type": "integer", "minimum": 1, "maximum": 60,
                "description": "Frames per second of the day's video."},
        "resolution": {"enum": ["original", "640:480", "320:240", "640x480", "320x240"],
                       "description": "Size of the frames; original keeps the camera's."},
    },
    "additionalProperties": False,
}

TIMELAPSE_SECTION = SettingsSection(
    name="Timelapse",
    description="A frame every few minutes, stitched into one video per day.",
    schema=TIMELAPSE_SCHEMA,
    defaults={"enabled": False, "interval_minutes": 5, "fps": 24, "resolution": "640x480"},
)


def _real_folder_problem(configured: str, data_dir: Path) -> str | None:
    problem = system_path_problem("Camera.recordings_dir", configured, data_dir)
    if problem is not None:
        return problem
    folder = Path(configured) if Path(configured).is_absolute() else data_dir / configured
    if len(Path(os.path.realpath(folder)).parts) < 3:  # resolvable: checked just above
        return (f"Camera.recordings_dir: {configured!r} resolves to a folder directly "
                "under the root")
    return None


def _source_problem(source: str) -> str | None:
    if source == "testpattern":
        return None
    try:
        url = urlsplit(source)
        host = url.hostname or ""
        url.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        return f"Camera.source: not a usable URL ({exc})"
    if url.scheme.lower() not in CAMERA_SCHEMES:
        return f"Camera.source: the scheme must be one of {', '.join(CAMERA_SCHEMES)}"
    if not host:
        return "Camera.source: the URL names no host"
    options = {key.lower(): value.lower() for key, value in
               parse_qsl(url.query, keep_blank_values=True)}
    if (LISTENER_OPTIONS - {"mode"}) & options.keys() or options.get("mode", "caller") != "caller":
        return ("Camera.source: listener options (listen, mode=listener, rtsp_flags) are "
                "refused: the camera only fetches a stream")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return "Camera.source: link-local, multicast and unspecified addresses are refused"
    return None


def camera_check(data_dir: Path) -> Callable[[Mapping[str, Any], Mapping[str, Any]], str | None]:
    """The ``Camera`` rules beyond its schema: the real folder and the source's URL."""

    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        configured = new.get("recordings_dir") or ""
        if isinstance(configured, str) and configured:
            problem = _real_folder_problem(configured, data_dir)
            if problem is not None:
                return problem
        source = new.get("source")
        return _source_problem(source) if isinstance(source, str) else None

    return check
