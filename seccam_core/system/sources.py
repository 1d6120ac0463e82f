"""Where the machine's metrics are read from: sysfs, procfs and the firmware's tool.

On a Raspberry Pi these are ``/sys``, ``/proc`` and ``vcgencmd``. Each can be moved
with an environment variable, read at every sample, so a test (or a container with the
host's ``/sys`` mounted elsewhere) feeds real files from another folder:

* ``SECCAM_SYSFS_ROOT`` (default ``/sys``)
* ``SECCAM_PROCFS_ROOT`` (default ``/proc``)
* ``SECCAM_VCGENCMD``: the ``vcgencmd`` program (default: found on ``PATH``); an empty
  value turns it off, so the throttle flags come from sysfs only.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

THERMAL_ZONE = "class/thermal/thermal_zone0/temp"
THROTTLED_FILES = (
    "devices/platform/soc/soc:firmware/get_throttled",
    "devices/platform/scb/soc:firmware/get_throttled",
)
"""The firmware driver's throttled flags on newer kernels (Pi 0-3 and Pi 4 paths)."""


@dataclass(frozen=True)
class SystemSources:
    """The roots of the machine's metric sources."""

    sysfs_root: Path = Path("/sys")
    procfs_root: Path = Path("/proc")
    vcgencmd: str | None = None

    @classmethod
    def from_env(cls) -> SystemSources:
        """The sources as the environment says now (see the module docstring)."""
        vcgencmd = os.environ.get("SECCAM_VCGENCMD")
        if vcgencmd is None:
            vcgencmd = shutil.which("vcgencmd")
        return cls(
            sysfs_root=Path(os.environ.get("SECCAM_SYSFS_ROOT") or "/sys"),
            procfs_root=Path(os.environ.get("SECCAM_PROCFS_ROOT") or "/proc"),
            vcgencmd=vcgencmd or None,
        )

    def sysfs(self, relative: str) -> Path:
        return self.sysfs_root / relative

    def procfs(self, relative: str) -> Path:
        return self.procfs_root / relative


def read_text(path: Path, limit: int = 4096) -> str | None:
    """The stripped text of a small file, or ``None`` when it is missing or unreadable."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read(limit).strip()
    except OSError:
        return None
