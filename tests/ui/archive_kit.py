"""Real recordings for the archive's browser tests, made the way the camera makes them."""

from __future__ import annotations

from typing import Any

from seccam_core.testing import wait_until

CLIP_SECONDS = 3.0


def camera_running(http: Any, seconds: float = 2.0) -> dict[str, Any]:
    """Wait until the test-pattern camera runs and holds ``seconds`` of pre-roll."""
    return wait_until(lambda: (lambda s: s if s["state"] == "running"
                               and s["buffered_seconds"] >= seconds else None)(
        http.get("/camera/status").json()), 60, "the camera's pre-roll")


def _video_after(http: Any, moment: float) -> bool:
    status = http.get("/camera/status").json()
    return bool(status["latest_frame_at"] and status["latest_frame_at"] >= moment)


def _finished(http: Any, count: int) -> list[dict[str, Any]] | None:
    items = http.get("/archive").json()
    return items if len(items) >= count and all(i["sprite"] for i in items) else None


def record_manual(http: Any) -> dict[str, Any]:
    """A manual recording of a few seconds, with its thumbnail and sprite made."""
    camera_running(http)
    before = len(http.get("/archive").json())
    http.post("/toggle_recording").raise_for_status()
    started = http.get("/camera/status").json()["latest_frame_at"]
    wait_until(lambda: _video_after(http, started + CLIP_SECONDS), 30, "3 s of video")
    http.post("/toggle_recording").raise_for_status()
    return wait_until(lambda: _finished(http, before + 1), 60, "the finished recording")[0]


def record_triggered(http: Any, sensor_id: str) -> dict[str, Any]:
    """A recording made by a mock sensor's trigger (armed away: it records)."""
    camera_running(http)
    before = len(http.get("/archive").json())
    http.post("/arming", json={"mode": "away"}).raise_for_status()
    http.post("/sensor/mock/trigger", json={"sensor_id": sensor_id}).raise_for_status()
    http.post("/sensor/mock/release", json={"sensor_id": sensor_id}).raise_for_status()
    return wait_until(lambda: _finished(http, before + 1), 60, "the triggered recording")[0]
