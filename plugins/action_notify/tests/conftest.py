"""A live server with the notify action, the mock sensor and a small test-pattern camera."""

from __future__ import annotations

import json

import pytest
import seccam_action_notify
import seccam_sensor_mock

from seccam_core.testing import LoopbackReceiver

FAST_CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10, "pre_roll_seconds": 1}


@pytest.fixture
def notify_server(seccam_live_server, seccam_data_dir):
    """``notify_server(**notify_settings)``: ntfy pointed at its own loopback receiver
    (``server.ntfy``), with the camera."""
    receivers = []

    def start(**notify):
        ntfy = LoopbackReceiver()
        receivers.append(ntfy)
        settings = {"enabled": True, "ntfy": {"server": ntfy.url, "topic": "door"}, **notify}
        (seccam_data_dir / "settings.json").write_text(json.dumps({
            "Camera": FAST_CAMERA, "Notify": settings,
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.3, "gpio": None},
        }))
        server = seccam_live_server(seccam_action_notify, seccam_sensor_mock, media=True)
        server.http = server.client()
        server.ntfy = ntfy
        return server

    yield start
    for receiver in receivers:
        receiver.close()
