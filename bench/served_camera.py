"""A real ``seccam serve`` for a benchmark: every installed plugin, the test-pattern
camera, a fresh data folder, a free loopback port; stopped on leaving the block."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seccam_core.testing import free_port, wait_until

SECCAM = [sys.executable, "-m", "seccam_core.cli"]


@dataclass
class ServedCamera:
    """The server process, its URL, its token and its data folder."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    data_dir: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.contextmanager
def served_camera(settings: dict[str, Any], *, buffered_seconds: float = 1.0,
                  prefix: str = "seccam-bench-") -> Iterator[ServedCamera]:
    """Start ``seccam serve`` with ``settings`` and wait until the camera has buffered
    ``buffered_seconds`` of video."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        data_dir = Path(folder)
        (data_dir / "settings.json").write_text(json.dumps(settings))
        port = free_port()
        env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock"}
        process = subprocess.Popen(
            [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(data_dir)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            token = subprocess.run([*SECCAM, "token", "--data-dir", str(data_dir)],
                                   capture_output=True, text=True, check=True,
                                   env=env).stdout.strip()
            served = ServedCamera(process, f"http://127.0.0.1:{port}", token, data_dir)

            def camera_ready() -> bool:
                try:
                    status = httpx.get(served.url + "/camera/status",
                                       headers=served.headers).json()
                except httpx.HTTPError:
                    return False
                return status.get("buffered_seconds", 0) >= buffered_seconds

            wait_until(camera_ready, 60, "the camera")
            yield served
        finally:
            process.terminate()
            process.wait(30)
