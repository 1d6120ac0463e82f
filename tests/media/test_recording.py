"""Recordings end to end: a live server, the test-pattern camera, real ffmpeg, real files."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from camera_kit import PRE_ROLL, camera_ready, decode, jpeg, make_segment, probe, wait_until

from seccam_core.media.service import MEDIA

HOLD = 1.5


def _duration(description: str) -> float:
    match = re.search(r"Duration: (\d+):(\d+):([\d.]+)", description)
    assert match, description
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_sensor_recording_holds_the_pre_roll_and_plays(media_server):
    server = media_server()
    camera_ready(server)
    events = server.events()
    client = server.client()

    trigger = time.time()
    server.call(lambda: server.seccam.bus.publish(
        "recording_request", {"source": "sensor", "active": True, "sensor_type": "reed_switch"}))
    started = events.wait_for("recording_state", lambda d: d["recording"])
    assert started.data["reason"] == "sensor"
    assert client.get("/recording_status").json()["recording"] is True
    time.sleep(HOLD / 2)  # the door stays open this long: the recording must cover it
    server.call(lambda: server.seccam.bus.publish(  # a re-trigger extends, never splits
        "recording_request", {"source": "sensor", "active": True, "sensor_type": "reed_switch"}))
    time.sleep(HOLD / 2)
    server.call(lambda: server.seccam.bus.publish(
        "recording_request", {"source": "sensor", "active": False, "sensor_type": "reed_switch"}))
    events.wait_for("recording_state", lambda d: not d["recording"])
    done = events.wait_for("archive_updated", lambda d: d["type"] == "recording", timeout=30)
    finished_at = time.time()

    video = Path(done.data["path"])
    assert video.name.startswith("output_") and video.suffix == ".mp4"
    assert list(video.parent.glob("output_*.mp4")) == [video]
    assert decode(video).returncode == 0, "the recording does not decode"
    duration = _duration(probe(video))
    assert duration >= PRE_ROLL + HOLD - 0.5
    # Every frame existed before we saw the event, so the first frame was taken at most
    # at finished_at - duration: that must lie a pre-roll before the trigger.
    assert finished_at - duration <= trigger - (PRE_ROLL - 1)
    meta = json.loads(video.with_name(video.stem + ".meta.json").read_text())
    assert meta["reason"] == "sensor" and meta["sensor_type"] == "reed_switch"
    assert meta["pre_roll_seconds"] >= PRE_ROLL - 1

    thumb = video.with_name(video.stem + ".thumb.jpg")
    sprite = video.with_name(video.stem + ".sprite.jpg")
    assert jpeg(thumb.read_bytes())
    assert jpeg(sprite.read_bytes())
    assert "1600x90" in probe(sprite)
    assert not list(video.parent.glob("*.part.mp4"))

    listing = client.get("/archive")
    assert listing.headers["X-Total-Count"] == "1"
    [entry] = listing.json()
    assert entry["path"] == str(video)
    assert entry["size"] == video.stat().st_size
    assert entry["thumbnail"] is True and entry["sprite"] is True
    assert abs(entry["duration"] - duration) < 0.2
    assert client.get("/archive/count").json() == {"count": 1}

    for url in (f"/thumbnail?video_path={video}", f"/thumbnail/{video.name}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert "max-age=86400" in response.headers["cache-control"]
        assert response.content == thumb.read_bytes()
    for url in (f"/sprite?video_path={video}", f"/sprite/{video.name}"):
        assert client.get(url).content == sprite.read_bytes()

    data = video.read_bytes()
    ranged = client.get("/stream_video", params={"video_path": str(video)},
                        headers={"Range": "bytes=100-1099"})
    assert ranged.status_code == 206
    assert ranged.headers["accept-ranges"] == "bytes"
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert ranged.content == data[100:1100]
    whole = client.get("/stream_video", params={"video_path": video.name, "download": "1"})
    assert whole.status_code == 200 and whole.content == data
    assert "attachment" in whole.headers["content-disposition"]

    deleted = client.post("/delete_video", json={"video_path": str(video)})
    assert deleted.status_code == 200
    assert not video.exists() and not thumb.exists() and not sprite.exists()
    assert not video.with_name(video.stem + ".meta.json").exists()
    assert client.get("/archive").json() == []
    events.wait_for("archive_updated", lambda d: d["type"] == "deleted")


def test_manual_recordings_never_share_a_name_and_survive_a_shutdown(media_server):
    server = media_server()
    camera_ready(server)
    client = server.client()
    recordings = Path(server.seccam.require(MEDIA).layout.recordings_dir)

    first = client.post("/toggle_recording").json()
    assert first["message"] == "Recording started" and first["reason"] == "manual"
    assert client.post("/toggle_recording").json()["message"] == "Recording stopped"
    second = client.post("/toggle_recording").json()
    assert second["path"] != first["path"]
    # A sensor's release never stops a manual recording.
    server.call(lambda: server.seccam.bus.publish(
        "recording_request", {"source": "sensor", "active": False, "sensor_type": "pir"}))
    server.call(server.seccam.action_runner.drain)
    status = client.get("/recording_status").json()
    assert status["recording"] is True and status["started_at"].endswith("Z")

    server.stop()  # mid-recording: the video must still be finished

    videos = sorted(recordings.glob("output_*.mp4"))
    assert [str(v) for v in videos] == sorted([first["path"], second["path"]])
    for video in videos:
        assert decode(video).returncode == 0
        assert "moov" in video.read_bytes()[:4096].decode("latin-1")  # faststart: index first
    assert not list(recordings.glob("*.part.mp4"))
    assert not list((server.seccam.data_dir / "camera" / "work").iterdir())


def test_no_recording_is_claimed_when_the_camera_is_down(media_server):
    server = media_server(camera={"source": "rtsp://127.0.0.1:9/nothing"})
    client = server.client()
    events = server.events(last_event_id=0)  # replay: the camera may have failed already
    state = events.wait_for("camera_state", lambda d: d["state"] == "restarting", timeout=30)
    assert state.data["error"]
    response = client.post("/toggle_recording")
    assert response.status_code == 503
    assert "cannot record" in response.json()["error"]
    assert client.get("/recording_status").json() == {"recording": False}
    failed = client.post("/snapshot")
    assert failed.status_code == 500
    assert failed.json()["error"].startswith("snapshot failed")
    status = client.get("/camera/status").json()
    assert status["state"] == "restarting" and status["restarts"] >= 1
    wait_until(lambda: server.seccam.require(MEDIA).camera.restarts >= 2, 15, "a second restart")
    assert client.get("/recording_status").json() == {"recording": False}
    # Fixing the source in the settings brings the camera back without a restart.
    fixed = client.post("/settings", json={"Camera": {"source": "testpattern"}})
    assert fixed.status_code == 200
    events.wait_for("camera_state", lambda d: d["state"] == "running", timeout=30)
    assert client.post("/toggle_recording").json()["message"] == "Recording started"


def test_a_recording_cut_short_by_a_crash_is_finished_at_the_next_start(
        media_server, seccam_data_dir):
    """A server killed mid-recording leaves its work folder; the next start finishes it."""
    recordings = seccam_data_dir / "recordings"
    recordings.mkdir(parents=True)
    target = recordings / "output_20260101_120000.mp4"
    target.with_name("output_20260101_120000.part.mp4").write_bytes(b"")
    work = seccam_data_dir / "camera" / "work" / "output_20260101_120000"
    work.mkdir(parents=True)
    (work / "target").write_text(str(target))
    for index in range(3):
        make_segment(work / f"{index:06d}.ts", seconds=1)

    server = media_server()
    client = server.client()
    listing = wait_until(lambda: client.get("/archive").json(), 30, "the recovered recording")

    assert listing[0]["path"] == str(target)
    assert decode(target).returncode == 0
    assert abs(listing[0]["duration"] - 3.0) < 0.3
    assert listing[0]["sprite"] is True
    assert not work.exists()
    assert not list(recordings.glob("*.part.mp4"))


def test_a_recording_nobody_stops_is_stopped_at_its_limit(media_server):
    """ORIGINAL D1: a recording whose stop never comes must not fill the disk."""
    server = media_server()
    camera_ready(server, seconds=1)
    events = server.events()
    recorder = server.seccam.require(MEDIA).recorder
    server.call(lambda: setattr(recorder, "_max_seconds", lambda: 1.5))  # 10 s minimum in settings
    server.call(lambda: server.seccam.bus.publish(
        "recording_request", {"source": "sensor", "active": True, "sensor_type": "pir"}))
    events.wait_for("recording_state", lambda d: d["recording"])
    stopped = events.wait_for("recording_state", lambda d: not d["recording"], timeout=10)
    assert stopped.data["reason"] == "sensor"
    done = events.wait_for("archive_updated", lambda d: d["type"] == "recording", timeout=30)
    assert decode(Path(done.data["path"])).returncode == 0
    assert server.client().get("/recording_status").json() == {"recording": False}
