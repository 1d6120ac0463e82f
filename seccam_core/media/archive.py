"""The archive index: recordings, snapshots and timelapses, in memory, kept sorted.

Listing 100 000 files by walking the folder costs a ``stat`` per file (about half a
second on a Pi); the index answers from memory instead. It is built once at startup in
a worker thread (one ``scandir`` of each folder), then kept current by the code that
writes and deletes files: the recorder, snapshots and timelapse call :meth:`add`, the
delete endpoints call :meth:`forget`. Others that delete media (the storage cleaner)
call ``seccam.services["archive"].forget(path)`` or publish ``archive_updated`` with
``type: "deleted"`` (or ``storage_cleanup`` with its ``deleted`` list): the index
listens for both.

Entries are ordered by the creation time in their names (local time, see
``layout.time_from_name``); ``new_count`` compares the time a file appeared in the
archive (its mtime, or the moment the index learnt of it).
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from seccam_core.files import name_allowed
from seccam_core.media.layout import (
    RECORDING_PATTERN,
    SNAPSHOT_PATTERN,
    TIMELAPSE_PATTERN,
    MediaLayout,
    sidecars,
    time_from_name,
)

log = logging.getLogger(__name__)

KINDS = ("recording", "snapshot", "timelapse")


@dataclass
class ArchiveEntry:
    """One media file as the listings show it."""

    kind: str
    path: Path
    size: int
    mtime: float
    created: float
    thumbnail: bool = False
    sprite: bool = False
    duration: float | None = None

    @property
    def sort_key(self) -> tuple[float, str]:
        return (self.created, self.path.name)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": str(self.path),
            "name": self.path.name,
            "size": self.size,
            "mtime": datetime.fromtimestamp(self.mtime).astimezone().isoformat(),
            "created": datetime.fromtimestamp(self.created).astimezone().isoformat(),
        }
        if self.kind != "snapshot":
            data["duration"] = self.duration
            data["thumbnail"] = self.thumbnail
        if self.kind == "recording":
            data["sprite"] = self.sprite
        if self.kind == "timelapse":
            data["date"] = datetime.fromtimestamp(self.created).strftime("%Y-%m-%d")
        return data


def kind_of(path: Path, layout: MediaLayout) -> str | None:
    """Which archive a path belongs to (by folder and name pattern), if any."""
    if path.parent == layout.recordings_dir:
        if name_allowed(path.name, (RECORDING_PATTERN,)) and not path.name.endswith(".part.mp4"):
            return "recording"
        if name_allowed(path.name, (SNAPSHOT_PATTERN,)):
            return "snapshot"
    if path.parent == layout.timelapse_dir and name_allowed(path.name, (TIMELAPSE_PATTERN,)):
        return "timelapse"
    return None


def _created(name: str, mtime: float) -> float:
    when = time_from_name(name)
    return when.timestamp() if when is not None else mtime


def _read_duration(video: Path) -> float | None:
    meta = sidecars(video)[2]
    try:
        value = json.loads(meta.read_text(encoding="utf-8")).get("duration_seconds")
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


class ArchiveIndex:
    """Sorted, in-memory lists of the media files, one per kind; thread-safe."""

    def __init__(self, layout: MediaLayout) -> None:
        self.layout = layout
        self._lock = threading.Lock()
        self._sorted: dict[str, list[ArchiveEntry]] = {kind: [] for kind in KINDS}
        self._by_path: dict[Path, ArchiveEntry] = {}
        self.ready = threading.Event()
        self.version = 0

    # --- building -------------------------------------------------------------------

    def rebuild(self) -> None:
        """Scan the folders once (run it in a worker thread)."""
        entries: list[ArchiveEntry] = []
        for folder in (self.layout.recordings_dir, self.layout.timelapse_dir):
            try:
                names = {e.name: e for e in os.scandir(folder) if e.is_file()}
            except FileNotFoundError:
                continue
            for name, dir_entry in names.items():
                path = folder / name
                kind = kind_of(path, self.layout)
                if kind is None:
                    continue
                stat = dir_entry.stat()
                stem = name[: -len(".mp4")] if name.endswith(".mp4") else None
                entries.append(ArchiveEntry(
                    kind, path, stat.st_size, stat.st_mtime, _created(name, stat.st_mtime),
                    thumbnail=stem is not None and f"{stem}.thumb.jpg" in names,
                    sprite=stem is not None and f"{stem}.sprite.jpg" in names,
                ))
        with self._lock:
            self._sorted = {kind: [] for kind in KINDS}
            self._by_path = {}
            for entry in sorted(entries, key=lambda e: e.sort_key):
                self._sorted[entry.kind].append(entry)
                self._by_path[entry.path] = entry
            self.version += 1
        self.ready.set()
        # Durations live in the .meta.json sidecars: read after the index is usable.
        for entry in entries:
            if entry.kind == "recording" and entry.duration is None:
                entry.duration = _read_duration(entry.path)

    # --- keeping it current ---------------------------------------------------------------

    def add(self, path: Path, *, duration: float | None = None) -> ArchiveEntry | None:
        """Record a new or changed media file (stats it: call from a worker thread)."""
        path = Path(path)
        kind = kind_of(path, self.layout)
        if kind is None:
            return None
        try:
            stat = path.stat()
        except FileNotFoundError:
            self.forget(path)
            return None
        thumb, sprite, _meta = sidecars(path) if kind != "snapshot" else (None, None, None)
        entry = ArchiveEntry(
            kind, path, stat.st_size, stat.st_mtime, _created(path.name, stat.st_mtime),
            thumbnail=bool(thumb and thumb.exists()), sprite=bool(sprite and sprite.exists()),
            duration=duration if duration is not None else (
                _read_duration(path) if kind == "recording" else None),
        )
        with self._lock:
            self._remove(path)
            bisect.insort(self._sorted[kind], entry, key=lambda e: e.sort_key)
            self._by_path[path] = entry
            self.version += 1
        return entry

    def forget(self, path: str | Path) -> bool:
        """Drop a deleted file from the index; ``True`` if it was there."""
        with self._lock:
            removed = self._remove(Path(path))
            if removed:
                self.version += 1
            return removed

    def _remove(self, path: Path) -> bool:
        entry = self._by_path.pop(path, None)
        if entry is None:
            return False
        entries = self._sorted[entry.kind]
        index = bisect.bisect_left(entries, entry.sort_key, key=lambda e: e.sort_key)
        while index < len(entries) and entries[index] is not entry:
            index += 1
        if index < len(entries):
            del entries[index]
        return True

    # --- reading --------------------------------------------------------------------------

    def get(self, path: Path) -> ArchiveEntry | None:
        return self._by_path.get(Path(path))

    def count(self, kind: str) -> int:
        return len(self._sorted[kind])

    def newest_first(self, kind: str, offset: int = 0, limit: int | None = None
                     ) -> list[dict[str, Any]]:
        """Entries of one kind, newest first, as JSON-ready dicts."""
        with self._lock:
            entries = self._sorted[kind]
            end = len(entries) - offset
            start = 0 if limit is None else max(0, end - limit)
            chosen = entries[start:max(end, 0)]
        return [entry.as_dict() for entry in reversed(chosen)]

    def new_count(self, since: float) -> int:
        """How many recordings, snapshots and timelapses appeared after ``since`` (epoch)."""
        with self._lock:
            return sum(
                1 for entries in self._sorted.values() for entry in entries
                if entry.mtime > since
            )
