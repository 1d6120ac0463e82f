"""The catalogue's SQLite file and the one thread that owns its connection.

Every query and write runs on that thread, in the order it was asked for, never on
the event loop. Foreground jobs (answers, writes) go before background ones (the
folder reconcile's batches), so a long reconcile never holds up an answer for long.

The file is WAL with ``synchronous=NORMAL``: a power cut or a SIGKILL loses at most the
last transactions, never the file's consistency. A file that cannot be opened, fails
its quick check, or turns out malformed while running is set aside as
``<name>.corrupt-<time>`` and started afresh; the owner is told (``on_reset``) so the
archive is rebuilt from the folder. A file deleted while the server runs is noticed
(:meth:`Database.check_file`) and recreated the same way.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

SCHEMA_VERSION = 5
"""3: ``media.sensor`` holds the ids of the sensors a recording was made for (``,a,b,``);
4: ``media_sensors`` indexes them, one row per recording and sensor; 5: a recording's
stored answer names its ``sensors`` and ``incident_id`` (4 is upgraded in place, so the
event history is kept)."""
_SENSOR_LIST = """(CASE WHEN json_valid('["' || replace(trim({0}.sensor, ','), ',', '","') || '"]')
    THEN '["' || replace(trim({0}.sensor, ','), ',', '","') || '"]' ELSE '[]' END)"""


def sensor_list_sql(alias: str) -> str:
    """SQL for a row's ``sensor`` column (``,a,b,``) as a JSON array (``[]`` for none)."""
    return _SENSOR_LIST.format(alias)


SCHEMA = """
CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    reconciled_at REAL,
    dir_mtimes TEXT
);
CREATE TABLE IF NOT EXISTS media (
    folder INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    created REAL NOT NULL,
    duration REAL,
    thumbnail INTEGER NOT NULL DEFAULT 0,
    sprite INTEGER NOT NULL DEFAULT 0,
    meta_mtime REAL,
    sensor TEXT,
    incident_id TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (folder, kind, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS media_by_time ON media (folder, kind, created, name);
CREATE INDEX IF NOT EXISTS media_by_mtime ON media (folder, mtime);
-- Kept by triggers: counting 100 000 index entries per answer costs milliseconds.
CREATE TABLE IF NOT EXISTS media_counts (
    folder INTEGER NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (folder, kind)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS media_counted AFTER INSERT ON media BEGIN
    INSERT OR IGNORE INTO media_counts VALUES (NEW.folder, NEW.kind, 0);
    UPDATE media_counts SET n = n + 1 WHERE folder = NEW.folder AND kind = NEW.kind;
END;
CREATE TRIGGER IF NOT EXISTS media_uncounted AFTER DELETE ON media BEGIN
    UPDATE media_counts SET n = n - 1 WHERE folder = OLD.folder AND kind = OLD.kind;
END;
-- One row per recording and sensor, kept by triggers: the ?sensor= filter reads an
-- index instead of matching every row of the folder.
CREATE TABLE IF NOT EXISTS media_sensors (
    folder INTEGER NOT NULL,
    kind TEXT NOT NULL,
    sensor TEXT NOT NULL,
    created REAL NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (folder, kind, sensor, created, name)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS media_sensors_added AFTER INSERT ON media
WHEN NEW.sensor IS NOT NULL BEGIN
    INSERT OR IGNORE INTO media_sensors SELECT NEW.folder, NEW.kind, value, NEW.created,
        NEW.name FROM json_each(NEW_SENSORS);
END;
CREATE TRIGGER IF NOT EXISTS media_sensors_removed AFTER DELETE ON media
WHEN OLD.sensor IS NOT NULL BEGIN
    DELETE FROM media_sensors WHERE folder = OLD.folder AND kind = OLD.kind
        AND created = OLD.created AND name = OLD.name
        AND sensor IN (SELECT value FROM json_each(OLD_SENSORS));
END;
CREATE TRIGGER IF NOT EXISTS media_sensors_changed AFTER UPDATE OF sensor, created ON media
BEGIN
    DELETE FROM media_sensors WHERE folder = OLD.folder AND kind = OLD.kind
        AND created = OLD.created AND name = OLD.name
        AND sensor IN (SELECT value FROM json_each(OLD_SENSORS));
    INSERT OR IGNORE INTO media_sensors SELECT NEW.folder, NEW.kind, value, NEW.created,
        NEW.name FROM json_each(NEW_SENSORS) WHERE NEW.sensor IS NOT NULL;
END;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    type TEXT NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    detail TEXT NOT NULL,
    data TEXT NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, ts);
CREATE INDEX IF NOT EXISTS events_by_id ON events (event_id);
CREATE TABLE IF NOT EXISTS health (
    ts REAL PRIMARY KEY,
    data TEXT NOT NULL
);
"""


SCHEMA = SCHEMA.replace("NEW_SENSORS", sensor_list_sql("NEW")).replace(
    "OLD_SENSORS", sensor_list_sql("OLD"))


