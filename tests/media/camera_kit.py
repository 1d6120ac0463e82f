"""What the media tests share: a fast camera, waiting, probing and decoding with ffmpeg."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import psutil

from seccam_core.media.ffmpeg import find_ffmpeg
from seccam_core.testing import wait_until

PRE_ROLL = 2
FAST_CAMERA = {
    "pre_roll_seconds": PRE_ROLL,
    "test_pattern_size": "160x120",
    "test_pattern_fps": 10,
}


def write_settings(data_dir: Path, document: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text(json.dumps(document))


def our_ffmpeg_processes() -> list[psutil.Process]:
    """ffmpeg processes started by this test process (children, at any depth)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "ffmpeg" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def probe(path: Path) -> str:
    """ffmpeg's description of a file (what a user's player would see)."""
    result = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)],
                            capture_output=True, text=True, timeout=30)
    return result.stderr


def decode(path: Path) -> subprocess.CompletedProcess[str]:
    """Decode every frame; a broken file makes ffmpeg fail (-xerror)."""
    return subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-nostdin", "-xerror", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )


def camera_ready(server: Any, seconds: float = PRE_ROLL) -> dict[str, Any]:
    """Wait until the camera runs and holds ``seconds`` of pre-roll."""
    client = server.client()

    def ready() -> dict[str, Any] | None:
        status = client.get("/camera/status").json()
        if status["state"] == "running" and status["buffered_seconds"] >= seconds:
            return status
        return None

    return wait_until(ready, 30, "the camera's pre-roll")


def jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


def make_jpeg(path: Path, size: str = "160x120") -> Path:
    """One test-pattern frame as a JPEG, as the timelapse would have saved it."""
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         f"testsrc=size={size}:rate=1", "-frames:v", "1", "-y", str(path)],
        check=True, timeout=30,
    )
    return path


def make_segment(path: Path, seconds: float = 1.0) -> Path:
    """An MPEG-TS segment of the test pattern, as the camera's ring holds them."""
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=160x120:rate=10", "-t", str(seconds), "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts", "-y", str(path)],
        check=True, timeout=30,
    )
    return path
