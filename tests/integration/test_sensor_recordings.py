"""A door opening becomes a recording that already holds the seconds before it.

Everything is real and installed as a user would install it: the reed switch plugin,
the sensor controller, the recorder, the ffmpeg test-pattern camera, a live server over
HTTP and its SSE stream. Only the door is missing: its contact is a gpiozero mock pin
(``seccam_gpio``), and presence is ``SwitchablePresence`` (no phone on this machine).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from recording_kit import (
    FAST_CAMERA,
    add_settings,
    camera_holds,
    decode,
    epoch,
    events_during,
    events_until,
    image_size,
    of_type,
    wait_until,
)

from seccam_core.media.service import MEDIA
from seccam_core.sensing.doubles import SwitchablePresence

PRE_ROLL = 3
HOLD = 1.5
DOOR_PIN = 22  # reed_switch's default pin


@pytest.fixture
def door_server(seccam_gpio, seccam_data_dir, seccam_live_server):
    """``door_server(*plugins)``: a live server, every installed plugin, a reed switch armed."""

    def start(*plugins):
        add_settings(seccam_data_dir, {
            "Camera": {**FAST_CAMERA, "pre_roll_seconds": PRE_ROLL},
            "Sensor": {"type": "reed_switch", "gpio": DOOR_PIN, "enabled": True,
                       "hold_seconds": HOLD, "calibration": {"bounce_time": 0}},
        })
        server = seccam_live_server(*plugins, entry_points=True, media=True)
        server.pin = seccam_gpio.pin(DOOR_PIN)
        server.pin.drive_low()  # the magnet closes the contact: the door is shut
        server.sse = server.events()
        server.http = server.client()
        status = server.http.get("/sensor/status").json()
        assert status["armed"] and not status["triggered"] and status["error"] is None, status
        return server

    return start


def recordings(server) -> list[Path]:
    """Every recording file in the recordings folder, finished or being written."""
    folder = server.seccam.require(MEDIA).layout.recordings_dir
    return sorted(folder.glob("output_*.mp4"))


def test_a_door_opening_records_from_before_it_and_the_hold_follows_the_release(
        door_server, tmp_path):
    server = door_server()
    camera_holds(server, PRE_ROLL + 1)

    opened_at = time.time()
    server.pin.drive_high()  # the door opens
    seen = events_until(server.sse, "sensor_state", lambda d: d["recording_from_sensor"])
    started = of_type(seen, "recording_state")
    assert len(started) == 1 and started[0]["recording"] is True, started
    assert started[0]["reason"] == "sensor" and started[0]["sensor_type"] == "reed_switch"
    video = Path(started[0]["path"])
    assert of_type(seen, "sensor_state")[-1]["triggered"] is True

    # Closed, and opened again inside the hold; then left open for longer than the hold:
    # the first hold is cancelled and the same recording goes on.
    server.pin.drive_low()
    events_until(server.sse, "sensor_state", lambda d: not d["triggered"])
    server.pin.drive_high()
    seen = events_until(server.sse, "sensor_state", lambda d: d["triggered"])
    assert seen[-1].data["recording_from_sensor"] is True
    seen += events_during(server.sse, HOLD + 0.5)  # the door stays open
    assert of_type(seen, "recording_state") == [] and of_type(seen, "recording_request") == []

    server.pin.drive_low()  # closed for good: the hold starts now
    released_at = time.time()
    seen = events_until(server.sse, "sensor_state", lambda d: not d["recording_from_sensor"])
    ended_at = time.time()
    assert of_type(seen, "recording_request")[-1]["active"] is False
    stopped = of_type(seen, "recording_state")
    assert len(stopped) == 1 and stopped[0]["recording"] is False
    assert stopped[0]["path"] == str(video)
    # The request ends hold_seconds after the release; the state follows at once.
    assert HOLD - 0.1 <= ended_at - released_at <= HOLD + 1.0

    done = events_until(server.sse, "archive_updated",
                        lambda d: d["type"] == "recording", timeout=30)[-1]
    assert done.data["path"] == str(video)
    assert recordings(server) == [video]  # one recording, however often the door opened

    returncode, duration = decode(video)
    assert returncode == 0, "the recording does not decode"
    # The camera is paced in real time and every frame existed when ffmpeg last wrote
    # the file (its mtime), so the first frame was taken no later than mtime - duration.
    assert video.stat().st_mtime - duration <= opened_at - (PRE_ROLL - 1)
    # And it holds the pre-roll, the time the door was open and the hold after it.
    assert duration >= (ended_at - opened_at) + (PRE_ROLL - 1)
    # The recorder's own account, from the wall-clock span of each camera segment.
    meta = json.loads(video.with_name(video.stem + ".meta.json").read_text())
    first_frame_at = epoch(meta["first_frame_at"])
    assert first_frame_at <= opened_at - (PRE_ROLL - 1), meta
    assert meta["reason"] == "sensor" and meta["sensor_type"] == "reed_switch"

    # What the dashboard shows for it.
    entry = server.http.get("/archive").json()[0]
    assert entry["path"] == str(video) and entry["thumbnail"] and entry["sprite"]
    sprite = server.http.get("/sprite", params={"video_path": str(video)})
    assert image_size(sprite.content, tmp_path / "sprite.jpg") == "1600x90"
    streamed = server.http.get("/stream_video", params={"video_path": str(video)})
    assert streamed.status_code == 200 and streamed.content == video.read_bytes()


def test_nobody_records_while_someone_is_home_and_a_trigger_records_once_they_leave(
        door_server):
    presence = SwitchablePresence()
    server = door_server(presence)
    server.call(lambda: presence.set_home(True))
    events_until(server.sse, "sensor_state", lambda d: d["suppressed"])
    camera_holds(server, PRE_ROLL)

    server.pin.drive_high()  # the owner opens the door
    seen = events_until(server.sse, "sensor_state", lambda d: d["triggered"])
    assert seen[-1].data["suppressed"] is True and seen[-1].data["recording_from_sensor"] is False
    server.pin.drive_low()
    seen += events_until(server.sse, "sensor_state", lambda d: not d["triggered"])

    server.call(lambda: presence.set_home(False))  # everyone left
    seen += events_until(server.sse, "sensor_state", lambda d: not d["suppressed"])
    # The recorder answers a request before the controller's state of the trigger, so a
    # recording started by the suppressed trigger would have shown up by now.
    assert of_type(seen, "recording_request") == []
    assert of_type(seen, "recording_state") == []
    assert recordings(server) == []
    assert server.http.get("/archive/count").json() == {"count": 0}
    assert server.http.get("/recording_status").json()["recording"] is False

    left_at = time.time()
    server.pin.drive_high()  # a burglar opens the door
    seen = events_until(server.sse, "sensor_state", lambda d: d["recording_from_sensor"])
    assert seen[-1].data["suppressed"] is False
    started = of_type(seen, "recording_state")
    assert len(started) == 1 and started[0]["recording"] is True
    video = Path(started[0]["path"])
    server.pin.drive_low()
    events_until(server.sse, "archive_updated", lambda d: d["type"] == "recording", timeout=30)
    assert recordings(server) == [video]
    meta = json.loads(video.with_name(video.stem + ".meta.json").read_text())
    assert epoch(meta["started"]) >= left_at
    assert decode(video)[0] == 0


def test_the_mock_sensor_over_http_makes_a_real_recording(seccam_data_dir, seccam_live_server,
                                                          tmp_path):
    add_settings(seccam_data_dir, {"Camera": {**FAST_CAMERA, "pre_roll_seconds": 2}})
    server = seccam_live_server(entry_points=True, media=True)
    client = server.client()
    sse = server.events()
    configured = client.post("/sensor/configure",
                             json={"type": "mock", "enabled": True, "hold_seconds": 1})
    assert configured.status_code == 200, configured.text
    camera_holds(server, 2)

    assert client.post("/sensor/mock/trigger").status_code == 200
    started = events_until(sse, "recording_state", lambda d: d["recording"])[-1].data
    assert started["reason"] == "sensor" and started["sensor_type"] == "mock"
    assert client.post("/sensor/mock/release").status_code == 200
    events_until(sse, "recording_state", lambda d: not d["recording"])
    done = events_until(sse, "archive_updated", lambda d: d["type"] == "recording",
                        timeout=30)[-1].data
    assert done["path"] == started["path"]

    listing = client.get("/archive").json()
    assert [e["path"] for e in listing] == [started["path"]]
    entry = listing[0]
    assert entry["duration"] >= 2 and entry["thumbnail"] is True and entry["sprite"] is True
    thumb = client.get("/thumbnail", params={"video_path": entry["path"]})
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    sprite = client.get("/sprite", params={"video_path": entry["path"]})
    assert image_size(sprite.content, tmp_path / "sprite.jpg") == "1600x90"
    video = tmp_path / "downloaded.mp4"
    video.write_bytes(client.get("/stream_video", params={"video_path": entry["path"]}).content)
    assert decode(video)[0] == 0


def test_a_trigger_after_the_camera_came_back_records_even_inside_the_hold(
        seccam_gpio, seccam_data_dir, seccam_live_server):
    """A trigger while the camera is down records nothing (and says why); once the camera
    is back, the next trigger must record, even before the first one's hold ran out.
    The dead camera is an RTSP URL nobody serves (no camera on this machine)."""
    add_settings(seccam_data_dir, {
        "Camera": {**FAST_CAMERA, "pre_roll_seconds": 1, "source": "rtsp://127.0.0.1:9/cam"},
        "Sensor": {"type": "reed_switch", "gpio": DOOR_PIN, "enabled": True,
                   "hold_seconds": 60, "calibration": {"bounce_time": 0}},
    })
    server = seccam_live_server(entry_points=True, media=True)
    pin = seccam_gpio.pin(DOOR_PIN)
    pin.drive_low()
    sse, http = server.events(), server.client()
    wait_until(lambda: http.get("/camera/status").json()["state"] == "restarting", 20,
               "the camera to fail")

    pin.drive_high()
    failed = events_until(sse, "recording_state", lambda d: True)[-1].data
    assert failed["recording"] is False and "cannot record" in failed["error"]
    pin.drive_low()
    events_until(sse, "sensor_state", lambda d: not d["triggered"])

    response = http.post("/settings", json={"Camera": {"source": "testpattern"}})
    assert response.status_code == 200, response.text
    camera_holds(server, 1)
    pin.drive_high()  # well inside the 60 s hold of the first trigger
    started = events_until(sse, "recording_state", lambda d: d["recording"])[-1].data
    assert started["reason"] == "sensor"
    assert http.post("/sensor/disable").status_code == 200  # ends the request at once
    events_until(sse, "archive_updated", lambda d: d["type"] == "recording", timeout=30)
