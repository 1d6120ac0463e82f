"""Where media files live and how they are named: the contract between the recorder,
the archive, the storage cleaner and the file endpoints.

* recordings: ``<recordings_dir>/output_YYYYmmdd_HHMMSS.mp4`` (local time; a second
  file in the same second gets ``_2``, ``_3`` ... before ``.mp4``), with sidecars
  ``<stem>.thumb.jpg``, ``<stem>.sprite.jpg`` and ``<stem>.meta.json``; a recording being
  written is ``<stem>.part.mp4`` until it is finalised.
* snapshots: ``<recordings_dir>/snapshot_YYYYmmdd_HHMMSS[_N].jpg``.
* timelapse: ``<recordings_dir>/timelapse/timelapse_YYYYmmdd.mp4`` (+ ``.thumb.jpg``),
  the day's frames in ``<recordings_dir>/timelapse/frames/YYYY-MM-DD/``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccam_core.errors import SeccamError
from seccam_core.files import FileArea

if TYPE_CHECKING:
    from seccam_core.runtime import Seccam

RECORDING_PATTERN = "output_*.mp4"
SNAPSHOT_PATTERN = "snapshot_*.jpg"
TIMELAPSE_PATTERN = "timelapse_*.mp4"
SIDECAR_SUFFIXES = (".thumb.jpg", ".sprite.jpg", ".meta.json")
STAMP_FORMAT = "%Y%m%d_%H%M%S"
NAME_TIME = re.compile(r"^(?:output|snapshot)_(\d{8}_\d{6})(?:_\d+)?\.(?:mp4|jpg)$")
TIMELAPSE_DATE = re.compile(r"^timelapse_(\d{8})\.mp4$")


@dataclass(frozen=True)
class MediaLayout:
    """The media folders of one data directory."""

    recordings_dir: Path

    @property
    def timelapse_dir(self) -> Path:
        return self.recordings_dir / "timelapse"

    @property
    def frames_dir(self) -> Path:
        return self.timelapse_dir / "frames"

    def recordings_area(self) -> FileArea:
        return FileArea(self.recordings_dir, (RECORDING_PATTERN,))

    def snapshots_area(self) -> FileArea:
        return FileArea(self.recordings_dir, (SNAPSHOT_PATTERN,))

    def timelapse_area(self) -> FileArea:
        return FileArea(self.timelapse_dir, (TIMELAPSE_PATTERN,))

    def ensure(self) -> None:
        self.frames_dir.mkdir(parents=True, exist_ok=True)


def sidecars(video: Path) -> list[Path]:
    """The sidecar files that belong to a video (whether they exist or not)."""
    stem = video.name[: -len(".mp4")] if video.name.endswith(".mp4") else video.stem
    return [video.with_name(stem + suffix) for suffix in SIDECAR_SUFFIXES]


SIDECAR_PATTERNS = tuple(f"{prefix}_*{suffix}" for prefix in ("output", "timelapse")
                         for suffix in SIDECAR_SUFFIXES)


def sidecar_area(video: Path) -> FileArea:
    """The sidecars beside an already resolved video, as a file area: a sidecar is served
    or deleted only when its own real path is a regular file beside the video."""
    return FileArea(video.parent, SIDECAR_PATTERNS)


def resolved_sidecars(video: Path) -> list[Path]:
    """The sidecars of ``video`` that exist and pass the safe resolver (links out are not)."""
    area = sidecar_area(video)
    found = []
    for sidecar in sidecars(video):
        try:
            found.append(area.resolve(str(sidecar)))
        except SeccamError:  # the resolver refused it (400/404)
            continue
    return found


def merge_meta(video: Path, extra: dict[str, Any]) -> None:
    """Add fields to a video's ``.meta.json`` (written atomically; a damaged one is replaced)."""
    target = sidecars(video)[2]
    try:
        meta = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    meta.update(extra)
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    os.replace(temp, target)


def unique_name(folder: Path, prefix: str, suffix: str, when: datetime) -> Path:
    """``<prefix>_<stamp><suffix>``, with ``_2``, ``_3`` ... so nothing is ever overwritten."""
    stamp = when.strftime(STAMP_FORMAT)
    candidate = folder / f"{prefix}_{stamp}{suffix}"
    counter = 2
    while candidate.exists() or candidate.with_name(candidate.stem + ".part.mp4").exists():
        candidate = folder / f"{prefix}_{stamp}_{counter}{suffix}"
        counter += 1
    return candidate


def time_from_name(name: str) -> datetime | None:
    """The local creation time encoded in a recording or snapshot name."""
    match = NAME_TIME.fullmatch(name)
    if match is None:
        match = TIMELAPSE_DATE.fullmatch(name)
        if match is None:
            return None
        return datetime.strptime(match.group(1), "%Y%m%d")
    return datetime.strptime(match.group(1), STAMP_FORMAT)


def media_layout(seccam: Seccam) -> MediaLayout:
    """The layout for the current ``Camera.recordings_dir`` (default ``<data>/recordings``)."""
    configured = seccam.settings.value("Camera", "recordings_dir")
    folder = Path(configured) if configured else seccam.data_dir / "recordings"
    if not folder.is_absolute():
        folder = seccam.data_dir / folder
    return MediaLayout(folder)
