"""A live seccam with this plugin, on the private bus and mock BlueZ of its test kit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import seccam_presence_bt
from seccam_presence_bt.testing import bluez, system_bus  # noqa: F401 (fixtures)

# Fast enough for tests, slow enough to see the away delay at work.
FAST_PRESENCE = {
    "poll_interval_seconds": 0.2,
    "away_after_seconds": 1.5,
    "probe_timeout_seconds": 2,
    "scan_seconds": 0.5,
}
# These tests need no camera: leave the builtin media plugin (and its ffmpeg) out.
NO_CAMERA = frozenset({"builtin.media"})
PHONE = "AA:BB:CC:DD:EE:01"
TABLET = "AA:BB:CC:DD:EE:02"


@pytest.fixture
def presence_settings(seccam_data_dir: Path) -> Callable[..., None]:
    """Write a settings file with a fast ``Presence`` section before the server starts."""

    def write(**presence: Any) -> None:
        document = {"Presence": {**FAST_PRESENCE, **presence}}
        (seccam_data_dir / "settings.json").write_text(json.dumps(document))

    return write


@pytest.fixture
def start_server(seccam_live_server: Any, presence_settings: Callable[..., None]) -> Any:
    """``start_server(**presence_settings)`` -> a live seccam with this plugin."""

    def start(**presence: Any) -> Any:
        presence_settings(**presence)
        return seccam_live_server(seccam_presence_bt, disabled_plugins=NO_CAMERA)

    return start
