"""The archive catalogue (SQLite) and the Camera settings that decide where it looks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from camera_kit import camera_ready, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.catalogue.archive import Archive
from seccam_core.catalogue.database import Database
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.media.layout import MediaLayout
from seccam_core.media.service import MEDIA


def _touch(path: Path, mtime: float, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


@contextlib.asynccontextmanager
async def _catalogue(tmp_path: Path, folder: str = "recordings") -> AsyncIterator[Archive]:
    layout = MediaLayout(tmp_path / folder)
    layout.ensure()
    db = Database(tmp_path / "catalogue.sqlite3")
    db.start()
    archive = Archive(db, layout)
    archive.open()
    try:
        yield archive
    finally:
        await asyncio.to_thread(db.close)


async def _paths(archive: Archive, kind: str = "recording", **page: int) -> list[str]:
    body, _total = await archive.page(kind, **page)
    return [item["path"] for item in json.loads(body)]


async def test_the_catalogue_lists_the_folder_sorted_by_name_time(tmp_path):
    folder = tmp_path / "recordings"
    layout = MediaLayout(folder)
    layout.ensure()
    now = time.time()
    older = _touch(folder / "output_20260101_080000.mp4", now - 100, b"a" * 10)
    newer = _touch(folder / "output_20260102_080000.mp4", now - 200, b"b" * 20)
    same_second = _touch(folder / "output_20260102_080000_2.mp4", now - 50)
    (folder / "output_20260102_080000.thumb.jpg").write_bytes(b"t")
    (folder / "output_20260102_080000.sprite.jpg").write_bytes(b"s")
    (folder / "output_20260102_080000.meta.json").write_text(json.dumps(
        {"duration_seconds": 12.5, "sensor_type": "reed_switch"}))
    _touch(folder / "output_20260103_080000.part.mp4", now)  # still being written
    _touch(folder / "snapshot_20260101_090000.jpg", now - 10)
    _touch(folder / "notes.txt", now)
    _touch(layout.timelapse_dir / "timelapse_20260101.mp4", now - 5)

    async with _catalogue(tmp_path) as archive:
        assert await _paths(archive) == [str(same_second), str(newer), str(older)]
        await archive.reconcile()  # durations come from the sidecars, read last
        body, total = await archive.page("recording")
        listing = json.loads(body)
        assert total == 3
        assert listing[1]["size"] == 20 and listing[1]["duration"] == 12.5
        assert listing[1]["thumbnail"] is True and listing[1]["sprite"] is True
        assert listing[2]["thumbnail"] is False and listing[2]["duration"] is None
        assert await archive.count("snapshot") == 1
        assert await archive.count("timelapse") == 1
        assert (await archive.entries("timelapse"))[0]["date"] == "2026-01-01"
        # new_count: when files appeared (mtime), across recordings, snapshots, timelapses
        assert await archive.new_count(now - 60) == 3
        assert await archive.new_count(now + 1) == 0
        assert await _paths(archive, offset=1, limit=1) == [str(newer)]


async def test_writers_and_deleters_keep_the_catalogue_current(tmp_path):
    async with _catalogue(tmp_path) as archive:
        folder = archive.layout.recordings_dir
        video = _touch(folder / "output_20260101_080000.mp4", time.time())
        added = await asyncio.to_thread(archive.add, video, duration=3.0)
        assert added is not None and added["duration"] == 3.0
        assert await archive.count("recording") == 1
        assert await asyncio.to_thread(archive.add, folder / "settings.json") is None
        assert await asyncio.wrap_future(archive.forget(video)) is True
        assert await asyncio.wrap_future(archive.forget(video)) is False
        assert await _paths(archive) == []


async def test_a_restart_answers_from_the_database_and_then_agrees_with_the_folder(tmp_path):
    folder = tmp_path / "recordings"
    MediaLayout(folder).ensure()
    kept = [_touch(folder / f"output_20260101_0800{i:02d}.mp4", time.time()) for i in range(5)]
    async with _catalogue(tmp_path) as archive:
        assert await archive.count("recording") == 5
    # While the server is down, files are added and removed by hand.
    kept[0].unlink()
    added = _touch(folder / "output_20260102_080000.mp4", time.time())
    async with _catalogue(tmp_path) as archive:
        # The reconcile started with the catalogue (or this one) finds both changes.
        assert await archive.reconcile() is not None
        assert sorted(await _paths(archive)) == sorted(str(p) for p in [*kept[1:], added])


async def test_files_written_while_a_reconcile_runs_are_kept(tmp_path):
    """A recording catalogued by the recorder after a reconcile listed the folder must not
    be dropped by that reconcile, nor a file deleted meanwhile come back. The reconcile is
    driven step by step on the catalogue's thread so that the writes land in between."""
    folder = tmp_path / "recordings"
    MediaLayout(folder).ensure()
    for i in range(50):
        _touch(folder / f"snapshot_20260101_0000{i:02d}.jpg", time.time())
    async with _catalogue(tmp_path) as archive:
        await archive.reconcile()

        def list_the_folder(connection):
            running = archive._start_reconcile(connection, archive._scope_now(connection))
            while next(running.steps) != "names listed":
                pass
            return running

        running = await archive.db.run(list_the_folder)
        video = _touch(folder / "output_20260105_080000.mp4", time.time())
        await asyncio.to_thread(archive.add, video)
        gone = folder / "snapshot_20260101_000000.jpg"
        gone.unlink()
        await asyncio.wrap_future(archive.forget(gone))
        await archive.db.run(lambda connection: archive._drive(connection, running))
        assert await _paths(archive) == [str(video)]
        assert await archive.count("snapshot") == 49


