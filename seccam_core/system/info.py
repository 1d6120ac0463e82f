"""``/system_info`` and ``/system_stats``: what the dashboard shows about the machine.

Both are built in a worker thread (they read files and ask psutil) and never block
for a CPU sample: the load comes from a :class:`~seccam_core.system.metrics.CpuLoadMeter`.
"""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from seccam_core.contributions import AlertMetric, MetricReading
from seccam_core.system.metrics import (
    CpuLoadMeter,
    cpu_temperature,
    disk_usage,
    throttle,
    uptime_seconds,
)
from seccam_core.system.sources import SystemSources

GIB = 1024**3
MIB = 1024**2


def _metric_value(metrics: Mapping[str, AlertMetric], name: str) -> Any:
    """The raw value of a plugin's metric (``sd_health``), or ``None`` without it."""
    metric = metrics.get(name)
    if metric is None:
        return None
    try:
        reading = metric.read()
    except Exception:
        return None
    return reading.value if isinstance(reading, MetricReading) else None


def system_info(
    *,
    media_folder: Path,
    load: CpuLoadMeter,
    metrics: Mapping[str, AlertMetric],
) -> dict[str, Any]:
    """The original's ``/system_info`` fields, storage measured where the media lives."""
    sources = SystemSources.from_env()
    disk = disk_usage(media_folder)
    memory = psutil.virtual_memory()
    return {
        "cpu_temp_celsius": cpu_temperature(sources),
        "cpu_load_percent": load.busiest(),
        "storage_info_gb": {
            "total_gb": round(disk.total / GIB, 1),
            "used_gb": round(disk.used / GIB, 1),
        },
        "ram_usage_mb": {
            "total_mb": round(memory.total / MIB),
            "used_mb": round((memory.total - memory.available) / MIB),
        },
        "uptime_seconds": uptime_seconds(sources),
        "throttle": throttle(sources),
        "sd_health": _metric_value(metrics, "sd_health"),
        "night_mode": None,  # the original's IR board: no seccam plugin drives one yet
    }


def platform_info() -> dict[str, Any]:
    """Operating system, Python and architecture."""
    return {
        "system": platform.system(),
        "release": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "architecture": platform.machine(),
    }


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    except OSError:
        return platform.platform()


def system_stats(load: CpuLoadMeter) -> dict[str, Any]:
    """The extended figures: processes, cores, network, swap, load averages, platform."""
    network = psutil.net_io_counters()
    swap = psutil.swap_memory()
    boot = psutil.boot_time()
    one, five, fifteen = os.getloadavg()
    return {
        "process_count": len(psutil.pids()),
        "cpu_count": psutil.cpu_count() or 1,
        "cpu_per_core_percent": load.per_core(),
        "hostname": socket.gethostname(),
        "boot_time": datetime.fromtimestamp(boot, UTC).isoformat(timespec="seconds"),
        "network_io": {
            "bytes_sent": network.bytes_sent,
            "bytes_recv": network.bytes_recv,
            "packets_sent": network.packets_sent,
            "packets_recv": network.packets_recv,
        },
        "swap": {
            "total_mb": round(swap.total / MIB),
            "used_mb": round(swap.used / MIB),
            "percent": swap.percent,
        },
        "load_average": {"1m": round(one, 2), "5m": round(five, 2), "15m": round(fifteen, 2)},
        "platform": platform_info(),
    }
