"""The cleanup itself: delete the oldest recordings (with their sidecars) and snapshots
until the media filesystem is at or under the threshold. Runs in a worker thread.

It works inside one open descriptor of the recordings folder: every name it stats or
unlinks is a plain name relative to that folder (``scandir`` never yields a ``/``), and
nothing is followed: a symlink is neither deleted nor read through. It plans first:
if deleting every finished recording and snapshot could not bring the disk under the
threshold (it is full of something else), it deletes nothing and says so (ORIGINAL D8 deleted every
recording and still failed).
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from seccam_core import DiskUsage, disk_usage, sidecars
from seccam_storage_sd.recordings import Recording, recording_stem, scan_recordings

BLOCK = 512


@dataclass
class CleanupOutcome:
    """What one cleanup found and did."""

    action: str  # "ok" | "cleaned" | "insufficient"
    disk_percent: float
    threshold: float
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    needed_bytes: int = 0
    reclaimable_bytes: int = 0
    error: str | None = None


@dataclass(frozen=True)
class _File:
    name: str
    inode: int
    size: int
    reclaim: int  # bytes the filesystem gets back: nothing for a file with other links


@dataclass(frozen=True)
class _Planned:
    recording: Recording
    files: tuple[_File, ...]

    @property
    def reclaim(self) -> int:
        return sum(f.reclaim for f in self.files)


def bytes_over(usage: DiskUsage, threshold: float) -> int:
    """How many bytes must go for the usage to be at or under ``threshold`` percent."""
    usable = usage.used + usage.free
    return max(0, math.ceil(usage.used - threshold / 100 * usable))


def _regular_file(folder_fd: int, name: str) -> _File | None:
    try:
        info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None  # a symlink, a folder, a device: never ours to delete
    reclaim = info.st_blocks * BLOCK if info.st_nlink == 1 else 0
    return _File(name, info.st_ino, info.st_size, reclaim)


def _plan(
    folder_fd: int, recordings: Iterable[Recording], protected: set[str], needed: int
) -> tuple[list[_Planned], int]:
    """The oldest recordings whose removal frees ``needed`` bytes, and what they free."""
    plan: list[_Planned] = []
    total = 0
    for recording in recordings:
        if total >= needed:
            break
        if recording_stem(recording.name) in protected:
            continue
        video = _regular_file(folder_fd, recording.name)
        if video is None:
            continue
        extras = [_regular_file(folder_fd, p.name) for p in sidecars(Path(recording.name))
                  ] if recording.name.endswith(".mp4") else []  # a snapshot has none
        planned = _Planned(recording, (video, *(f for f in extras if f is not None)))
        plan.append(planned)
        total += planned.reclaim
    return plan, total


def _unlink_if_same(folder_fd: int, planned: _File) -> int | None:
    """Remove the file if it is still the regular file planned; its size, or ``None``."""
    current = _regular_file(folder_fd, planned.name)
    if current is None or current.inode != planned.inode:
        return None
    try:
        os.unlink(planned.name, dir_fd=folder_fd)
    except FileNotFoundError:
        return None
    return current.size


def clean_oldest_first(
    folder: Path, threshold: float, protected: Callable[[], set[str]]
) -> CleanupOutcome:
    """Delete the oldest finished recordings and snapshots until usage is at or under
    ``threshold``.

    ``protected()`` names recording stems that must survive (the recorder's current
    file); it is asked again before each deletion.
    """
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        usage = disk_usage(folder)
        return _without_recordings(usage, threshold)
    try:
        return _clean(folder, folder_fd, threshold, protected)
    finally:
        os.close(folder_fd)


def _without_recordings(usage: DiskUsage, threshold: float) -> CleanupOutcome:
    if usage.percent <= threshold:
        return CleanupOutcome("ok", usage.percent, threshold)
    return CleanupOutcome(
        "insufficient", usage.percent, threshold, needed_bytes=bytes_over(usage, threshold),
        error="there are no finished recordings or snapshots to delete",
    )


def _clean(
    folder: Path, folder_fd: int, threshold: float, protected: Callable[[], set[str]]
) -> CleanupOutcome:
    usage = disk_usage(folder_fd)
    if usage.percent <= threshold:
        return CleanupOutcome("ok", usage.percent, threshold)
    needed = bytes_over(usage, threshold)
    recordings, in_progress = scan_recordings(folder_fd)
    plan, reclaimable = _plan(folder_fd, recordings, in_progress | protected(), needed)
    if reclaimable < needed:
        mib = 1024 * 1024
        return CleanupOutcome(
            "insufficient", usage.percent, threshold,
            needed_bytes=needed, reclaimable_bytes=reclaimable,
            error=(
                f"deleting every finished recording and snapshot would free "
                f"{reclaimable / mib:.1f} MB "
                f"but {needed / mib:.1f} MB must go: the disk is full of other files; "
                "nothing was deleted"
            ),
        )
    outcome = CleanupOutcome("cleaned", usage.percent, threshold, needed_bytes=needed,
                             reclaimable_bytes=reclaimable)
    usable = usage.used + usage.free
    estimated_used = usage.used
    for planned in plan:
        if recording_stem(planned.recording.name) in protected():
            continue
        video, *extras = planned.files
        size = _unlink_if_same(folder_fd, video)
        if size is None:
            continue
        outcome.freed_bytes += size
        estimated_used -= video.reclaim
        for extra in extras:
            with contextlib.suppress(OSError):
                extra_size = _unlink_if_same(folder_fd, extra)
                if extra_size is not None:
                    outcome.freed_bytes += extra_size
                    estimated_used -= extra.reclaim
        outcome.deleted.append(str(folder / video.name))
        measured = disk_usage(folder_fd).percent
        # A file still open elsewhere (being streamed) frees its blocks only when closed:
        # the estimate stops us from deleting more on its account.
        if min(measured, estimated_used / usable * 100) <= threshold:
            break
    outcome.disk_percent = disk_usage(folder_fd).percent
    return outcome
