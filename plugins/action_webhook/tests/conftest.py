"""A live server with the webhook action, the mock sensor and a small test-pattern camera."""

from __future__ import annotations

import json

import pytest
import seccam_action_webhook
import seccam_sensor_mock

FAST_CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10, "pre_roll_seconds": 1}


@pytest.fixture
def fast_retries():
    """Backoff delays asked for, with no real waiting (the runner's injected sleep)."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return delays, sleep


@pytest.fixture
def camera_server(seccam_live_server, seccam_data_dir):
    """``camera_server(webhook_settings)``: started with the Webhook section and the mock."""

    def start(webhook: dict, **options):
        (seccam_data_dir / "settings.json").write_text(json.dumps({
            "Camera": FAST_CAMERA, "Webhook": webhook,
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.3, "gpio": None},
        }))
        server = seccam_live_server(seccam_action_webhook, seccam_sensor_mock, media=True,
                                    **options)
        server.http = server.client()
        return server

    return start
