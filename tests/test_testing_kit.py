"""The test kit plugin authors get: what it starts, what it replaces, what it refuses."""

from __future__ import annotations

import threading
import time

import psutil
import pytest

from seccam_core import hookimpl
from seccam_core.testing import (
    LiveServer,
    StandInRecorder,
    make_app,
    wait_until,
)
from seccam_core.testing.live import ServerDidNotStop


def ffmpeg_children() -> list[psutil.Process]:
    return [child for child in psutil.Process().children(recursive=True)
            if "ffmpeg" in child.name()]


def test_a_kit_server_runs_no_camera_unless_asked(seccam_live_server):
    server = seccam_live_server()
    plugins = {p["name"]: p for p in server.client().get("/plugins").json()["plugins"]}
    assert plugins["builtin.media"]["disabled"]
    assert ffmpeg_children() == []
    assert server.seccam.recorder is None and server.seccam.camera is None


def test_media_true_runs_the_camera(seccam_live_server):
    server = seccam_live_server(media=True)
    wait_until(lambda: server.client().get("/camera/status").json()["state"] == "running", 20,
               "the camera running")
    assert ffmpeg_children()
    assert server.seccam.recorder is not None


def test_a_stand_in_recorder_replaces_the_media_plugin(seccam_live_server):
    """Before: the kit's own example ran StandInRecorder beside the real recorder, so a
    sensor trigger started two recordings (one of them with ffmpeg)."""
    server = seccam_live_server(StandInRecorder())
    assert "stand_in_recorder" in server.seccam.actions
    assert "recorder" not in server.seccam.actions
    assert ffmpeg_children() == []


def test_a_stand_in_beside_the_real_media_plugin_is_refused(seccam_data_dir):
    with pytest.raises(ValueError, match="stand-in replaces the media plugin"):
        make_app(seccam_data_dir, StandInRecorder(), media=True)


class SlowToStop:
    """Blocks the server's loop in its shutdown hook, as a hung action or driver would."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @hookimpl
    def seccam_shutdown(self, seccam):
        time.sleep(self.seconds)


def test_a_server_that_does_not_stop_fails_the_test(seccam_data_dir):
    """Before: LiveServer.stop() waited 30 s and returned as if all was well."""
    server = LiveServer(make_app(seccam_data_dir, SlowToStop(3)), stop_timeout=0.5).start()
    thread = next(t for t in threading.enumerate() if t.name == "seccam-live-server")
    with pytest.raises(ServerDidNotStop, match=r"still stopping after 0\.5 s"):
        server.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_a_server_that_stops_in_time_passes(seccam_data_dir):
    server = LiveServer(make_app(seccam_data_dir, SlowToStop(0.1)), stop_timeout=5).start()
    server.stop()


def test_the_receiver_records_requests_and_answers_as_told(seccam_receiver):
    import httpx

    seccam_receiver.answer(503, times=1)
    first = httpx.post(seccam_receiver.url + "/hook?x=1", json={"a": 1})
    second = httpx.post(seccam_receiver.url + "/hook", content=b"raw",
                        headers={"X-Sig": "v1,abc"})
    assert (first.status_code, second.status_code) == (503, 200)
    requests = seccam_receiver.wait_for(2)
    assert requests[0].path == "/hook?x=1" and requests[0].json() == {"a": 1}
    assert requests[1].body == b"raw" and requests[1].header("x-sig") == "v1,abc"


def test_the_event_factory_makes_events_as_the_bus_does(seccam_event):
    first = seccam_event("sensor_state", {"triggered": True}, sensor_id="door")
    second = seccam_event("incident", state="new")
    assert first.data == {"triggered": True, "sensor_id": "door"}
    assert second.id > first.id
    assert first.frame.startswith(f"id: {first.id}\nevent: sensor_state\n".encode())
