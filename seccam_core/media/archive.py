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
import functools
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from seccam_core.media.layout import MediaLayout, sidecars

log = logging.getLogger(__name__)

KINDS = ("recording", "snapshot", "timelapse")
VIDEO_KINDS = ("recording", "timelapse")  # the kinds with a .meta.json giving the duration
_NAME_STAMP = re.compile(r"^(?:output|snapshot|timelapse)_(\d{8})(?:_(\d{6}))?")


@dataclass
class ArchiveEntry:
    """One media file as the listings show it (its JSON form is built once, on demand)."""

    kind: str
    path: str
    name: str
    size: int
    mtime: float
    created: float
    thumbnail: bool = False
    sprite: bool = False
    duration: float | None = None
    _public: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def sort_key(self) -> tuple[float, str]:
        return (self.created, self.name)

    def as_dict(self) -> dict[str, Any]:
        if self._public is not None and (self.kind != "recording"
                                         or self._public["duration"] == self.duration):
            return self._public
        data: dict[str, Any] = {
            "path": self.path,
            "name": self.name,
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
        self._public = data
        return data


def _kind_by_name(name: str, in_timelapse_dir: bool) -> str | None:
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
        return _kind_by_name(path.name, False)
    if path.parent == layout.timelapse_dir:
        return _kind_by_name(path.name, True)
    return None


def _created(name: str, mtime: float) -> float:
    """The creation time in a name (local time) as epoch seconds.

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


@functools.lru_cache(maxsize=65536)
def _hour_epoch(day_hour: str) -> float | None:
    try:
        return datetime(int(day_hour[:4]), int(day_hour[4:6]), int(day_hour[6:8]),
                        int(day_hour[8:10])).timestamp()
    except ValueError:
        return None


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
        self._by_path: dict[str, ArchiveEntry] = {}
        self.ready = threading.Event()
        self.version = 0
        self._scanning = False
        self._forgotten_during_scan: set[str] = set()

    # --- building -------------------------------------------------------------------

    def rebuild(self) -> None:
        """Scan the folders once (run it in a worker thread)."""
        with self._lock:
            self._scanning = True
            self._forgotten_during_scan = set()
        entries: list[ArchiveEntry] = []
        with_meta: list[ArchiveEntry] = []
        for folder, in_timelapse in ((self.layout.recordings_dir, False),
                                     (self.layout.timelapse_dir, True)):
            try:
                found = {e.name: e for e in os.scandir(folder)}
            except FileNotFoundError:
                continue
            for name, dir_entry in found.items():
                kind = _kind_by_name(name, in_timelapse)
                if kind is None or not dir_entry.is_file():
                    continue
                stat = dir_entry.stat()
                stem = name[:-4] if kind != "snapshot" else ""
                entry = ArchiveEntry(
                    kind, dir_entry.path, name, stat.st_size, stat.st_mtime,
                    _created(name, stat.st_mtime),
                    thumbnail=bool(stem) and f"{stem}.thumb.jpg" in found,
                    sprite=bool(stem) and f"{stem}.sprite.jpg" in found,
                )
                entries.append(entry)
                if kind in VIDEO_KINDS and f"{stem}.meta.json" in found:
                    with_meta.append(entry)
        with self._lock:
            # Files added or forgotten while the scan ran win over what it saw.
            scanned = {entry.path for entry in entries}
            entries = [e for e in entries if e.path not in self._forgotten_during_scan]
            entries += [e for p, e in self._by_path.items() if p not in scanned]
            entries.sort(key=lambda e: e.sort_key)
            self._sorted = {kind: [] for kind in KINDS}
            self._by_path = {}
            for entry in entries:
                self._sorted[entry.kind].append(entry)
                self._by_path[entry.path] = entry
            self._forgotten_during_scan = set()
            self._scanning = False
            self.version += 1
        self.ready.set()
        # Durations live in the .meta.json sidecars: read after the index is usable.
        for entry in with_meta:
            entry.duration = _read_duration(Path(entry.path))

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
            kind, str(path), path.name, stat.st_size, stat.st_mtime,
            _created(path.name, stat.st_mtime),
            thumbnail=bool(thumb and thumb.exists()), sprite=bool(sprite and sprite.exists()),
            duration=duration if duration is not None else (
                _read_duration(path) if kind in VIDEO_KINDS else None),
        )
        with self._lock:
            self._remove(str(path))
            bisect.insort(self._sorted[kind], entry, key=lambda e: e.sort_key)
            self._by_path[str(path)] = entry
            self.version += 1
        return entry

    def forget(self, path: str | Path) -> bool:
        """Drop a deleted file from the index; ``True`` if it was there."""
        with self._lock:
            removed = self._remove(str(path))
            if self._scanning:
                self._forgotten_during_scan.add(str(path))
            if removed:
                self.version += 1
            return removed

    def _remove(self, path: str) -> bool:
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

    def get(self, path: str | Path) -> ArchiveEntry | None:
        return self._by_path.get(str(path))

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
