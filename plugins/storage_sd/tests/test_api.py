"""``/storage/status`` and ``/storage/configure`` over HTTP, and the plugin's wiring."""

from __future__ import annotations

import json

import pytest
import seccam_storage_sd
from small_disk import MIB, write_file


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    plugins = {p["name"]: p for p in server.client().get("/plugins").json()["plugins"]}
    assert plugins["storage_sd"]["distribution"] == "seccam-storage-sd"
    assert plugins["storage_sd"]["error"] is None
    assert server.client().get("/storage/status").status_code == 200


def test_status_reports_the_media_filesystem_and_what_takes_it(seccam_live_server,
                                                                 small_disk):
    server = seccam_live_server(seccam_storage_sd)
    client = server.client()
    videos = [small_disk.recording(minutes=i) for i in range(3)]
    write_file(small_disk.root / "output_20260301_090000.part.mp4", 500_000)
    for i in range(2):
        write_file(small_disk.root / f"snapshot_20260301_08000{i}.jpg", 40_000)
    write_file(small_disk.layout.timelapse_dir / "timelapse_20260228.mp4", 300_000)
    write_file(small_disk.layout.timelapse_dir / "timelapse_20260228.thumb.jpg", 10_000)
    write_file(small_disk.layout.frames_dir / "2026-03-01" / "frame_080000.jpg", 20_000)
    write_file(small_disk.root / "notes.txt", 1000)

    status = client.get("/storage/status").json()

    assert status["enabled"] is False and status["max_percent"] == 85
    assert status["disk_percent"] == small_disk.percent()
    assert status["disk_total_gb"] == 0.0  # 10 MiB, one decimal of a GiB
    assert status["recordings"] == {"count": 3, "bytes": 3 * (MIB + 3 * 2000) + 500_000}
    assert status["snapshots"] == {"count": 2, "bytes": 80_000}
    assert status["timelapses"] == {"count": 1, "bytes": 330_000}

    # A cleanup (or any archive_updated) refreshes the figures.
    events = server.events()
    client.post("/storage/configure", json={"enabled": True, "max_percent": 20})
    events.wait_for("storage_cleanup", lambda data: data["deleted_count"] > 0)
    after = client.get("/storage/status").json()
    assert after["recordings"]["count"] < 3
    assert after["disk_percent"] == small_disk.percent() <= 20
    assert not videos[0].exists()


def test_configure_saves_and_status_shows_it(seccam_live_server, seccam_data_dir):
    server = seccam_live_server(seccam_storage_sd)
    client = server.client()
    events = server.events()

    response = client.post("/storage/configure", json={"enabled": True, "max_percent": 70})

    assert response.status_code == 200
    assert response.json()["config"]["enabled"] is True
    assert response.json()["config"]["max_percent"] == 70
    assert events.wait_for("settings_changed").data == {"sections": ["StorageLimit"]}
    status = client.get("/storage/status").json()
    assert (status["enabled"], status["max_percent"]) == (True, 70)
    stored = json.loads((seccam_data_dir / "settings.json").read_text())
    assert stored["StorageLimit"]["max_percent"] == 70
    # Each field is optional: the other keeps its value.
    client.post("/storage/configure", json={"max_percent": 90})
    assert client.get("/storage/status").json()["enabled"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"max_percent": 5}, "max_percent must be a whole number from 10 to 95"),
    ({"max_percent": 96}, "max_percent must be a whole number from 10 to 95"),
    ({"max_percent": "abc"}, "max_percent must be a whole number from 10 to 95"),
    ({"max_percent": 50.5}, "max_percent must be a whole number from 10 to 95"),
    ({"max_percent": True}, "max_percent must be a whole number from 10 to 95"),
    ({"max_percent": None}, "max_percent must be a whole number from 10 to 95"),
    ({"enabled": "yes"}, "enabled must be true or false"),
    ({"threshold": 50}, "threshold: unknown field"),
])
def test_configure_rejects_bad_values_naming_the_field(seccam_live_server, seccam_data_dir,
                                                       body, field):
    server = seccam_live_server(seccam_storage_sd)
    client = server.client()

    response = client.post("/storage/configure", json=body)

    assert response.status_code == 400
    assert response.json()["error"].startswith(field)
    status = client.get("/storage/status").json()
    assert (status["enabled"], status["max_percent"]) == (False, 85)


@pytest.mark.parametrize("raw", ["[1, 2]", "null", "{not json", "\"85\""])
def test_configure_rejects_bodies_that_are_not_objects(seccam_live_server, raw):
    server = seccam_live_server(seccam_storage_sd)

    response = server.client().post(
        "/storage/configure", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "error" in response.json()


def test_storage_endpoints_need_the_token(seccam_live_server):
    server = seccam_live_server(seccam_storage_sd)
    anonymous = server.client(token=None)
    for method, path in [("GET", "/storage/status"), ("POST", "/storage/configure"),
                         ("POST", "/storage/cleanup")]:
        assert anonymous.request(method, path).status_code == 401
