"""Fixtures for the media tests: a live server whose camera is a small, fast test pattern."""

from __future__ import annotations

from typing import Any

import pytest
from camera_kit import FAST_CAMERA, our_ffmpeg_processes, write_settings


@pytest.fixture
def media_server(seccam_live_server, seccam_data_dir):
    """``media_server(camera={...}, Timelapse={...})`` -> a live server with a fast camera.

    After the test every server it started is stopped, and no ffmpeg process of ours
    may be left running.
    """
    servers: list[Any] = []

    def start(camera: dict[str, Any] | None = None, **sections: Any) -> Any:
        document = {"Camera": {**FAST_CAMERA, **(camera or {})}, **sections}
        write_settings(seccam_data_dir, document)
        server = seccam_live_server(media=True)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    leftovers = our_ffmpeg_processes()
    assert not leftovers, [p.cmdline() for p in leftovers]
