"""How many recordings, snapshots and timelapses there are, and how many bytes they take.

A scan stats every media file, so its result is kept until a media folder changes
(its modification time), an ``archive_updated`` event arrives, or ``max_age`` passes
(files that grow in place, such as the day's timelapse frames). ``/storage/status``
therefore costs one ``stat`` per folder on most calls, not one per file (ORIGINAL P4).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seccam_core import (
    SIDECAR_SUFFIXES,
    SNAPSHOT_PATTERN,
    TIMELAPSE_PATTERN,
    MediaLayout,
    name_allowed,
)
from seccam_storage_sd.recordings import PART_SUFFIX, recording_time

KINDS = ("recordings", "snapshots", "timelapses")


def _files(folder: Path) -> Iterator[tuple[str, int]]:
    """``(name, size)`` of the regular files directly in ``folder`` (symlinks skipped)."""
    try:
        entries = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    with entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    yield entry.name, entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:
                continue


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            return [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_recording_file(name: str) -> bool:
    if not name.startswith("output_"):
        return False
    return name.endswith(PART_SUFFIX) or any(name.endswith(s) for s in SIDECAR_SUFFIXES)


def scan_inventory(layout: MediaLayout) -> dict[str, dict[str, int]]:
    """``{kind: {"count", "bytes"}}``; a kind's bytes include its sidecars and frames."""
    totals = {kind: {"count": 0, "bytes": 0} for kind in KINDS}
    recordings, snapshots, timelapses = (totals[k] for k in KINDS)
    for name, size in _files(layout.recordings_dir):
        if recording_time(name) is not None:
            recordings["count"] += 1
            recordings["bytes"] += size
        elif _is_recording_file(name):
            recordings["bytes"] += size
        elif name_allowed(name, (SNAPSHOT_PATTERN,)):
            snapshots["count"] += 1
            snapshots["bytes"] += size
    for name, size in _files(layout.timelapse_dir):
        if name_allowed(name, (TIMELAPSE_PATTERN,)):
            timelapses["count"] += 1
            timelapses["bytes"] += size
        elif name.startswith("timelapse_") and name.endswith(".thumb.jpg"):
            timelapses["bytes"] += size
    for day in _subfolders(layout.frames_dir):
        timelapses["bytes"] += sum(size for _, size in _files(day))
    return totals


def _mtime(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return None


class InventoryCache:
    """The last :func:`scan_inventory` result, valid while the media folders are unchanged."""

    def __init__(self, max_age: float = 30.0) -> None:
        self._max_age = max_age
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._at = 0.0
        self._value: dict[str, dict[str, int]] = {}
        self._generation = 0
        self.scans = 0

    def invalidate(self) -> None:
        """Forget the cached figures (a media file was added or deleted)."""
        with self._lock:
            self._key = None
            self._generation += 1

    def get(self, layout: MediaLayout) -> dict[str, dict[str, int]]:
        """The inventory, scanning again only when needed. Call from a worker thread."""
        folders = (layout.recordings_dir, layout.timelapse_dir, layout.frames_dir)
        key = tuple((str(f), _mtime(f)) for f in folders)
        with self._lock:
            fresh = time.monotonic() - self._at < self._max_age
            if key == self._key and fresh:
                return {kind: dict(v) for kind, v in self._value.items()}
            generation = self._generation
        value = scan_inventory(layout)
        with self._lock:
            self.scans += 1
            if generation == self._generation:  # not invalidated while we scanned
                self._key, self._at, self._value = key, time.monotonic(), value
        return {kind: dict(v) for kind, v in value.items()}