_ANSWERS_NAME_SENSORS = (
    "UPDATE media SET doc = json_set(doc, '$.sensors', json("  # noqa: S608 (fixed text)
    + sensor_list_sql("media") + "), '$.incident_id', incident_id) WHERE kind = 'recording'")
"""4 -> 5: the stored answers of recordings gain ``sensors`` and ``incident_id``."""


class CatalogueCorrupt(sqlite3.DatabaseError):
    """The catalogue file is not a usable database (it is set aside and rebuilt)."""


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA cache_size=-2048")  # 2 MiB whatever the archive's size
        connection.execute("PRAGMA temp_store=FILE")
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise CatalogueCorrupt(f"{path} fails its quick check")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, 4, SCHEMA_VERSION):
            raise CatalogueCorrupt(f"{path} has schema version {version}")
        connection.executescript(SCHEMA)
        connection.execute("BEGIN")  # the upgrade and its version together, or neither
        if version == 4:
            connection.execute(_ANSWERS_NAME_SENSORS)
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


def is_corruption(error: BaseException) -> bool:
    """Whether an sqlite error means the file itself is damaged."""
    if isinstance(error, CatalogueCorrupt):
        return True
    if not isinstance(error, sqlite3.DatabaseError) or isinstance(
            error, sqlite3.OperationalError | sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return False
    text = str(error).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


class Database:
    """One SQLite file, one thread that owns its connection, a queue of jobs."""

    def __init__(self, path: Path, on_reset: Callable[[], None] | None = None) -> None:
        self.path = path
        self._on_reset = on_reset
        self._connection: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._cv = threading.Condition()
        self._foreground: collections.deque[tuple[Job, concurrent.futures.Future[Any]]] = (
            collections.deque())
        self._background: collections.deque[tuple[Job, concurrent.futures.Future[Any]]] = (
            collections.deque())
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.resets = 0

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; the file is opened (or rebuilt) on it, before any job."""
        self._thread = threading.Thread(target=self._run, name="seccam-catalogue", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Finish the queued foreground jobs, drop background ones, close the file."""
        with self._cv:
            self._stopping = True
            for _job, future in self._background:
                future.cancel()
            self._background.clear()
            self._cv.notify()
        if self._thread is not None:
            self._thread.join()

    # --- submitting -----------------------------------------------------------------

    def submit(self, job: Job, *, background: bool = False) -> concurrent.futures.Future[Any]:
        """Queue ``job(connection)``; its result (or error) arrives in the future."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._cv:
            if self._stopping:
                future.set_exception(RuntimeError("the catalogue is closed"))
                return future
            (self._background if background else self._foreground).append((job, future))
            self._cv.notify()
        return future

    def call(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a job and wait for it (from any thread but the catalogue's own)."""
        return self.submit(job).result()

    async def run(self, job: Callable[[sqlite3.Connection], T], *,
                  background: bool = False) -> T:
        """Run a job and await it on the event loop."""
        return await asyncio.wrap_future(self.submit(job, background=background))

    def on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # --- the thread -----------------------------------------------------------------

    def _run(self) -> None:
        self._open()
        while True:
            with self._cv:
                while not self._foreground and not self._background and not self._stopping:
                    self._cv.wait()
                if self._foreground:
                    job, future = self._foreground.popleft()
                elif self._background:
                    job, future = self._background.popleft()
                else:
                    break
            if future.set_running_or_notify_cancel():
                self._execute(job, future)
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _execute(self, job: Job, future: concurrent.futures.Future[Any]) -> None:
        assert self._connection is not None
        try:
            result = job(self._connection)
        except BaseException as exc:  # the caller gets every error, the thread goes on
            if self._connection.in_transaction:
                self._connection.rollback()
            future.set_exception(exc)
            if is_corruption(exc):
                log.error("the catalogue database is damaged (%s): rebuilding it", exc)
                self._reset()
            return
        future.set_result(result)

    def _open(self) -> None:
        try:
            self._connection = _connect(self.path)
        except sqlite3.DatabaseError as exc:
            log.error("the catalogue database %s cannot be used (%s): rebuilding it",
                      self.path, exc)
            self._set_aside()
            self._connection = _connect(self.path)
            self._after_reset()
        self._inode = self._current_inode()

    def _current_inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except OSError:
            return None

    def _set_aside(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if not source.exists():
                continue
            if suffix:
                source.unlink(missing_ok=True)
            else:
                os.replace(source, source.with_name(f"{source.name}.corrupt-{stamp}"))

    def _reset(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._set_aside()
        self._connection = _connect(self.path)
        self._inode = self._current_inode()
        self._after_reset()

    def _after_reset(self) -> None:
        self.resets += 1
        if self._on_reset is not None:
            self._on_reset()

    def check_file(self, connection: sqlite3.Connection) -> bool:
        """A job: recreate the file if it was deleted or replaced; ``True`` if it was."""
        if self._current_inode() == self._inode and self._inode is not None:
            return False
        log.error("the catalogue database %s was deleted: rebuilding it", self.path)
        connection.close()
        self._connection = _connect(self.path)
        self._inode = self._current_inode()
        self._after_reset()
        return True
