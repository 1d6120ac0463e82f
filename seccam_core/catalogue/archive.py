"""The archive catalogue: recordings, snapshots and timelapses of one folder, in SQLite.

Each file is one row (kind, name, size, mtime, creation time from its name, duration,
thumbnail and sprite flags, sensor, incident id) with its JSON answer stored beside it,
so a page of ``/archive`` is an indexed range read and a join of stored strings, and
counts are index counts: memory does not grow with the number of files.

**Scope.** Rows belong to a folder (``Camera.recordings_dir``); only the current one is
answered for. :meth:`Archive.switch` changes it as one job on the catalogue's thread,
so every answer is about the old folder or about the new one, never both. A folder
seen before is answered for at once (rows are kept per folder) and reconciled behind;
one never seen is listed before the next answer.

**Reconciling with the folder.** The recorder, snapshots, timelapse and the delete
endpoints keep the rows current (:meth:`add`, :meth:`forget`). Files added or removed
by hand are found by a reconcile: at start (in the background, batch by batch, after
answering from the database), when a folder's modification time changes (checked
periodically), and on demand (``POST /archive/reconcile``). Durations, from the
``.meta.json`` sidecars, are read last.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from seccam_core.catalogue.database import Database
from seccam_core.media.layout import MediaLayout, sidecars

log = logging.getLogger(__name__)

KINDS = ("recording", "snapshot", "timelapse")
VIDEO_KINDS = ("recording", "timelapse")  # the kinds with sidecars and a duration
BATCH = 500  # rows per step of a reconcile: an answer waits for one step at most
_NAME_STAMP = re.compile(r"^(?:output|snapshot|timelapse)_(\d{8})(?:_(\d{6}))?")
RECORDINGS, TIMELAPSES = 0, 1  # the two folders of a scope, as stored in the scan table


# --- names --------------------------------------------------------------------------------


def kind_by_name(name: str, in_timelapse_dir: bool) -> str | None:
    """Which archive a file name belongs to in its folder, if any."""
    if in_timelapse_dir:
        return "timelapse" if name.startswith("timelapse_") and name.endswith(".mp4") else None
    if name.startswith("output_") and name.endswith(".mp4") and not name.endswith(".part.mp4"):
        return "recording"
    if name.startswith("snapshot_") and name.endswith(".jpg"):
        return "snapshot"
    return None


def kind_of(path: Path, layout: MediaLayout) -> str | None:
    """Which archive a path belongs to (by folder and name pattern), if any."""
    if path.parent == layout.recordings_dir:
        return kind_by_name(path.name, False)
    if path.parent == layout.timelapse_dir:
        return kind_by_name(path.name, True)
    return None


def _is_sidecar(name: str, in_timelapse_dir: bool) -> bool:
    prefix = "timelapse_" if in_timelapse_dir else "output_"
    return name.startswith(prefix) and name.endswith((".thumb.jpg", ".sprite.jpg", ".meta.json"))


def created_from_name(name: str, mtime: float) -> float:
    """The creation time in a name (local time) as epoch seconds, else ``mtime``.

    ``strptime`` and ``mktime`` cost about 10 µs each, too slow for 100 000 names: the
    epoch of each local hour is computed once (DST changes on hour boundaries).
    """
    match = _NAME_STAMP.match(name)
    if match is None:
        return mtime
    day, clock = match.group(1), match.group(2) or "000000"
    hour_start = _hour_epoch(day + clock[:2])
    if hour_start is None:
        return mtime
    return hour_start + int(clock[2:4]) * 60 + int(clock[4:6])


@functools.lru_cache(maxsize=4096)
def _hour_epoch(day_hour: str) -> float | None:
    try:
        return datetime(int(day_hour[:4]), int(day_hour[4:6]), int(day_hour[6:8]),
                        int(day_hour[8:10])).timestamp()
    except ValueError:
        return None


def read_meta(video: Path) -> dict[str, Any]:
    """A video's ``.meta.json`` (``{}`` when missing or damaged)."""
    try:
        meta = json.loads(sidecars(video)[2].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


SENSOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
"""A sensor's id (a slug); anything else in a hand-edited meta file is left out."""


def sensor_ids(value: Any) -> str | None:
    """The ids of the sensors a recording was made for, as ``,id1,id2,`` (what the
    ``sensor`` filter of :meth:`Archive.page` matches), or ``None`` (a manual one)."""
    if not isinstance(value, list):
        return None
    ids = [item for item in value if isinstance(item, str) and SENSOR_ID.fullmatch(item)]
    return f",{','.join(ids)}," if ids else None


def day_span(day: str) -> tuple[float, float]:
    """A local calendar day ``YYYY-MM-DD`` as [start, end) epoch seconds (DST aware)."""
    start = datetime.strptime(day, "%Y-%m-%d")
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _iso(epoch: float) -> str:
    """Local time with its UTC offset, as ``datetime.astimezone().isoformat()`` writes it."""
    return datetime.fromtimestamp(epoch, _zone(int(epoch) // 3600)).isoformat()


@functools.lru_cache(maxsize=1024)
def _zone(hour: int) -> tzinfo:
    # The local offset of one hour, computed once: astimezone() per file is slow.
    offset = datetime.fromtimestamp(hour * 3600).astimezone().utcoffset()
    return timezone(offset or timedelta(0))


_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class Row:
    """One catalogued file, as stored."""

    kind: str
    name: str
    size: int
    mtime: float
    created: float
    duration: float | None = None
    thumbnail: bool = False
    sprite: bool = False
    meta_mtime: float | None = None
    sensor: str | None = None
    incident_id: str | None = None

    def answer(self, folder: Path) -> dict[str, Any]:
        """The file as the listings show it (the seed's and the original's fields)."""
        directory = f"{folder}/timelapse" if self.kind == "timelapse" else str(folder)
        data: dict[str, Any] = {
            "path": f"{directory}/{self.name}",
            "name": self.name,
            "size": self.size,
            "mtime": _iso(self.mtime),
            "created": _iso(self.created),
        }
        if self.kind != "snapshot":
            data["duration"] = self.duration
            data["thumbnail"] = self.thumbnail
        if self.kind == "recording":
            data["sprite"] = self.sprite
            data["sensors"] = [item for item in (self.sensor or "").split(",") if item]
            data["incident_id"] = self.incident_id
        if self.kind == "timelapse":
            data["date"] = datetime.fromtimestamp(self.created).strftime("%Y-%m-%d")
        return data

    def values(self, folder_id: int, folder: Path) -> tuple[Any, ...]:
        doc = _ENCODE(self.answer(folder))
        return (folder_id, self.kind, self.name, self.size, self.mtime, self.created,
                self.duration, int(self.thumbnail), int(self.sprite), self.meta_mtime,
                self.sensor, self.incident_id, doc)


_UPSERT = (
    "INSERT INTO media (folder, kind, name, size, mtime, created, duration, "
    "thumbnail, sprite, meta_mtime, sensor, incident_id, doc) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO UPDATE SET size = excluded.size, mtime = excluded.mtime, "
    "created = excluded.created, duration = excluded.duration, "
    "thumbnail = excluded.thumbnail, sprite = excluded.sprite, "
    "meta_mtime = excluded.meta_mtime, sensor = excluded.sensor, "
    "incident_id = excluded.incident_id, doc = excluded.doc"
)


@dataclass
class Scope:
    """The folder answered for, as the catalogue's thread sees it."""

    layout: MediaLayout
    folder_id: int

    @property
    def folder(self) -> Path:
        return self.layout.recordings_dir


@dataclass
class ReconcileReport:
    """What one reconcile changed."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    seconds: float = 0.0
    folder: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed,
                "seconds": round(self.seconds, 3), "folder": self.folder}


@dataclass
class _Reconcile:
    scope: Scope
    steps: Generator[Any, None, None]
    report: ReconcileReport
    waiters: list[Callable[[ReconcileReport | None], None]] = field(default_factory=list)


def _dir_mtimes(layout: MediaLayout) -> str:
    stamps = []
    for folder in (layout.recordings_dir, layout.timelapse_dir):
        try:
            stamps.append(str(os.stat(folder).st_mtime_ns))
        except OSError:
            stamps.append("-")
    return ",".join(stamps)


class Archive:
    """The archive of the current recordings folder; every method is safe on the loop.

    Reads (``page``, ``count``, ``new_count``, ``entries``) are awaited; ``add`` waits
    for its write (call it from a worker thread, as the recorder does); ``forget`` only
    queues its delete, so it may be called anywhere (the next answer already lacks it).
    """

    def __init__(self, db: Database, layout: MediaLayout) -> None:
        self.db = db
        self.layout = layout  # the loop's view: where new files go
        self._scope: Scope | None = None  # the catalogue thread's view: what answers show
        self._reconcile: _Reconcile | None = None
        self._step_queued = False
        self.reconciles = 0

    # --- scope (catalogue thread) --------------------------------------------------------

    def _folder_id(self, connection: sqlite3.Connection, folder: Path) -> tuple[int, bool]:
        row = connection.execute(
            "SELECT id, reconciled_at FROM folders WHERE path = ?", (str(folder),)).fetchone()
        if row is not None:
            return int(row[0]), row[1] is not None
        cursor = connection.execute("INSERT INTO folders (path) VALUES (?)", (str(folder),))
        return int(cursor.lastrowid or 0), False

    def _enter(self, connection: sqlite3.Connection, layout: MediaLayout, *,
               startup: bool = False) -> None:
        """Answer for ``layout`` from now on; list it first if it was never listed.

        A folder listed before is reconciled behind the answers: at startup always,
        after a switch only if its modification time moved since.
        """
        layout.ensure()
        folder_id, known = self._folder_id(connection, layout.recordings_dir)
        scope = self._scope = Scope(layout, folder_id)
        self._cancel_reconcile()
        if not known:
            self._drive(connection, self._start_reconcile(connection, scope),
                        until_listed=True)
        elif not startup and not self._folder_changed(connection, scope):
            return
        self._start_reconcile(connection, scope)
        self._schedule_step()

    @staticmethod
    def _folder_changed(connection: sqlite3.Connection, scope: Scope) -> bool:
        stored = connection.execute("SELECT dir_mtimes FROM folders WHERE id = ?",
                                    (scope.folder_id,)).fetchone()
        return stored is None or stored[0] != _dir_mtimes(scope.layout)

    def _wrote(self, connection: sqlite3.Connection, scope: Scope) -> None:
        # Our own writes move the folder's modification time: note it, so the periodic
        # check does not list 100 000 files for them. (A change by hand at the same
        # moment waits for the hourly reconcile, or one asked for.)
        if self._reconcile is None:
            connection.execute("UPDATE folders SET dir_mtimes = ? WHERE id = ?",
                               (_dir_mtimes(scope.layout), scope.folder_id))

    def _scope_now(self, connection: sqlite3.Connection) -> Scope:
        if self._scope is None:
            self._enter(connection, self.layout, startup=True)
        assert self._scope is not None
        return self._scope

    def rebuilt(self) -> None:
        """The database file was replaced by an empty one: list the folder again."""
        running, self._reconcile, self._scope = self._reconcile, None, None
        if running is not None:
            with contextlib.suppress(sqlite3.Error):
                running.steps.close()
            for waiter in running.waiters:
                waiter(None)

    # --- scope (event loop) ----------------------------------------------------------------

    def open(self) -> None:
        """Queue the first job: answer for the current folder (listing it if it is new)."""
        self.db.submit(lambda c: self._scope_now(c))

    def switch(self, layout: MediaLayout) -> None:
        """Answer for another recordings folder from the next answer on."""
        if layout == self.layout:
            return
        self.layout = layout
        self.db.submit(lambda c: self._enter(c, layout))

    # --- reading ------------------------------------------------------------------------

    async def page(self, kind: str, offset: int = 0, limit: int | None = None, *,
                   day: str | None = None, sensor: str | None = None) -> tuple[str, int]:
        """A JSON array of one kind, newest first, and how many there are in all.

        ``day`` (local ``YYYY-MM-DD``) keeps those created that day (a range of the time
        index); ``sensor`` those recorded for that sensor id.
        """
        # With a sensor, the rows come from its index (media_sensors, same columns).
        table, docs_of, doc_column = "media AS m", "media AS m", "m.doc"
        where = "m.folder = ? AND m.kind = ?"
        extra: list[Any] = []
        if sensor is not None:
            table = "media_sensors AS m"
            docs_of = (f"{table} JOIN media AS d ON d.folder = m.folder "
                       "AND d.kind = m.kind AND d.name = m.name")
            doc_column = "d.doc"
            where += " AND m.sensor = ?"
            extra.append(sensor)
        if day is not None:
            where += " AND m.created >= ? AND m.created < ?"
            extra += day_span(day)

        def job(connection: sqlite3.Connection) -> tuple[str, int]:
            scope = self._scope_now(connection)
            if extra:
                total = int(connection.execute(
                    f"SELECT count(*) FROM {table} WHERE {where}",  # noqa: S608 (fixed text)
                    (scope.folder_id, kind, *extra)).fetchone()[0])
            else:
                total = self._count(connection, scope, kind)
            order, skip, take = "DESC", offset, -1 if limit is None else limit
            if limit is not None and offset > total // 2:
                # Past the middle, walk from the oldest end: OFFSET steps through every
                # skipped index entry, so the last page of 100 000 would cost the most.
                order, skip, take = "ASC", max(0, total - offset - limit), min(
                    limit, max(0, total - offset))
            docs = connection.execute(
                f"SELECT {doc_column} FROM {docs_of} WHERE {where} "  # noqa: S608 (fixed text)
                f"ORDER BY m.created {order}, m.name {order} LIMIT ? OFFSET ?",
                (scope.folder_id, kind, *extra, take, skip)).fetchall()
            if order == "ASC":
                docs.reverse()
            return "[" + ",".join(doc for (doc,) in docs) + "]", total

        return await self.db.run(job)

    async def entries(self, kind: str) -> list[dict[str, Any]]:
        """Every file of one kind, newest first, as fresh dicts."""
        body, _total = await self.page(kind)
        entries: list[dict[str, Any]] = json.loads(body)
        return entries

    @staticmethod
    def _count(connection: sqlite3.Connection, scope: Scope, kind: str) -> int:
        row = connection.execute("SELECT n FROM media_counts WHERE folder = ? AND kind = ?",
                                 (scope.folder_id, kind)).fetchone()
        return int(row[0]) if row is not None else 0

    async def count(self, kind: str) -> int:
        """How many files of one kind there are."""
        return await self.db.run(lambda c: self._count(c, self._scope_now(c), kind))

    async def new_count(self, since: float) -> int:
        """Recordings, snapshots and timelapses whose mtime is after ``since`` (epoch)."""

        def job(connection: sqlite3.Connection) -> int:
            scope = self._scope_now(connection)
            return int(connection.execute(
                "SELECT count(*) FROM media WHERE folder = ? AND mtime > ?",
                (scope.folder_id, since)).fetchone()[0])

        return await self.db.run(job)

    async def folder(self) -> str:
        """The folder the answers are about now."""
        return await self.db.run(lambda c: str(self._scope_now(c).folder))

    # --- keeping it current --------------------------------------------------------------

    def add(self, path: Path, *, duration: float | None = None) -> dict[str, Any] | None:
        """Catalogue a new or changed file and wait for it (call from a worker thread)."""
        path = Path(path)
        layout = self.layout
        kind = kind_of(path, layout)
        if kind is None:
            return None
        try:
            stat = path.stat()
        except FileNotFoundError:
            self.forget(path)
            return None
        row = Row(kind, path.name, stat.st_size, stat.st_mtime,
                  created_from_name(path.name, stat.st_mtime))
        if kind in VIDEO_KINDS:
            thumb, sprite, meta = sidecars(path)
            row.thumbnail, row.sprite = thumb.exists(), sprite.exists()
            self._apply_meta(row, path, meta)
            if duration is not None:
                row.duration = duration
        answer = row.answer(layout.recordings_dir)

        def job(connection: sqlite3.Connection) -> None:
            scope = self._scope_now(connection)
            if scope.layout != layout:
                return  # the folder changed meanwhile: its reconcile will find the file
            connection.execute("BEGIN")
            connection.execute(_UPSERT, row.values(scope.folder_id, scope.folder))
            self._seen_while_scanning(connection, path, row)
            self._wrote(connection, scope)
            connection.execute("COMMIT")

        self.db.call(job)
        return answer

    def forget(self, path: str | Path) -> Any:
        """Drop a deleted file (queued: answers after this call no longer show it)."""
        path = Path(path)
        layout = self.layout
        kind = kind_of(path, layout)
        if kind is None:
            return None

        def job(connection: sqlite3.Connection) -> bool:
            scope = self._scope_now(connection)
            if scope.layout != layout:
                return False
            connection.execute("BEGIN")
            removed = connection.execute(
                "DELETE FROM media WHERE folder = ? AND kind = ? AND name = ?",
                (scope.folder_id, kind, path.name)).rowcount
            if self._reconcile is not None and self._scan_exists(connection):
                connection.execute("DELETE FROM temp.scan WHERE dir = ? AND name = ?",
                                   (TIMELAPSES if kind == "timelapse" else RECORDINGS,
                                    path.name))
            self._wrote(connection, scope)
            connection.execute("COMMIT")
            return bool(removed)

        return self.db.submit(job)

    @staticmethod
    def _apply_meta(row: Row, video: Path, meta_path: Path) -> None:
        try:
            row.meta_mtime = meta_path.stat().st_mtime
        except OSError:
            row.meta_mtime = None
            return
        meta = read_meta(video)
        row.duration = _number(meta.get("duration_seconds"))
        row.sensor = sensor_ids(meta.get("sensors"))
        row.incident_id = _text(meta.get("incident_id"))

    # --- reconciling (catalogue thread) ----------------------------------------------------

    @staticmethod
    def _scan_exists(connection: sqlite3.Connection) -> bool:
        return connection.execute(
            "SELECT 1 FROM temp.sqlite_master WHERE name = 'scan'").fetchone() is not None

    def _seen_while_scanning(self, connection: sqlite3.Connection, path: Path,
                             row: Row) -> None:
        if self._reconcile is None or not self._scan_exists(connection):
            return
        directory = TIMELAPSES if row.kind == "timelapse" else RECORDINGS
        names: list[tuple[str | None, str, int, float]] = [
            (row.kind, path.name, row.size, row.mtime)]
        for sidecar, present in zip(sidecars(path), (row.thumbnail, row.sprite,
                                                     row.meta_mtime is not None),
                                    strict=True):
            if row.kind in VIDEO_KINDS and present:
                names.append((None, sidecar.name, 0, row.meta_mtime or 0.0))
        connection.executemany(
            "INSERT INTO temp.scan (dir, kind, name, size, mtime) "
            "VALUES (?, ?, ?, ?, ?)", [(directory, *n) for n in names])

    def _cancel_reconcile(self) -> None:
        running, self._reconcile = self._reconcile, None
        if running is not None:
            running.steps.close()
            for waiter in running.waiters:
                waiter(None)

    def _start_reconcile(self, connection: sqlite3.Connection, scope: Scope) -> _Reconcile:
        if self._reconcile is not None and self._reconcile.scope is scope:
            return self._reconcile
        self._cancel_reconcile()
        report = ReconcileReport(folder=str(scope.folder))
        self._reconcile = _Reconcile(scope, self._reconcile_steps(connection, scope, report),
                                     report)
        return self._reconcile

    def _drive(self, connection: sqlite3.Connection, running: _Reconcile, *,
               until_listed: bool = False) -> None:
        """Run steps now: all of them, or until every file is listed (durations later)."""
        for marker in running.steps:
            if until_listed and marker == "listed":
                return
        self._finish(running)

    def _finish(self, running: _Reconcile) -> None:
        if self._reconcile is running:
            self._reconcile = None
        self.reconciles += 1
        for waiter in running.waiters:
            waiter(running.report)
        if running.report.added or running.report.removed or running.report.changed:
            log.info("archive of %s reconciled with the folder: %s",
                     running.report.folder, running.report.as_dict())

    def _schedule_step(self) -> None:
        if not self._step_queued:
            self._step_queued = True
            self.db.submit(self._step, background=True)

    def _step(self, connection: sqlite3.Connection) -> None:
        """A background job: one batch of the running reconcile, then the next is queued."""
        self._step_queued = False
        running = self._reconcile
        if running is None:
            return
        try:
            next(running.steps)
        except StopIteration:
            self._finish(running)
            return
        except BaseException:
            self._reconcile = None
            raise
        self._schedule_step()

    def _reconcile_steps(self, connection: sqlite3.Connection, scope: Scope,
                         report: ReconcileReport) -> Generator[Any, None, None]:
        started = time.monotonic()
        layout = scope.layout
        mtimes = _dir_mtimes(layout)
        connection.execute("DROP TABLE IF EXISTS temp.scan")
        # Not unique: a file the recorder adds while the folder is listed may be listed
        # twice; its row is then written twice, to the same effect.
        connection.execute(
            "CREATE TEMP TABLE scan (dir INTEGER NOT NULL, kind TEXT, name TEXT NOT NULL, "
            "size INTEGER NOT NULL, mtime REAL NOT NULL)")
        connection.execute("CREATE INDEX temp.scan_by_name ON scan (dir, name)")
        try:
            yield from self._list_folders(connection, layout)
            yield "names listed"
            yield from self._remove_rows(connection, scope, report)
            yield from self._update_rows(connection, scope, report, with_meta=False)
            yield "listed"
            yield from self._update_rows(connection, scope, report, with_meta=True)
            connection.execute("UPDATE folders SET reconciled_at = ?, dir_mtimes = ? "
                               "WHERE id = ?", (time.time(), mtimes, scope.folder_id))
        finally:
            # Also when the generator is dropped after the file was closed or replaced.
            with contextlib.suppress(sqlite3.Error):
                connection.execute("DROP TABLE IF EXISTS temp.scan")
            report.seconds = time.monotonic() - started

    @staticmethod
    def _list_folders(connection: sqlite3.Connection, layout: MediaLayout) -> Iterator[None]:
        insert = ("INSERT INTO temp.scan (dir, kind, name, size, mtime) "
                  "VALUES (?, ?, ?, ?, ?)")
        for directory, folder in ((RECORDINGS, layout.recordings_dir),
                                  (TIMELAPSES, layout.timelapse_dir)):
            in_timelapse = directory == TIMELAPSES
            batch: list[tuple[Any, ...]] = []
            try:
                entries = os.scandir(folder)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    name = entry.name
                    kind = kind_by_name(name, in_timelapse)
                    if kind is None and not _is_sidecar(name, in_timelapse):
                        continue
                    try:
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        stat = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    batch.append((directory, kind, name, stat.st_size, stat.st_mtime))
                    if len(batch) >= BATCH:
                        connection.executemany(insert, batch)
                        batch = []
                        yield None
            connection.executemany(insert, batch)
            yield None

    @staticmethod
    def _remove_rows(connection: sqlite3.Connection, scope: Scope,
                     report: ReconcileReport) -> Iterator[None]:
        """Delete the rows whose file was not listed, a key range per step."""
        after: tuple[str, str] = ("", "")
        while True:
            last = connection.execute(
                "SELECT kind, name FROM media WHERE folder = ? AND (kind, name) > (?, ?) "
                "ORDER BY kind, name LIMIT 1 OFFSET ?",
                (scope.folder_id, *after, BATCH * 4 - 1)).fetchone()
            bound = ("\uffff", "") if last is None else (last[0], last[1])
            report.removed += connection.execute(
                "DELETE FROM media WHERE folder = ? AND (kind, name) > (?, ?) "
                "AND (kind, name) <= (?, ?) AND NOT EXISTS (SELECT 1 FROM temp.scan s "
                "WHERE s.dir = (media.kind = 'timelapse') AND s.name = media.name "
                "AND s.kind = media.kind)",
                (scope.folder_id, *after, *bound)).rowcount
            if last is None:
                return
            after = bound
            yield None

    def _update_rows(self, connection: sqlite3.Connection, scope: Scope,
                     report: ReconcileReport, *, with_meta: bool) -> Iterator[None]:
        """Insert or update the rows whose file differs from what is stored, by batch."""
        query = (
            "SELECT s.dir, s.kind, s.name, s.size, s.mtime, "
            " (SELECT 1 FROM temp.scan t WHERE t.dir = s.dir AND t.name = "
            "   substr(s.name, 1, length(s.name) - 4) || '.thumb.jpg'), "
            " (SELECT 1 FROM temp.scan t WHERE t.dir = s.dir AND t.name = "
            "   substr(s.name, 1, length(s.name) - 4) || '.sprite.jpg'), "
            " (SELECT t.mtime FROM temp.scan t WHERE t.dir = s.dir AND t.name = "
            "   substr(s.name, 1, length(s.name) - 4) || '.meta.json'), "
            " m.size, m.mtime, m.thumbnail, m.sprite, m.meta_mtime, m.duration, m.sensor, "
            " m.incident_id "
            "FROM temp.scan s LEFT JOIN media m ON m.folder = ? AND m.kind = s.kind "
            " AND m.name = s.name "
            "WHERE (s.dir, s.name) > (?, ?) AND s.kind IS NOT NULL "
            "ORDER BY s.dir, s.name LIMIT ?"
        )
        # In name order, so that the rows are written in their index's order: random
        # writes into a large table through a small page cache would be far slower.
        after: tuple[int, str] = (-1, "")
        while True:
            found = connection.execute(query, (scope.folder_id, *after, BATCH)).fetchall()
            if not found:
                return
            after = (found[-1][0], found[-1][2])
            rows = []
            for (directory, kind, name, size, mtime, thumb, sprite, meta_mtime,
                 old_size, old_mtime, old_thumb, old_sprite, old_meta, duration, sensor,
                 incident) in found:
                video = kind in VIDEO_KINDS
                thumb, sprite = bool(thumb) and video, bool(sprite) and video
                meta_mtime = meta_mtime if video else None
                stale_meta = video and meta_mtime != old_meta
                same = old_size is not None and (
                    old_size, old_mtime, bool(old_thumb), bool(old_sprite)) == (
                    size, mtime, thumb, sprite)
                if same and not (with_meta and stale_meta):
                    continue
                row = Row(kind, name, size, mtime, created_from_name(name, mtime),
                          duration, thumb, sprite, old_meta, sensor, incident)
                if with_meta and stale_meta:
                    folder = scope.layout.timelapse_dir if directory == TIMELAPSES else (
                        scope.folder)
                    self._apply_meta(row, folder / name, folder / (name[:-4] + ".meta.json"))
                if old_size is None:
                    report.added += 1
                elif not with_meta:
                    report.changed += 1
                rows.append(row.values(scope.folder_id, scope.folder))
            connection.executemany(_UPSERT, rows)
            yield None

    # --- reconciling (event loop) --------------------------------------------------------

    async def reconcile(self, *, only_if_changed: bool = False) -> ReconcileReport | None:
        """Compare the catalogue with the folder now and wait for it to agree.

        ``only_if_changed``: skip it (``None``) when a reconcile is running or neither
        folder's modification time moved since the last one (the periodic check).
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[ReconcileReport | None] = loop.create_future()

        def settle(value: ReconcileReport | None) -> None:
            if not waiter.done():
                waiter.set_result(value)

        def resolve(value: ReconcileReport | None) -> None:
            loop.call_soon_threadsafe(settle, value)

        def job(connection: sqlite3.Connection) -> None:
            scope = self._scope_now(connection)
            running = self._reconcile
            if only_if_changed:
                stored = connection.execute(
                    "SELECT dir_mtimes FROM folders WHERE id = ?",
                    (scope.folder_id,)).fetchone()
                if running is not None or (
                        stored is not None and stored[0] == _dir_mtimes(scope.layout)):
                    resolve(None)
                    return
            waiters = running.waiters if running is not None else []
            # One already running may have listed the folder before the change we are
            # asked about: start again, and tell its waiters when the new one ends.
            self._reconcile = None
            if running is not None:
                running.steps.close()
            fresh = self._start_reconcile(connection, scope)
            fresh.waiters.extend([*waiters, resolve])
            self._schedule_step()

        await self.db.run(job)
        return await waiter
