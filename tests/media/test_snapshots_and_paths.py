"""Snapshots over HTTP, and every file endpoint refusing paths outside its folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from camera_kit import camera_ready, jpeg

from seccam_core.media.service import MEDIA


def test_snapshots_are_taken_listed_served_and_deleted(media_server):
    server = media_server()
    camera_ready(server, seconds=1)
    client = server.client()
    events = server.events()
    before = datetime.now(UTC) - timedelta(seconds=1)

    first = client.post("/snapshot")
    second = client.post("/snapshot")  # same second: must not overwrite the first
    assert first.status_code == 200 and second.status_code == 200
    paths = [Path(first.json()["path"]), Path(second.json()["path"])]
    assert paths[0] != paths[1]
    for path in paths:
        assert path.name.startswith("snapshot_") and jpeg(path.read_bytes())
    event = events.wait_for("archive_updated", lambda d: d["type"] == "snapshot")
    assert event.data["path"] == str(paths[0])

    listing = client.get("/snapshots").json()
    assert [item["path"] for item in listing] == [str(paths[1]), str(paths[0])]
    assert listing[0]["size"] == paths[1].stat().st_size
    page = client.get("/snapshots", params={"offset": 1, "limit": 1})
    assert [item["path"] for item in page.json()] == [str(paths[0])]
    assert page.headers["X-Total-Count"] == "2"

    image = client.get("/snapshot_image", params={"path": str(paths[0])})
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert "max-age=86400" in image.headers["cache-control"]
    assert image.content == paths[0].read_bytes()

    since = before.isoformat()
    assert client.get("/archive/new_count", params={"since": since}).json() == {"count": 2}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/archive/new_count", params={"since": future}).json() == {"count": 0}
    assert client.get("/archive/new_count").json() == {"count": 0}
    assert client.get("/archive/new_count", params={"since": "yesterday"}).json() == {"count": 0}
    naive_utc = before.replace(tzinfo=None).isoformat()
    assert client.get("/archive/new_count", params={"since": naive_utc}).json() == {"count": 2}

    deleted = client.post("/delete_snapshot", json={"snapshot_path": str(paths[0])})
    assert deleted.status_code == 200 and not paths[0].exists()
    missing = client.post("/delete_snapshot", json={"snapshot_path": str(paths[0])})
    assert missing.status_code == 404 and "error" in missing.json()
    assert [item["path"] for item in client.get("/snapshots").json()] == [str(paths[1])]
    assert client.post("/delete_snapshot", json={}).json()["error"].startswith("'snapshot_path'")


def test_every_file_endpoint_refuses_paths_outside_its_folder(media_server, tmp_path):
    server = media_server()
    client = server.client()
    layout = server.seccam.require(MEDIA).layout
    recordings, timelapse = layout.recordings_dir, layout.timelapse_dir

    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"do not serve")
    secret_jpg = tmp_path / "secret.thumb.jpg"
    secret_jpg.write_bytes(b"\xff\xd8\xff secret")
    # Symlinks inside the folders, with allowed names, pointing out of them.
    (recordings / "output_20200101_000000.mp4").symlink_to(secret)
    (recordings / "output_20200101_000000.thumb.jpg").symlink_to(secret_jpg)
    (recordings / "snapshot_20200101_000000.jpg").symlink_to(secret_jpg)
    (timelapse / "timelapse_20200101.mp4").symlink_to(secret)
    # A file in the folder with a name no endpoint may touch.
    (recordings / "notes.mp4").write_bytes(b"not a recording")
    settings_file = server.seccam.data_dir / "settings.json"

    bad_paths = [
        "../settings.json",
        "../../secret.mp4",
        str(settings_file),
        "/etc/passwd",
        str(secret),
        "output_20200101_000000.mp4",
        str(recordings / "notes.mp4"),
        "snapshot_20200101_000000.jpg",
        "timelapse_20200101.mp4",
        "output_x.mp4/../../settings.json",
        "",
        "a\x00b",
    ]
    gets = [
        ("/snapshot_image", "path"), ("/thumbnail", "video_path"), ("/sprite", "video_path"),
        ("/stream_video", "video_path"), ("/timelapse/video", "path"),
        ("/timelapse/thumbnail", "path"),
    ]
    posts = [("/delete_snapshot", "snapshot_path"), ("/delete_video", "video_path"),
             ("/timelapse/delete", "path")]
    for bad in bad_paths:
        for url, field in gets:
            response = client.get(url, params={field: bad})
            assert response.status_code in (400, 404), (url, bad, response.status_code)
            assert "error" in response.json(), (url, bad)
            assert b"do not serve" not in response.content
        for url, field in posts:
            response = client.post(url, json={field: bad})
            assert response.status_code in (400, 404), (url, bad, response.status_code)
            assert "error" in response.json()
    for url in ("/thumbnail/", "/sprite/"):
        for bad in ("..%2Fsettings.json", "output_20200101_000000.mp4", "notes.mp4",
                    "%2Fetc%2Fpasswd"):
            response = client.get(url + bad, follow_redirects=True)  # "//" is merged first
            assert response.status_code in (400, 404), (url, bad)
    assert secret.read_bytes() == b"do not serve"
    assert secret_jpg.exists() and settings_file.exists()
    assert (recordings / "notes.mp4").exists()
    assert os.path.islink(recordings / "output_20200101_000000.mp4")