def test_deletions_announced_on_the_bus_update_the_listing(media_server):
    server = media_server()
    client = server.client()
    archive = server.seccam.require(MEDIA).archive
    folder = server.seccam.require(MEDIA).layout.recordings_dir
    paths = [_touch(folder / f"output_20260101_08000{i}.mp4", time.time()) for i in range(3)]
    for path in paths:
        server.call(lambda p=path: asyncio.to_thread(archive.add, p))
    assert client.get("/archive/count").json() == {"count": 3}

    # The storage cleaner deletes files itself, then says so on the bus.
    paths[0].unlink()
    server.call(lambda: server.seccam.bus.publish(
        "archive_updated", {"path": str(paths[0]), "type": "deleted"}))
    paths[1].unlink()
    server.call(lambda: server.seccam.bus.publish(
        "storage_cleanup", {"deleted": [str(paths[1])], "freed_bytes": 1}))
    assert client.get("/archive/count").json() == {"count": 1}
    assert [item["path"] for item in client.get("/archive").json()] == [str(paths[2])]


def test_files_added_and_removed_by_hand_are_found(media_server):
    server = media_server()
    client = server.client()
    folder = server.seccam.require(MEDIA).layout.recordings_dir
    by_hand = [_touch(folder / f"output_20260101_0900{i:02d}.mp4", time.time())
               for i in range(4)]
    (folder / "output_20260101_090000.thumb.jpg").write_bytes(b"t")

    # On demand: the answer says what changed, the listing agrees with the folder.
    report = client.post("/archive/reconcile")
    assert report.status_code == 200, report.text
    assert report.json()["added"] == 4 and report.json()["folder"] == str(folder)
    listing = client.get("/archive").json()
    assert sorted(item["path"] for item in listing) == sorted(map(str, by_hand))
    assert [item["thumbnail"] for item in listing if item["name"].endswith("090000.mp4")] == [
        True]

    # Periodically: the check notices the folder changed and reconciles by itself.
    by_hand[0].unlink()
    server.call(server.seccam.require(CATALOGUE).check)
    assert client.get("/archive/count").json() == {"count": 3}
    # ...and does nothing while the folder is unchanged.
    reconciles = server.seccam.require(MEDIA).archive.reconciles
    server.call(server.seccam.require(CATALOGUE).check)
    assert server.seccam.require(MEDIA).archive.reconciles == reconciles


def test_switching_the_folder_never_mixes_or_shows_the_old_one(media_server, tmp_path):
    first = tmp_path / "first"
    second = tmp_path / "second"
    for folder, count in ((first, 30), (second, 7)):
        folder.mkdir()
        for i in range(count):
            _touch(folder / f"output_20260101_10{i // 60:02d}{i % 60:02d}.mp4", time.time())
    server = media_server(camera={"recordings_dir": str(first)})
    client = server.client()
    assert client.get("/archive/count").json() == {"count": 30}

    answers: list[tuple[str, int, set[str]]] = []
    answered = threading.Condition()
    stop = threading.Event()

    def record(answer: tuple[str, int, set[str]]) -> None:
        with answered:
            answers.append(answer)
            answered.notify_all()

    def poll() -> None:
        reader = server.client()
        while not stop.is_set():
            try:
                listing = reader.get("/archive")
            except httpx.HTTPError as exc:
                record(("error", 0, {repr(exc)}))
                return
            if listing.status_code != 200:
                record(("error", listing.status_code, {listing.text}))
                continue
            parents = {str(Path(item["path"]).parent) for item in listing.json()}
            record(("list", int(listing.headers["X-Total-Count"]), parents))

    def another_answer() -> None:
        """Wait for the reader's next answer, so its reads fall between the switches
        however slow a loaded machine makes its first connection."""
        with answered:
            seen = len(answers)
            assert answered.wait_for(lambda: len(answers) > seen, timeout=30), \
                "the reader got no answer in 30 s"

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for _ in range(3):
            for folder, count in ((second, 7), (first, 30)):
                another_answer()
                written = client.post("/settings", json={"Camera": {"recordings_dir":
                                                                    str(folder)}})
                assert written.status_code == 200, written.text
                # The very next answer is about the new folder, whole.
                assert client.get("/archive/count").json() == {"count": count}
                listing = client.get("/archive").json()
                assert {str(Path(item["path"]).parent) for item in listing} == {str(folder)}
                assert len(listing) == count
    finally:
        stop.set()
        poller.join()
    assert answers
    for kind, total, parents in answers:
        assert kind == "list", (total, parents)
        assert (total, parents) in ((30, {str(first)}), (7, {str(second)})), (total, parents)


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
    wait_until(elsewhere.is_dir, 10, "the new folder, created")
    camera_ready(server, seconds=1)
    snapshot = client.post("/snapshot")
    assert snapshot.status_code == 200, snapshot.text
    assert Path(snapshot.json()["path"]).parent == elsewhere
    assert client.get("/snapshots").json()[0]["path"] == snapshot.json()["path"]


