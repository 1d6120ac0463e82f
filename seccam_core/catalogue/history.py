"""The event history: what happened, kept in the catalogue's database.

The history listens to the bus and keeps one row per thing a person would want to look
back on (the table below), with the bus event's id, type and data, so that an SSE
client reconnecting after a gap longer than the bus's in-memory buffer is replayed the
events the history kept (:meth:`History.frames_between`). Health samples (the alert
state every ``health_sample_minutes``) are kept beside it for ``/health_history``.

| history type | from the bus event |
|---|---|
| ``sensor_trigger``, ``sensor_release`` | ``sensor_state`` whose ``triggered`` changed |
| ``recording_started``, ``recording_stopped``, ``recording_failed`` | ``recording_state`` |
| ``recording_saved``, ``snapshot_saved``, ``timelapse_saved`` | ``archive_updated`` |
| ``health_alert`` | ``system_alert`` (severity: the overall level) |
| ``presence_change`` | ``presence_change`` (one device arrived or left) |
| ``someone_home``, ``nobody_home`` | ``presence_state`` whose ``someone_home`` changed |
| ``camera_down``, ``camera_up`` | ``camera_state`` entering or leaving ``restarting`` |
| ``storage_cleanup``, ``system_power`` | the events of the same name |
| ``incident`` | the event of the same name |
| ``arm_mode`` | ``arming_state`` whose mode in force changed (the first after a start too) |

Rows are written in batches: the events of one moment (a trigger publishes a few) go to
the database in one transaction a fifth of a second later, after their SSE fan-out, so
the catalogue thread does not take the interpreter from the event loop while it writes
to 200 streams, and the SD card sees one write instead of several. Every read flushes
what is waiting first; a clean stop flushes too (a SIGKILL loses at most that moment).

Retention (the ``History`` settings section): rows older than ``max_age_days`` go, then
the oldest until the rows take at most ``max_mb``; checked at start, every hour and
every 500 new rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from seccam_core.catalogue.database import Database
from seccam_core.contributions import SettingsSection
from seccam_core.events import Event, encode_frame

log = logging.getLogger(__name__)

SECTION = "History"
HISTORY_SECTION = SettingsSection(
    name=SECTION,
    description="How long the event history (GET /events/history) and the health samples "
    "(GET /health_history) are kept.",
    schema={
        "type": "object",
        "properties": {
            "max_age_days": {"type": "integer", "minimum": 1, "maximum": 3650,
                             "description": "Events older than this are deleted."},
            "max_mb": {"type": "number", "minimum": 1, "maximum": 1000,
                       "description": "The oldest events are deleted while the history "
                       "takes more than this many megabytes."},
            "health_sample_minutes": {"type": "number", "minimum": 0.05, "maximum": 60,
                                      "description": "Minutes between two health samples."},
        },
        "additionalProperties": False,
    },
    defaults={"max_age_days": 180, "max_mb": 20, "health_sample_minutes": 5},
)

HISTORY_TYPES = (
    "sensor_trigger", "sensor_release", "recording_started", "recording_stopped",
    "recording_failed", "recording_saved", "snapshot_saved", "timelapse_saved",
    "health_alert", "presence_change", "someone_home", "nobody_home", "camera_down",
    "camera_up", "storage_cleanup", "system_power", "incident", "arm_mode",
)
SEVERITIES = ("info", "warning", "critical")
HEALTH_KEEP_SECONDS = 72 * 3600
REPLAY_LIMIT = 1000
PRUNE_EVERY = 500
FLUSH_SECONDS = 0.2
MIB = 1024 * 1024

Entry = tuple[str, str, str]  # history type, severity, detail


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def sensor_words(data: dict[str, Any]) -> str:
    """"Front door (reed on GPIO 17)": the sensor as its owner named it, and where."""
    pin = data.get("gpio")
    where = f"{data.get('type')} on GPIO {pin}" if pin is not None else str(data.get("type"))
    name = data.get("name")
    return f"{name} ({where})" if name else where


def file_name(path: Any) -> str:
    """The last part of a media path: the folder is the same for every row."""
    return os.path.basename(str(path))


class Classifier:
    """Decides which bus events the history keeps, and how it names them."""

    def __init__(self) -> None:
        self._triggered: dict[Any, bool] = {}
        self._home = False  # nobody, until a presence source says otherwise
        self._camera_down = False
        self._arm_mode: str | None = None  # none seen yet: the first is kept

    def __call__(self, event: Event) -> Entry | None:
        handler = getattr(self, f"_{event.type}", None)
        return handler(event.data) if handler is not None else None

    def _sensor_state(self, data: dict[str, Any]) -> Entry | None:
        key = data.get("sensor_id") or data.get("id") or (data.get("type"), data.get("gpio"))
        triggered = bool(data.get("triggered"))
        if self._triggered.get(key, False) == triggered:
            return None
        self._triggered[key] = triggered
        where = sensor_words(data)
        if not triggered:
            return "sensor_release", "info", f"{where} released"
        reason = data.get("suppressed_reason") or "someone is home"
        suppressed = f" (suppressed: {reason})" if data.get("suppressed") else ""
        return "sensor_trigger", "warning", f"{where} triggered{suppressed}"

    @staticmethod
    def _recording_state(data: dict[str, Any]) -> Entry:
        reason = data.get("reason") or "manual"
        if data.get("error"):
            return "recording_failed", "warning", f"{reason} recording failed: {data['error']}"
        if data.get("recording"):
            return "recording_started", "info", f"{reason} recording started"
        path = f": {file_name(data['path'])}" if data.get("path") else ""
        return "recording_stopped", "info", f"{reason} recording stopped{path}"

    @staticmethod
    def _archive_updated(data: dict[str, Any]) -> Entry | None:
        kind = data.get("type")
        if kind not in ("recording", "snapshot", "timelapse"):
            return None
        return f"{kind}_saved", "info", f"{kind} saved: {file_name(data.get('path'))}"

    @staticmethod
    def _system_alert(data: dict[str, Any]) -> Entry:
        overall = str(data.get("overall") or "ok")
        severity = overall if overall in SEVERITIES else "info"
        changes = ", ".join(f"{t.get('metric')} {t.get('from')} -> {t.get('to')}"
                            for t in data.get("transitions") or [] if isinstance(t, dict))
        return "health_alert", severity, changes or f"health {overall}"

    @staticmethod
    def _presence_change(data: dict[str, Any]) -> Entry:
        who = data.get("name") or data.get("address")
        went = "arrived" if data.get("online") else "left"
        return "presence_change", "info", f"{who} ({data.get('address')}) {went}"

    def _presence_state(self, data: dict[str, Any]) -> Entry | None:
        home = bool(data.get("someone_home"))
        previous, self._home = self._home, home
        if previous == home:
            return None
        if home:
            return "someone_home", "info", "someone is home: sensor recordings are suppressed"
        return "nobody_home", "info", "nobody is home: sensors record again"

    def _camera_state(self, data: dict[str, Any]) -> Entry | None:
        down = data.get("state") == "restarting"
        if down == self._camera_down or data.get("state") not in ("restarting", "running"):
            return None
        self._camera_down = down
        if down:
            return "camera_down", "warning", f"camera source down: {data.get('error')}"
        return "camera_up", "info", "camera running again"

    @staticmethod
    def _storage_cleanup(data: dict[str, Any]) -> Entry:
        severity = "critical" if data.get("action") == "insufficient" else "warning"
        return "storage_cleanup", severity, (
            f"storage {data.get('action')}: {data.get('deleted_count', 0)} recordings deleted"
            f" at {data.get('disk_percent')}% (limit {data.get('threshold')}%)")

    @staticmethod
    def _system_power(data: dict[str, Any]) -> Entry:
        return "system_power", "warning", (
            f"{data.get('action')} in {data.get('delay_seconds')} s")

    @staticmethod
    def _incident(data: dict[str, Any]) -> Entry:
        state = data.get("state")
        what = {"new": "started", "update": "updated", "end": "ended"}.get(str(state), state)
        suppressed = " (suppressed)" if data.get("suppressed") else ""
        names = [str(s.get("name")) for s in data.get("sensors") or [] if isinstance(s, dict)]
        by = f": {', '.join(names)}" if names else ""
        return "incident", "warning", f"incident {data.get('id')} {what}{suppressed}{by}"

    def _arming_state(self, data: dict[str, Any]) -> Entry | None:
        mode = str(data.get("mode"))
        previous, self._arm_mode = self._arm_mode, mode
        if previous == mode:
            return None
        return "arm_mode", "info", f"arm mode {mode} ({data.get('source')})"


class History:
    """Writes kept events and health samples, answers the history queries, prunes."""

    def __init__(self, db: Database, settings: Callable[[], dict[str, Any]]) -> None:
        self.db = db
        self._settings = settings
        self._classify = Classifier()
        self._since_prune = 0
        self._pending: list[tuple[Any, ...]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self.written = 0

    # --- writing (event loop) --------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """The bus listener: queue a row for an event the history keeps."""
        entry = self._classify(event)
        if entry is None:
            return
        kind, severity, detail = entry
        data = json.dumps(event.data, separators=(",", ":"), default=str)
        row = (event.id, event.ts, kind, event.type, severity, detail, data,
               len(data) + len(detail) + 64)
        self._pending.append(row)
        if self._flush_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # published outside the event loop: no batching
                self.flush()
            else:
                self._flush_timer = loop.call_later(FLUSH_SECONDS, self.flush)
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            self._since_prune = 0
            self.prune()

    def flush(self) -> concurrent.futures.Future[Any] | None:
        """Queue the rows waiting to be written, in one transaction (ahead of any job
        queued after this call, so a read that flushes first sees them)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        rows, self._pending = self._pending, []
        if not rows:
            return None
        return self.db.submit(lambda c: self._insert(c, rows))

    def _insert(self, connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        connection.execute("BEGIN")  # one transaction (the database's own rolls back on error)
        connection.executemany(
            "INSERT INTO events (event_id, ts, type, event, severity, detail, data, bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("COMMIT")
        self.written += len(rows)

    def record_health(self, state: dict[str, Any], when: float | None = None) -> Any:
        """Queue one health sample (the alert state: overall, alerts, values)."""
        sample = json.dumps(state, separators=(",", ":"), default=str)
        stamp = time.time() if when is None else when
        return self.db.submit(lambda c: c.execute(
            "INSERT OR REPLACE INTO health (ts, data) VALUES (?, ?)", (stamp, sample)))

    # --- retention ----------------------------------------------------------------------

    def prune(self) -> Any:
        """Queue the retention check (age, then size) as a background job."""
        self.flush()
        settings = self._settings()
        max_age = float(settings.get("max_age_days", 180)) * 86400
        max_bytes = float(settings.get("max_mb", 20)) * MIB
        return self.db.submit(lambda c: self._prune(c, max_age, max_bytes), background=True)

    @staticmethod
    def _prune(connection: sqlite3.Connection, max_age: float, max_bytes: float
               ) -> dict[str, int]:
        now = time.time()
        aged = connection.execute("DELETE FROM events WHERE ts < ?", (now - max_age,)).rowcount
        connection.execute("DELETE FROM health WHERE ts < ?", (now - HEALTH_KEEP_SECONDS,))
        total, rows = connection.execute("SELECT sum(bytes), count(*) FROM events").fetchone()
        oversize = 0
        if total and total > max_bytes:
            # Leave a tenth of room, so the next check has nothing to do for a while.
            excess = total - max_bytes * 0.9
            oversize = min(rows, math.ceil(excess / (total / rows)))
            connection.execute(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)",
                (oversize,))
        if aged or oversize:
            log.info("event history pruned: %d older than %d days, %d over the size limit",
                     aged, max_age // 86400, oversize)
        return {"aged": aged, "oversize": oversize}

    # --- reading ------------------------------------------------------------------------

    async def query(self, *, since: float | None = None, until: float | None = None,
                    types: list[str] | None = None, limit: int = 500
                    ) -> list[dict[str, Any]]:
        """Kept events, newest first, between ``since`` and ``until`` (epoch seconds)."""
        clauses: list[str] = ["1"]
        params: list[Any] = []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(since)
        if until is not None:
            clauses.append("ts <= ?")
            params.append(until)
        if types:
            clauses.append(f"type IN ({','.join('?' * len(types))})")
            params.extend(types)
        # Only placeholders are joined in: every value is a parameter.
        sql = ("SELECT event_id, ts, type, event, severity, detail, data FROM events "  # noqa: S608
               f"WHERE {' AND '.join(clauses)} ORDER BY ts DESC, seq DESC LIMIT ?")

        def job(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return connection.execute(sql, (*params, limit)).fetchall()

        self.flush()
        return [
            {"id": event_id, "timestamp": iso_utc(ts), "type": kind, "event": event,
             "severity": severity, "detail": detail, "data": json.loads(data)}
            for event_id, ts, kind, event, severity, detail, data in await self.db.run(job)
        ]

    async def health(self, since: float) -> list[dict[str, Any]]:
        """Health samples after ``since``, oldest first."""
        rows = await self.db.run(lambda c: c.execute(
            "SELECT ts, data FROM health WHERE ts >= ? ORDER BY ts", (since,)).fetchall())
        samples = []
        for ts, data in rows:
            state = json.loads(data)
            values = state.get("values") or {}
            samples.append({"timestamp": iso_utc(ts), "status": state.get("overall", "ok"),
                            "cpu_temp": values.get("cpu_temp"), "load": values.get("load"),
                            "storage_pct": values.get("storage_pct"),
                            "alerts": state.get("alerts") or {}, "values": values})
        return samples

    async def last_event_id(self) -> int:
        """The newest kept event's bus id (0 when none is kept)."""
        self.flush()
        row = await self.db.run(lambda c: c.execute("SELECT max(event_id) FROM events"
                                                    ).fetchone())
        return int(row[0] or 0)

    async def frames_between(self, after_id: int, before_id: int | None) -> list[bytes]:
        """SSE frames of the kept events with ``after_id < id < before_id``, oldest first.

        At most the newest ``REPLAY_LIMIT`` of them, with their original ids and data.
        """
        bound = before_id if before_id is not None else 2**62
        self.flush()

        def job(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return connection.execute(
                "SELECT event_id, event, data FROM events WHERE event_id > ? AND event_id < ? "
                "ORDER BY event_id DESC LIMIT ?", (after_id, bound, REPLAY_LIMIT)).fetchall()

        rows = await self.db.run(job)
        return [encode_frame(event_id, event, json.loads(data))
                for event_id, event, data in reversed(rows)]
