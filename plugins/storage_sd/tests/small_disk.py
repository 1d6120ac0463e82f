"""A real, small filesystem for the recordings folder, and media files named by the
media layout (``seccam_core.media.layout``), as the recorder names them."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from seccam_core import MediaLayout, sidecars, unique_name

MIB = 1024 * 1024
T0 = datetime(2026, 3, 1, 8, 0, 0)


def write_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that really takes the space (no holes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = b"\x5a" * min(size, MIB)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


@dataclass
class SmallDisk:
    """A tmpfs of a few MiB mounted as the recordings folder."""

    root: Path
    size: int

    @property
    def layout(self) -> MediaLayout:
        return MediaLayout(self.root)

    def percent(self) -> float:
        stats = os.statvfs(self.root)
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        return round(used / (used + stats.f_bavail * stats.f_frsize) * 100, 1)

    def recording(self, minutes: int, size: int = MIB, *, with_sidecars: bool = True,
                  mtime: float | None = None) -> Path:
        """A finished recording started ``minutes`` after T0, with thumb, sprite and meta."""
        video = unique_name(self.root, "output", ".mp4", T0 + timedelta(minutes=minutes))
        write_file(video, size)
        if with_sidecars:
            for sidecar in sidecars(video):
                write_file(sidecar, 2000)
        if mtime is not None:
            os.utime(video, (mtime, mtime))
        return video

    def fill_to(self, percent: float, name: str = "other-files.bin") -> Path:
        """Grow a file that is not ours until the disk is at about ``percent``."""
        path = self.root / name
        current = path.stat().st_size if path.exists() else 0
        stats = os.statvfs(self.root)
        usable = (stats.f_blocks - stats.f_bfree + stats.f_bavail) * stats.f_frsize
        used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
        wanted = int(usable * percent / 100) - used + current
        return write_file(path, max(0, wanted))


def mount_tmpfs(target: Path, size: int) -> None:
    """Mount a tmpfs of ``size`` bytes at ``target`` (root only)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                    str(target)], check=True, capture_output=True)


def unmount(target: Path) -> None:
    """Unmount ``target``, waiting a moment for a server thread to let go of it."""
    for _ in range(50):
        if subprocess.run(["umount", str(target)], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", str(target)], check=True)
