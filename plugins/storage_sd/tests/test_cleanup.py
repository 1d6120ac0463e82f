"""Auto-delete on a real filesystem that really fills (a 10 MiB tmpfs), over HTTP."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import seccam_storage_sd
from conftest import enable_auto_delete
from small_disk import MIB, write_file

from seccam_core import ARCHIVE, RECORDER, sidecars


def _exists(paths) -> list[bool]:
    return [Path(p).exists() for p in paths]


def test_oldest_recordings_go_first_with_their_sidecars(seccam_live_server, small_disk):
    # Names say oldest first; mtimes say the opposite (a final remux resets mtimes):
    # the name is what counts.
    server = seccam_live_server(seccam_storage_sd)
    events = server.events()
    enable_auto_delete(server, 35)  # on an empty disk: nothing to do yet
    now = time.time()
    videos = [small_disk.recording(minutes=i, mtime=now - 1000 * i) for i in range(6)]
    snapshot = write_file(small_disk.root / "snapshot_20250101_000000.jpg", 50_000)
    timelapse = write_file(small_disk.layout.timelapse_dir / "timelapse_20250101.mp4", 100_000)
    assert small_disk.percent() > 60

    response = server.client().post("/storage/cleanup")

    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "cleaned" and body["enabled"] is True
    # The snapshot's name is the oldest: it goes first (it frees too little on its own).
    assert body["deleted"] == [str(snapshot), *(str(v) for v in videos[:3])]
    assert body["threshold"] == 35 and isinstance(body["threshold"], int)
    assert body["disk_percent"] <= 35
    assert body["disk_percent"] == small_disk.percent()
    assert body["freed_bytes"] == 50_000 + 3 * (MIB + 3 * 2000)
    assert body["freed_mb"] == round(body["freed_bytes"] / MIB, 1)
    for video in videos[:3]:
        assert _exists([video, *sidecars(video)]) == [False] * 4
    for video in videos[3:]:
        assert _exists([video, *sidecars(video)]) == [True] * 4
    assert not snapshot.exists() and timelapse.exists()
    announced = events.wait_for("storage_cleanup")
    assert announced.data["deleted"] == body["deleted"]
    assert announced.data["freed_bytes"] == body["freed_bytes"]
    deleted_paths = [events.wait_for("archive_updated").data for _ in range(4)]
    assert deleted_paths == [{"path": p, "type": "deleted"} for p in body["deleted"]]


def test_a_card_full_of_incident_snapshots_is_cleaned_oldest_first(
        seccam_live_server, small_disk):
    """Every incident takes a snapshot: a busy door fills the card with them even after
    the recordings are gone. They go oldest first by the time in their names, the
    archive forgets them, and a snapshot newer than the rest of what goes stays."""
    server = seccam_live_server(seccam_storage_sd, media=True)
    client = server.client()
    enable_auto_delete(server, 50)
    snapshots = [write_file(small_disk.root / f"snapshot_20260301_08{i:02d}00.jpg", 400_000)
                 for i in range(20)]
    video = small_disk.recording(minutes=30)  # 08:30: newer than every snapshot
    assert small_disk.percent() > 80
    assert client.post("/archive/reconcile").json()["added"] == 21

    body = client.post("/storage/cleanup").json()

    assert body["action"] == "cleaned", body
    assert small_disk.percent() <= 50
    gone = len(body["deleted"])
    assert body["deleted"] == [str(s) for s in snapshots[:gone]]
    assert _exists(snapshots) == [False] * gone + [True] * (20 - gone)
    assert video.exists()
    listed = [item["path"] for item in client.get("/snapshots").json()]
    assert listed == [str(s) for s in reversed(snapshots[gone:])]


def test_the_archive_forgets_what_the_cleanup_deleted(seccam_live_server, small_disk):
    """With the media plugin (its archive catalogue) running beside the cleaner."""
    server = seccam_live_server(seccam_storage_sd, media=True)
    client = server.client()
    enable_auto_delete(server, 35)
    now = time.time()
    videos = [small_disk.recording(minutes=i, mtime=now - 1000 * i) for i in range(6)]
    assert client.post("/archive/reconcile").json()["added"] == 6  # written by hand
    assert client.post("/storage/cleanup").json()["deleted"] == [str(v) for v in videos[:3]]
    listed = client.get("/archive").json()
    assert [item["path"] for item in listed] == [str(v) for v in reversed(videos[3:])]
    assert client.get("/archive/count").json() == {"count": 3}


def test_under_the_threshold_nothing_is_deleted(seccam_live_server, small_disk):
    server = seccam_live_server(seccam_storage_sd)
    enable_auto_delete(server, 80)
    videos = [small_disk.recording(minutes=i) for i in range(3)]

    body = server.client().post("/storage/cleanup").json()

    assert body == {"enabled": True, "action": "ok", "disk_percent": small_disk.percent(),
                    "threshold": 80}
    assert all(_exists(videos))


def test_disabled_auto_delete_is_skipped(seccam_live_server, small_disk):
    videos = [small_disk.recording(minutes=i) for i in range(3)]
    small_disk.fill_to(97)
    server = seccam_live_server(seccam_storage_sd)

    body = server.client().post("/storage/cleanup").json()

    assert body == {"enabled": False, "action": "skipped"}
    assert all(_exists(videos))


def test_recording_in_progress_survives(seccam_live_server, small_disk):
    """The recorder service belongs to the media plugin; a stand-in object with the
    agreed ``current_path`` attribute plays it here."""
    server = seccam_live_server(seccam_storage_sd)
    enable_auto_delete(server, 35)
    oldest = small_disk.recording(minutes=0)          # the recorder writes this one now
    part = write_file(small_disk.root / "output_20260301_080100.part.mp4", 2 * MIB)
    finished = [small_disk.recording(minutes=i) for i in range(2, 5)]
    server.call(lambda: server.seccam.provide(
        RECORDER, SimpleNamespace(current_path=oldest), replace=True))

    body = server.client().post("/storage/cleanup").json()

    assert body["action"] == "cleaned"
    assert str(oldest) not in body["deleted"] and str(part) not in body["deleted"]
    assert oldest.exists() and part.exists()
    assert body["deleted"] == [str(v) for v in finished[: len(body["deleted"])]]
    assert body["disk_percent"] <= 35


def test_disk_full_of_other_files_deletes_nothing(seccam_live_server, small_disk):
    server = seccam_live_server(seccam_storage_sd)
    enable_auto_delete(server, 50)
    events = server.events()
    videos = [small_disk.recording(minutes=i) for i in range(2)]
    small_disk.fill_to(90)

    body = server.client().post("/storage/cleanup").json()

    assert body["action"] == "insufficient"
    assert body["deleted"] == [] and body["freed_bytes"] == 0
    assert "nothing was deleted" in body["error"]
    assert body["reclaimable_bytes"] < body["needed_bytes"]
    assert all(_exists(videos))
    assert events.wait_for("storage_cleanup").data["action"] == "insufficient"


def test_symlinks_and_foreign_names_are_never_followed(seccam_live_server, small_disk,
                                                       tmp_path):
    outside = tmp_path / "outside"
    target = write_file(outside / "output_20200101_000000.mp4", 1000)
    outside_sidecar = write_file(outside / "output_20200101_000001.thumb.jpg", 1000)
    link = small_disk.root / "output_20200101_000000.mp4"
    link.symlink_to(target)
    (small_disk.root / "output_20200101_000001.mp4").symlink_to("../../outside/nowhere.mp4")
    foreign = [
        write_file(small_disk.root / name, 100_000)
        for name in ("output_old.mp4", "video.mp4", "output_20200101_000002.mov",
                     "output_20201399_000000.mp4")
    ]
    nested = write_file(small_disk.root / "sub" / "output_20190101_000000.mp4", 100_000)
    old_timelapse = write_file(small_disk.layout.timelapse_dir / "timelapse_20190101.mp4",
                               100_000)
    ours = [small_disk.recording(minutes=i, size=2 * MIB) for i in range(3)]
    # A sidecar that is a symlink out of the folder: left alone, its target untouched.
    sidecars(ours[0])[0].unlink()
    sidecars(ours[0])[0].symlink_to(outside_sidecar)
    server = seccam_live_server(seccam_storage_sd)
    server.call(lambda: server.seccam.provide(
        RECORDER, SimpleNamespace(current_path=Path("../x")), replace=True))
    events = server.events()
    enable_auto_delete(server, 10)
    # A finished recording reported with a hostile path only wakes the check.
    server.call(lambda: server.seccam.bus.publish(
        "archive_updated", {"path": "../../outside/output_20200101_000000.mp4",
                            "type": "recording"}))

    cleanup = events.wait_for("storage_cleanup").data

    assert sorted(cleanup["deleted"]) == sorted(str(v) for v in ours)
    assert not any(_exists(ours))
    assert target.exists() and outside_sidecar.exists()
    assert link.is_symlink() and sidecars(ours[0])[0].is_symlink()
    assert all(_exists([*foreign, nested, old_timelapse]))


def test_a_finished_recording_triggers_a_check(seccam_live_server, small_disk):
    videos = [small_disk.recording(minutes=i) for i in range(4)]
    server = seccam_live_server(seccam_storage_sd)
    events = server.events()
    enable_auto_delete(server, 60)  # under: the check that enabling triggers finds nothing to do
    newest = small_disk.recording(minutes=10, size=2 * MIB)  # the recorder just finished it
    server.call(lambda: server.seccam.bus.publish(
        "archive_updated", {"path": str(newest), "type": "recording"}))

    cleanup = events.wait_for("storage_cleanup").data

    assert cleanup["deleted"] == [str(videos[0])]
    assert newest.exists()


def test_the_periodic_check_runs_without_a_trigger(seccam_live_server, small_disk):
    videos = [small_disk.recording(minutes=i) for i in range(4)]
    server = seccam_live_server(seccam_storage_sd)
    response = server.client().post("/settings", json={"StorageLimit": {
        "enabled": True, "max_percent": 50, "check_interval_seconds": 1}})
    assert response.status_code == 200
    events = server.events()
    small_disk.fill_to(55)  # the disk fills while nobody records

    cleanup = events.wait_for("storage_cleanup", timeout=15).data

    assert cleanup["deleted"] == [str(videos[0])]
    assert os.path.exists(videos[1])


def test_a_big_cleanup_is_announced_in_bounded_events(seccam_live_server, small_disk):
    """The media archive index is another plugin's service; a stand-in with the agreed
    ``forget(path)`` method records what it is told."""
    forgotten: list[str] = []
    server = seccam_live_server(seccam_storage_sd)
    server.call(lambda: server.seccam.provide(
        ARCHIVE, SimpleNamespace(forget=forgotten.append), replace=True))
    enable_auto_delete(server, 10)
    events = server.events()
    videos = [small_disk.recording(minutes=i, size=40_000, with_sidecars=False)
              for i in range(200)]

    body = server.client().post("/storage/cleanup").json()

    deleted = body["deleted"]
    assert len(deleted) > 150 and deleted == [str(v) for v in videos[: len(deleted)]]
    assert forgotten == deleted  # every one, not only those the events list
    announced = events.wait_for("storage_cleanup").data
    assert announced["deleted_count"] == len(deleted)
    assert announced["deleted"] == deleted[:100]
    per_file = [events.wait_for("archive_updated").data for _ in range(100)]
    assert [e["path"] for e in per_file] == deleted[:100]
    summary = events.wait_for("archive_updated").data
    assert summary == {"path": str(small_disk.root), "type": "deleted",
                       "count": len(deleted) - 100}
