"""The archive index and the Camera settings that decide where the archive lives."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from camera_kit import camera_ready, wait_until

from seccam_core.media.archive import ArchiveIndex
from seccam_core.media.layout import MediaLayout
from seccam_core.media.service import MEDIA


def _touch(path: Path, mtime: float, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def _archive(tmp_path: Path) -> tuple[MediaLayout, ArchiveIndex]:
    layout = MediaLayout(tmp_path / "recordings")
    layout.ensure()
    return layout, ArchiveIndex(layout)


def test_the_index_is_built_from_the_folders_and_sorted_by_name_time(tmp_path):
    layout, archive = _archive(tmp_path)
    folder = layout.recordings_dir
    now = time.time()
    older = _touch(folder / "output_20260101_080000.mp4", now - 100, b"a" * 10)
    newer = _touch(folder / "output_20260102_080000.mp4", now - 200, b"b" * 20)
    same_second = _touch(folder / "output_20260102_080000_2.mp4", now - 50)
    (folder / "output_20260102_080000.thumb.jpg").write_bytes(b"t")
    (folder / "output_20260102_080000.sprite.jpg").write_bytes(b"s")
    (folder / "output_20260102_080000.meta.json").write_text(json.dumps(
        {"duration_seconds": 12.5}))
    _touch(folder / "output_20260103_080000.part.mp4", now)  # still being written
    _touch(folder / "snapshot_20260101_090000.jpg", now - 10)
    _touch(folder / "notes.txt", now)
    _touch(layout.timelapse_dir / "timelapse_20260101.mp4", now - 5)

    archive.rebuild()

    listing = archive.newest_first("recording")
    assert [item["path"] for item in listing] == [str(same_second), str(newer), str(older)]
    assert listing[1]["size"] == 20 and listing[1]["duration"] == 12.5
    assert listing[1]["thumbnail"] is True and listing[1]["sprite"] is True
    assert listing[2]["thumbnail"] is False
    assert archive.count("recording") == 3
    assert archive.count("snapshot") == 1 and archive.count("timelapse") == 1
    assert archive.newest_first("timelapse")[0]["date"] == "2026-01-01"
    # new_count: when files appeared (mtime), across recordings, snapshots, timelapses
    assert archive.new_count(now - 60) == 3
    assert archive.new_count(now + 1) == 0
    assert [i["path"] for i in archive.newest_first("recording", offset=1, limit=1)] == [
        str(newer)]


def test_writers_and_deleters_keep_the_index_current(tmp_path):
    layout, archive = _archive(tmp_path)
    archive.rebuild()
    video = _touch(layout.recordings_dir / "output_20260101_080000.mp4", time.time())
    assert archive.add(video) is not None
    assert archive.count("recording") == 1
    assert archive.add(layout.recordings_dir / "settings.json") is None  # not media
    assert archive.forget(video) is True
    assert archive.forget(video) is False
    assert archive.newest_first("recording") == []


def test_deletions_announced_on_the_bus_update_the_listing(media_server):
    server = media_server()
    client = server.client()
    archive = server.seccam.require(MEDIA).archive
    folder = server.seccam.require(MEDIA).layout.recordings_dir
    paths = [_touch(folder / f"output_20260101_08000{i}.mp4", time.time()) for i in range(3)]
    for path in paths:
        server.call(lambda p=path: archive.add(p))
    assert client.get("/archive/count").json() == {"count": 3}

    # The storage cleaner deletes files itself, then says so on the bus.
    paths[0].unlink()
    server.call(lambda: server.seccam.bus.publish(
        "archive_updated", {"path": str(paths[0]), "type": "deleted"}))
    paths[1].unlink()
    server.call(lambda: server.seccam.bus.publish(
        "storage_cleanup", {"deleted": [str(paths[1])], "freed_bytes": 1}))
    wait_until(lambda: client.get("/archive/count").json() == {"count": 1}, 5, "forgetting")
    assert [item["path"] for item in client.get("/archive").json()] == [str(paths[2])]


def test_the_recordings_folder_cannot_be_a_system_folder(media_server, tmp_path):
    server = media_server()
    client = server.client()
    for bad in ("/", "/etc", "/usr/lib/x", "/home", "../elsewhere", "/mnt/usb/../../etc",
                "/proc/self"):
        response = client.post("/settings", json={"Camera": {"recordings_dir": bad}})
        assert response.status_code == 400, bad
        assert response.json()["error"].startswith("Camera.recordings_dir"), bad
    assert server.seccam.settings.value("Camera", "recordings_dir") == ""

    elsewhere = tmp_path / "usb" / "recordings"
    response = client.post("/settings", json={"Camera": {"recordings_dir": str(elsewhere)}})
    assert response.status_code == 200, response.text
    wait_until(lambda: server.seccam.require(MEDIA).layout.recordings_dir == elsewhere, 10,
               "the new recordings folder")
    assert elsewhere.is_dir()
    camera_ready(server, seconds=1)
    snapshot = client.post("/snapshot")
    assert snapshot.status_code == 200, snapshot.text
    assert Path(snapshot.json()["path"]).parent == elsewhere
    assert client.get("/snapshots").json()[0]["path"] == snapshot.json()["path"]
