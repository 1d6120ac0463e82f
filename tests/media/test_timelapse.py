"""Timelapse over HTTP with real frames and a real stitch; minutes are shortened in tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from camera_kit import camera_ready, decode, jpeg, make_jpeg, wait_until

from seccam_core.media.service import MEDIA

MINUTE = 0.3  # seconds per "minute" in these tests


def test_frames_are_captured_and_the_day_is_stitched(media_server):
    server = media_server()
    camera_ready(server, seconds=1)
    client = server.client()
    events = server.events()
    timelapse = server.seccam.require(MEDIA).timelapse
    server.call(lambda: setattr(timelapse, "minute_seconds", MINUTE))

    for bad, field in (({"interval_minutes": 0}, "interval_minutes"),
                       ({"interval_minutes": "5"}, "interval_minutes"),
                       ({"resolution": "9999:1;rm"}, "resolution"),
                       ({"fps": 0}, "fps"), ({"colour": True}, "colour")):
        response = client.post("/timelapse/configure", json=bad)
        assert response.status_code == 400, bad
        assert field in response.json()["error"]
    saved = client.post("/timelapse/configure", json={
        "enabled": True, "interval_minutes": 1, "fps": 5, "resolution": "320:240"})
    assert saved.status_code == 200 and saved.json()["message"] == "Timelapse settings saved"

    status = wait_until(lambda: (s := client.get("/timelapse/status").json())
                        ["today_frame_count"] >= 3 and s, 20, "three frames")
    assert status["enabled"] is True and status["resolution"] == "320:240"
    last_capture = datetime.fromisoformat(status["last_capture"])
    assert last_capture.utcoffset() is not None, "a time a client can place"
    assert abs((datetime.now().astimezone() - last_capture).total_seconds()) < 60
    assert client.post("/timelapse/stop").json()["status"]["enabled"] is False
    frames_dir = server.seccam.require(MEDIA).layout.frames_dir
    frames = sorted(frames_dir.glob("*/frame_*.jpg"))
    assert len(frames) >= 3 and all(jpeg(f.read_bytes()) for f in frames)

    # Midnight passes: the day's frames become a video.
    tomorrow = datetime.now() + timedelta(days=1)
    day = frames[0].parent.name
    server.call(lambda: setattr(timelapse, "now", lambda: tomorrow))
    server.call(timelapse.reconfigure)
    made = events.wait_for("archive_updated", lambda d: d["type"] == "timelapse", timeout=60)
    video = Path(made.data["path"])
    assert video.name == f"timelapse_{day.replace('-', '')}.mp4"
    result = decode(video)
    assert result.returncode == 0
    assert _frames(result.stderr) == len(frames)
    assert not (frames_dir / day).exists(), "frames are removed once the video is verified"
    thumb = video.with_name(video.stem + ".thumb.jpg")
    assert jpeg(thumb.read_bytes())

    [entry] = client.get("/timelapse").json()
    assert entry["path"] == str(video) and entry["date"] == day[:10]
    assert entry["thumbnail"] == str(thumb) and entry["size"] == video.stat().st_size
    image = client.get("/timelapse/thumbnail", params={"path": str(video)})
    assert image.status_code == 200 and image.content == thumb.read_bytes()
    data = video.read_bytes()
    ranged = client.get("/timelapse/video", params={"path": str(video)},
                        headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == data[:100]
    deleted = client.post("/timelapse/delete", json={"path": str(video)})
    assert deleted.status_code == 200 and deleted.json()["message"] == "Timelapse deleted"
    assert not video.exists() and not thumb.exists()
    assert client.get("/timelapse").json() == []


def _frames(stderr: str) -> int:
    return int(re.findall(r"frame=\s*(\d+)", stderr)[-1])


def test_frames_survive_a_restart_and_old_days_are_stitched(media_server, seccam_data_dir):
    timelapse_dir = seccam_data_dir / "recordings" / "timelapse" / "frames"
    today = datetime.now().strftime("%Y-%m-%d")
    yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    for day, count in ((today, 2), (yesterday, 3)):
        (timelapse_dir / day).mkdir(parents=True)
        for i in range(count):
            make_jpeg(timelapse_dir / day / f"frame_12000{i}.jpg")
    server = media_server(Timelapse={"fps": 3, "resolution": "640x480"})
    client = server.client()

    status = client.get("/timelapse/status").json()
    assert status["today_frame_count"] == 2 and status["last_capture"] is not None
    assert status["resolution"] == "640x480"  # the original's spelling is accepted
    [entry] = client.get("/timelapse").json()
    assert entry["date"] == yesterday
    assert _frames(decode(Path(entry["path"])).stderr) == 3
    assert entry["duration"] == 1.0  # 3 frames at 3 fps
    assert not (timelapse_dir / yesterday).exists()
    assert len(list((timelapse_dir / today).glob("frame_*.jpg"))) == 2

    server.stop()
    again = media_server(Timelapse={"fps": 3}).client()
    # The index answers before it has read the durations back from the .meta.json files.
    wait_until(lambda: again.get("/timelapse").json()[0]["duration"] == 1.0, 10,
               "the duration read back after a restart")