async def test_the_day_and_sensor_filters_narrow_the_list_and_its_total(tmp_path):
    """The dashboard's archive filters: a local calendar day, and a sensor id (from the
    recording's .meta.json ``sensors``, so a clip two sensors shared matches both)."""
    folder = tmp_path / "recordings"
    layout = MediaLayout(folder)
    layout.ensure()
    now = time.time()
    made = {
        "output_20260301_235959.mp4": ["door"],
        "output_20260302_000000.mp4": ["door", "hall"],
        "output_20260302_120000.mp4": ["hall"],
        "output_20260302_130000.mp4": None,  # manual: no sensors
        "output_20260303_000000.mp4": ["hall-2"],
    }
    for name, sensors in made.items():
        _touch(folder / name, now)
        if sensors is not None:
            (folder / name.replace(".mp4", ".meta.json")).write_text(json.dumps(
                {"sensors": sensors, "sensor_type": "mock", "incident_id": f"inc_{name[7:22]}"}))
    async with _catalogue(tmp_path) as archive:
        await archive.reconcile()

        async def names(**filters):
            body, total = await archive.page("recording", **filters)
            listed = [item["name"] for item in json.loads(body)]
            return listed, total

        assert await names(day="2026-03-02") == (
            ["output_20260302_130000.mp4", "output_20260302_120000.mp4",
             "output_20260302_000000.mp4"], 3)
        assert await names(sensor="door") == (
            ["output_20260302_000000.mp4", "output_20260301_235959.mp4"], 2)
        assert await names(sensor="hall") == (
            ["output_20260302_120000.mp4", "output_20260302_000000.mp4"], 2)
        assert await names(day="2026-03-02", sensor="hall", offset=1, limit=1) == (
            ["output_20260302_000000.mp4"], 2)
        assert await names(day="2026-03-04") == ([], 0)
        assert (await names())[1] == 5
        # Each recording says which sensors and incident; a manual one neither.
        listed = {item["name"]: item for item in json.loads((await archive.page("recording"))[0])}
        assert {name: item["sensors"] for name, item in listed.items()} == {
            name: sensors or [] for name, sensors in made.items()}
        assert listed["output_20260302_000000.mp4"]["incident_id"] == "inc_20260302_000000"
        assert listed["output_20260302_130000.mp4"]["incident_id"] is None


SENSOR_POOL = ["door", "hall", "hall-2", "garage"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(
    st.sampled_from(["add", "change", "remove"]), st.integers(0, 7),
    st.lists(st.sampled_from(SENSOR_POOL), unique=True, max_size=3)), min_size=1,
    max_size=25))
async def test_the_sensor_filter_follows_every_change_to_the_folder(tmp_path_factory, steps):
    """Recordings added, their meta rewritten (the sensors change), removed, in any order:
    after each reconcile the sensor filter lists exactly the recordings whose meta names
    that sensor, newest first, with the right total (checked against a plain model)."""
    tmp_path = tmp_path_factory.mktemp("sensors")
    folder = tmp_path / "recordings"
    model: dict[str, list[str]] = {}
    async with _catalogue(tmp_path) as archive:
        for step, (action, number, sensors) in enumerate(steps):
            name = f"output_20260302_{number:02d}0000.mp4"
            clip, meta = folder / name, folder / name.replace(".mp4", ".meta.json")
            if action == "remove":
                clip.unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                model.pop(name, None)
            elif action == "add" or name in model:
                if not clip.exists():
                    _touch(clip, time.time())
                meta.write_text(json.dumps({"sensors": sensors}))
                changed = time.time() + step  # a later mtime at every rewrite
                os.utime(meta, (changed, changed))
                model[name] = sensors
            await archive.reconcile()
            # Each item names its sensors, as its meta does now, filtered or not.
            listed = json.loads((await archive.page("recording"))[0])
            assert {item["name"]: item["sensors"] for item in listed} == model
            for sensor in SENSOR_POOL:
                body, total = await archive.page("recording", sensor=sensor)
                expected = sorted((n for n, s in model.items() if sensor in s), reverse=True)
                assert [item["name"] for item in json.loads(body)] == expected, sensor
                assert all(sensor in item["sensors"] for item in json.loads(body))
                assert total == len(expected)


