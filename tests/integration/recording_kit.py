"""What the end-to-end recording tests share: settings, waiting, and checking media as a user."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from seccam_core.media.ffmpeg import find_ffmpeg
from seccam_core.testing import EventReader, SSEEvent, wait_until

# A small, cheap test pattern: two cores are shared by many.
FAST_CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10}


def add_settings(data_dir: Path, document: dict[str, Any]) -> None:
    """Merge sections into settings.json before the server starts (keeps the netns seed)."""
    path = data_dir / "settings.json"
    current: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    for section, fields in document.items():
        current.setdefault(section, {}).update(fields)
    path.write_text(json.dumps(current))


def camera_holds(server: Any, seconds: float) -> dict[str, Any]:
    """Wait until the camera runs and its ring holds ``seconds`` of video (the pre-roll)."""
    client = server.client()

    def ready() -> dict[str, Any] | None:
        status = client.get("/camera/status").json()
        if status["state"] == "running" and status["buffered_seconds"] >= seconds:
            return status
        return None

    return wait_until(ready, 30, f"{seconds} s of pre-roll in the camera's ring")


def events_until(reader: EventReader, event_type: str,
                 predicate: Callable[[Any], bool] = lambda d: True,
                 timeout: float = 15.0) -> list[SSEEvent]:
    """Every event read up to and including the first ``event_type`` matching ``predicate``."""
    seen: list[SSEEvent] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {event_type} within {timeout} s; saw "
                               f"{[(e.type, e.data) for e in seen]}")
        try:
            event = reader.next(remaining)
        except queue.Empty:
            continue
        if event is None:
            raise ConnectionError(f"stream closed while waiting for {event_type}")
        seen.append(event)
        if event.type == event_type and predicate(event.data):
            return seen


def events_during(reader: EventReader, seconds: float) -> list[SSEEvent]:
    """Every event read in the next ``seconds``: for asserting that something does NOT happen."""
    seen: list[SSEEvent] = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            event = reader.next(remaining)
        except queue.Empty:
            break
        if event is None:
            raise ConnectionError("stream closed")
        seen.append(event)
    return seen


def of_type(events: list[SSEEvent], event_type: str) -> list[Any]:
    return [e.data for e in events if e.type == event_type]


def decode(path: Path) -> tuple[int, float]:
    """Decode every frame (a broken file fails: ``-xerror``); exit code and decoded seconds."""
    result = subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-nostdin", "-xerror", "-i", str(path),
         "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", result.stderr)
    assert times, result.stderr
    hours, minutes, seconds = times[-1]
    return result.returncode, int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def image_size(data: bytes, scratch: Path) -> str:
    """A JPEG's ``WxH`` as ffmpeg reads it (what an image viewer would show)."""
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9", "not a JPEG"
    scratch.write_bytes(data)
    result = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(scratch)],
                            capture_output=True, text=True, timeout=30)
    match = re.search(r"Video: mjpeg.*?, (\d+x\d+)", result.stderr)
    assert match, result.stderr
    return match.group(1)


def epoch(iso: str) -> float:
    """Seconds since the epoch of an ISO UTC time as the API writes it (``...Z``)."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
