"""The media and timelapse answers match the response schemas in the OpenAPI document.

Each route is called on the real server (a fast test-pattern camera, real ffmpeg, real
files) in a state where its answer has its optional fields filled, and the JSON is
validated against the schema taken from ``build_openapi(app)``: what a client
generator reads. Nothing is mocked.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from camera_kit import camera_ready, decode, make_jpeg, wait_until

from seccam_core.media.service import MEDIA
from seccam_core.testing import assert_documented


def test_recording_camera_archive_and_snapshot_answers_match_the_document(media_server):
    server = media_server()
    documented = functools.partial(assert_documented, server.app)
    client = server.client()
    camera = documented("get", "/camera/status", client.get("/camera/status"))
    camera_ready(server, seconds=2)
    camera = documented("get", "/camera/status", client.get("/camera/status"))
    assert camera["state"] == "running" and camera["latest_frame_at"] is not None

    idle = documented("get", "/recording_status", client.get("/recording_status"))
    assert idle == {"recording": False}
    server.call(lambda: server.seccam.bus.publish(
        "recording_request", {"source": "sensor", "active": True, "sensor_type": "pir"}))
    running = wait_until(lambda: (s := client.get("/recording_status").json())["recording"]
                         and s, 10, "the sensor recording")
    documented("get", "/recording_status", client.get("/recording_status"))
    assert running["sensor_type"] == "pir" and running["started_at"].endswith("Z")
    stopped = documented("post", "/toggle_recording", client.post("/toggle_recording"))
    assert stopped["message"] == "Recording stopped" and stopped["recording"] is False
    started = documented("post", "/toggle_recording", client.post("/toggle_recording"))
    assert started["recording"] is True and started["reason"] == "manual"
    assert started["sensor_type"] is None
    recorder = server.seccam.require(MEDIA).recorder
    wait_until(lambda: server.call(lambda: sum(
        s.end - s.start for s in recorder.current.segments)) >= 3, 20, "3 s of video")
    manual_stop = documented("post", "/toggle_recording", client.post("/toggle_recording"))
    assert manual_stop["path"] == started["path"], "the stop answers the finished video"
    assert decode(Path(manual_stop["path"])).returncode == 0

    def finished() -> list[dict[str, Any]]:
        items = client.get("/archive").json()
        done = len(items) == 2 and all(i["duration"] and i["thumbnail"] for i in items)
        return items if done and items[0]["sprite"] else []

    wait_until(finished, 30, "both recordings with duration, thumbnail and sprite")
    items = documented("get", "/archive", client.get("/archive"))
    assert [item["path"] for item in items] == [started["path"], running["path"]]

    snapshot = client.post("/snapshot").json()["path"]
    [listed] = documented("get", "/snapshots", client.get("/snapshots"))
    assert listed["path"] == snapshot and listed["size"] > 0

    gone = documented("post", "/delete_snapshot",
                          client.post("/delete_snapshot", json={"snapshot_path": snapshot}))
    assert gone == {"message": "Snapshot deleted", "path": snapshot}
    gone = documented("post", "/delete_video",
                          client.post("/delete_video", json={"video_path": started["path"]}))
    assert gone == {"message": "Video deleted", "path": started["path"]}


def test_timelapse_answers_match_the_document(media_server, seccam_data_dir):
    frames = seccam_data_dir / "recordings" / "timelapse" / "frames"
    today = datetime.now().strftime("%Y-%m-%d")
    yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    for day in (today, yesterday):  # yesterday's frames are stitched at startup
        (frames / day).mkdir(parents=True)
        for i in range(2):
            make_jpeg(frames / day / f"frame_12000{i}.jpg")
    server = media_server(Timelapse={"fps": 2})
    documented = functools.partial(assert_documented, server.app)
    client = server.client()

    status = documented("get", "/timelapse/status", client.get("/timelapse/status"))
    assert status["today_frame_count"] == 2 and status["last_capture"] is not None
    configured = documented("post", "/timelapse/configure", client.post(
        "/timelapse/configure", json={"interval_minutes": 30, "resolution": "320x240"}))
    assert configured["status"]["interval_minutes"] == 30
    started = documented("post", "/timelapse/start", client.post("/timelapse/start"))
    assert started["status"]["enabled"] is True
    stopped = documented("post", "/timelapse/stop", client.post("/timelapse/stop"))
    assert stopped["status"]["enabled"] is False

    wait_until(lambda: client.get("/timelapse").json(), 30, "yesterday's video")
    [video] = documented("get", "/timelapse", client.get("/timelapse"))
    assert video["date"] == yesterday and video["thumbnail"].endswith(".thumb.jpg")
    assert client.get("/timelapse").json() == [video], "a listing never changes the next"
    gone = documented("post", "/timelapse/delete",
                          client.post("/timelapse/delete", json={"path": video["path"]}))
    assert gone == {"message": "Timelapse deleted", "path": video["path"]}