async def test_a_hand_edited_meta_with_odd_sensor_names_is_catalogued_all_the_same(
        tmp_path):
    folder = tmp_path / "recordings"
    MediaLayout(folder).ensure()
    clip = _touch(folder / "output_20260302_100000.mp4", time.time())
    clip.with_name(clip.stem + ".meta.json").write_text(json.dumps(
        {"sensors": ['a"b', "x,y", "\\", "Door", "hall", "", 7]}))
    async with _catalogue(tmp_path) as archive:
        await archive.reconcile()
        assert (await archive.page("recording"))[1] == 1
        body, total = await archive.page("recording", sensor="hall")
        assert total == 1 and json.loads(body)[0]["name"] == clip.name
        assert json.loads(body)[0]["sensors"] == ["hall"]  # the ids a sensor can have
        assert (await archive.page("recording", sensor="door"))[1] == 0


def test_archive_filters_refuse_bad_values_naming_the_field(media_server):
    client = media_server().client()
    for query, field in [({"day": "2026-02-31"}, "day"), ({"day": "yesterday"}, "day"),
                         ({"sensor": "Front Door"}, "sensor"), ({"sensor": "a%"}, "sensor")]:
        answer = client.get("/archive", params=query)
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["error"].startswith(field), answer.json()
    answer = client.get("/archive", params={"day": "2026-03-02", "sensor": "door"})
    assert answer.status_code == 200 and answer.headers["X-Total-Count"] == "0"


async def test_every_page_from_either_end_is_the_same_slice_of_the_newest_first_list(
        tmp_path):
    """Pages past the middle are read from the oldest end (fast last pages); whatever
    the offset and limit, a page is the same slice of the one newest-first order,
    same-second names included."""
    folder = tmp_path / "recordings"
    layout = MediaLayout(folder)
    layout.ensure()
    now = time.time()
    for i in range(23):
        stamp = f"2026030{1 + i % 3}_1{i % 4}0000"
        suffix = f"_{i}" if i % 5 == 0 else ""
        _touch(folder / f"output_{stamp}{suffix}.mp4", now)
    async with _catalogue(tmp_path) as archive:
        await archive.reconcile()
        everything = await _paths(archive)
        assert len(everything) == len(list(folder.glob("*.mp4"))) > 12
        for limit in (1, 2, 5, 10, 23, 30):
            for offset in range(0, len(everything) + 3):
                assert await _paths(archive, offset=offset, limit=limit) == (
                    everything[offset:offset + limit]), (offset, limit)


async def test_a_version_4_catalogue_is_upgraded_in_place_keeping_the_history(tmp_path):
    """A catalogue written before recordings named their sensors (schema 4, made here as
    that version wrote it: the same tables, answers without ``sensors``): opened, its
    answers gain them from the stored column, and the event history is still there."""
    folder = tmp_path / "recordings"
    MediaLayout(folder).ensure()
    clip = _touch(folder / "output_20260302_100000.mp4", time.time())
    clip.with_name(clip.stem + ".meta.json").write_text(json.dumps(
        {"sensors": ["door", "hall"], "incident_id": "inc_20260302T100000_abcdef"}))
    async with _catalogue(tmp_path) as archive:
        await archive.reconcile()
        current = json.loads((await archive.page("recording"))[0])[0]
    path = tmp_path / "catalogue.sqlite3"
    with sqlite3.connect(path) as old:  # back to what version 4 stored
        old.execute("UPDATE media SET doc = json_remove(doc, '$.sensors', '$.incident_id')")
        old.execute("INSERT INTO events (event_id, ts, type, event, severity, detail, data, "
                    "bytes) VALUES (1, 1, 'arm_mode', 'arming_state', 'info', 'kept', '{}', 9)")
        old.execute("PRAGMA user_version=4")
    old.close()

    async with _catalogue(tmp_path) as archive:
        upgraded = json.loads((await archive.page("recording"))[0])[0]
        kept = await archive.db.run(lambda c: c.execute(
            "SELECT detail FROM events").fetchall())
        version = await archive.db.run(lambda c: c.execute("PRAGMA user_version").fetchone())
    assert upgraded == current
    assert (upgraded["sensors"], upgraded["incident_id"]) == (
        ["door", "hall"], "inc_20260302T100000_abcdef")
    assert kept == [("kept",)] and version == (5,)
