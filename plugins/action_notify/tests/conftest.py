"""A live server with the notify action, the mock sensor and a small test-pattern camera."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import seccam_action_notify
import seccam_sensor_mock

FAST_CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10, "pre_roll_seconds": 1}


class Clock:
    """The action runner's injected clock: local time that only moves when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def notify_server(seccam_live_server, seccam_data_dir, seccam_receiver):
    """``notify_server(**notify_settings)``: ntfy pointed at a loopback receiver."""

    def start(**notify):
        ntfy = seccam_receiver()
        settings = {"enabled": True, "ntfy": {"server": ntfy.url, "topic": "door"}, **notify}
        (seccam_data_dir / "settings.json").write_text(json.dumps({
            "Camera": FAST_CAMERA, "Notify": settings,
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.3, "gpio": None},
        }))
        server = seccam_live_server(seccam_action_notify, seccam_sensor_mock)
        server.http = server.client()
        server.ntfy = ntfy
        return server

    return start
