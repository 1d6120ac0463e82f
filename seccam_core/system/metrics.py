"""Reading the machine's metrics: CPU temperature, throttle flags, CPU load, disk, RAM.

Every reader is a plain function that may read files or run ``vcgencmd``: call them
from a worker thread, never on the event loop. A source that does not exist (off a
Pi) gives ``None``, never an exception.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from seccam_core.system.sources import THERMAL_ZONE, THROTTLED_FILES, SystemSources, read_text

log = logging.getLogger(__name__)

VCGENCMD_TIMEOUT = 3.0
THROTTLE_FLAGS = {
    # bit: name, as the firmware documents them ("now" in the low bits, "occurred" from 16)
    0: "under_voltage",
    1: "freq_capped",
    2: "throttled",
    3: "soft_temp_limit",
    16: "under_voltage_occurred",
    17: "freq_capped_occurred",
    18: "throttled_occurred",
    19: "soft_temp_limit_occurred",
}
ACTIVE_FLAGS_MASK = 0xF


def cpu_temperature(sources: SystemSources) -> float | None:
    """The SoC temperature in °C (one decimal), from thermal zone 0."""
    text = read_text(sources.sysfs(THERMAL_ZONE))
    if not text:
        return None
    try:
        return round(int(text) / 1000, 1)
    except ValueError:
        return None


def parse_throttled(text: str) -> int | None:
    """``throttled=0x50005`` (vcgencmd) or ``50005`` (sysfs, hex) -> the flag bits."""
    value = text.strip().rpartition("=")[2].strip()
    try:
        return int(value, 16)
    except ValueError:
        return None


def _throttled_from_vcgencmd(program: str) -> int | None:
    try:
        result = subprocess.run(
            [program, "get_throttled"], capture_output=True, text=True,
            timeout=VCGENCMD_TIMEOUT, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("vcgencmd get_throttled failed: %s", exc)
        return None
    return parse_throttled(result.stdout) if result.returncode == 0 else None


def throttled_bits(sources: SystemSources) -> int | None:
    """The firmware's throttled flags: ``vcgencmd`` when present, else the sysfs file."""
    if sources.vcgencmd:
        bits = _throttled_from_vcgencmd(sources.vcgencmd)
        if bits is not None:
            return bits
    for relative in THROTTLED_FILES:
        text = read_text(sources.sysfs(relative))
        if text:
            return parse_throttled(text)
    return None


def throttle_state(bits: int) -> dict[str, Any]:
    """``{"raw": "0x50005", "under_voltage": true, ...}``: the raw value and eight flags."""
    state: dict[str, Any] = {"raw": hex(bits)}
    for bit, name in THROTTLE_FLAGS.items():
        state[name] = bool(bits & (1 << bit))
    return state


def throttle(sources: SystemSources) -> dict[str, Any] | None:
    """The decoded throttle flags, or ``None`` off a Pi."""
    bits = throttled_bits(sources)
    return None if bits is None else throttle_state(bits)


def uptime_seconds(sources: SystemSources) -> int:
    """Seconds since boot (``/proc/uptime``, else psutil's boot time)."""
    text = read_text(sources.procfs("uptime"))
    if text:
        try:
            return int(float(text.split()[0]))
        except (ValueError, IndexError):
            pass
    return int(time.time() - psutil.boot_time())


@dataclass(frozen=True)
class DiskUsage:
    """The usage of one filesystem, as ``df`` shows it (reserved blocks not counted free)."""

    total: int
    used: int
    free: int

    @property
    def percent(self) -> float:
        """Used share of what users may fill (psutil's and ``df``'s definition)."""
        usable = self.used + self.free
        return round(self.used / usable * 100, 1) if usable else 0.0


def existing_ancestor(folder: Path) -> Path:
    """``folder`` or its nearest existing parent: the filesystem the folder is (or would be) on."""
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk_usage(folder: Path | int) -> DiskUsage:
    """Usage of the filesystem holding ``folder`` (a path, or an open directory descriptor)."""
    stats = os.statvfs(folder if isinstance(folder, int) else existing_ancestor(folder))
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bavail * stats.f_frsize
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return DiskUsage(total=total, used=used, free=free)


class CpuLoadMeter:
    """CPU load without a blocking sample: the busy share since the previous reading.

    The original slept one second per request to measure (ORIGINAL P1). Here each
    reading compares the CPU times with the previous reading, kept at least
    ``min_window`` seconds apart; a reading sooner than that returns the last figures.
    """

    def __init__(self, min_window: float = 0.5) -> None:
        self._min_window = min_window
        self._lock = threading.Lock()
        self._last_times: list[Any] | None = None
        self._last_at = 0.0
        self._per_core: list[float] = []

    def per_core(self) -> list[float]:
        """Busy percent of each core over the last window (one decimal)."""
        with self._lock:
            now = time.monotonic()
            recent = now - self._last_at < self._min_window
            if self._last_times is not None and recent and self._per_core:
                return list(self._per_core)
            times = psutil.cpu_times(percpu=True)
            if self._last_times is not None:
                self._per_core = [
                    _busy_percent(before, after)
                    for before, after in zip(self._last_times, times, strict=False)
                ]
            self._last_times, self._last_at = times, now
            return list(self._per_core)

    def busiest(self) -> float | None:
        """Busy percent of the busiest core (``None`` before a second reading)."""
        cores = self.per_core()
        return max(cores) if cores else None


def _total(times: Any) -> float:
    # Linux counts guest time inside user time already (psutil does the same).
    return float(sum(times)) - getattr(times, "guest", 0) - getattr(times, "guest_nice", 0)


def _busy_percent(before: Any, after: Any) -> float:
    idle_fields = ("idle", "iowait")
    total = _total(after) - _total(before)
    idle = sum(getattr(after, f, 0) - getattr(before, f, 0) for f in idle_fields)
    if total <= 0:
        return 0.0
    return round(max(0.0, min(100.0, (total - idle) / total * 100)), 1)
