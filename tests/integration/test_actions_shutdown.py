"""``seccam serve`` with both action plugins enabled stops promptly on SIGTERM (a real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from recording_kit import FAST_CAMERA, add_settings

from seccam_core.testing import free_port, wait_until


def test_sigterm_stops_serve_with_actions_listening_to_sensor_state_in_under_5_s(
        seccam_data_dir, seccam_receiver):
    """The first real action made ``seccam serve`` take 62 s to stop, with a traceback: the
    runner's ``asyncio.wait_for`` swallowed the cancellation. The webhook listens to
    ``sensor_state`` on a receiver that hangs, so an attempt is in flight at SIGTERM."""
    receiver = seccam_receiver
    receiver.answer(200, delay=30)
    add_settings(seccam_data_dir, {
        "Camera": FAST_CAMERA,
        "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.5, "gpio": None},
        "Webhook": {"enabled": True, "endpoints": [
            {"url": receiver.url, "events": ["sensor_state", "incident"]}]},
        "Notify": {"enabled": True, "ntfy": {"server": receiver.url, "topic": "door"}},
    })
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(seccam_data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SECCAM_DISABLED_PLUGINS": "captive_portal"})
    try:
        token = wait_until(lambda: _token(seccam_data_dir), 30, "the token")
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
        wait_until(lambda: _answers(http, "/actions"), 30, "the server")
        names = {a["name"]: a for a in http.get("/actions").json()["actions"]}
        assert names["webhook"]["state"] != "disabled" and names["notify"]["state"] != "disabled"
        http.post("/sensor/mock/trigger").raise_for_status()
        wait_until(lambda: http.get("/actions").json()["actions"] and any(
            a["state"] == "busy" for a in http.get("/actions").json()["actions"]), 10,
            "an action stuck in the hanging receiver")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert took < 5, f"took {took:.1f} s to stop"
    assert "Traceback" not in stderr


def _token(data_dir):
    import json

    try:
        return json.loads((data_dir / "settings.json").read_text())["Auth"]["token"]
    except (OSError, ValueError, KeyError):
        return None


def _answers(http, path):
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False
