"""The ``storage`` and ``sd_health`` alert metrics.

``storage`` measures the filesystem of the recordings folder, the one auto-delete
cleans (the original watched ``/``: ORIGINAL D12): warn at 85 %, critical at 95 %.
``sd_health`` reads the SD card's own wear estimate, ``life_time`` in
``<sysfs>/block/mmcblk*/device/`` (two estimates, type A and B, in tenths of the
rated life: 0x01 is 0-10 % used, 0x0B is beyond its life): warn at 0x03, critical at
0x0B. A card or reader that does not report it (or no SD card) reads ``unavailable``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seccam_core import (
    AlertLevel,
    AlertMetric,
    MetricReading,
    Seccam,
    SystemSources,
    disk_usage,
    graded,
    media_layout,
    read_text,
)

STORAGE_WARN = 85.0
STORAGE_CRITICAL = 95.0
LIFE_TIME_WARN = 0x03
LIFE_TIME_CRITICAL = 0x0B
SECTOR = 512
CARD_FILES = ("name", "oemid", "manfid", "serial", "date", "hwrev", "fwrev", "type",
              "preferred_erase_size", "pre_eol_info")


def storage_metric(seccam: Seccam) -> AlertMetric:
    """Usage of the media filesystem against 85 / 95 %."""

    def read() -> MetricReading:
        folder = media_layout(seccam).recordings_dir
        percent = disk_usage(folder).percent
        return MetricReading(graded(percent, STORAGE_WARN, STORAGE_CRITICAL), percent,
                             f"{percent} % used where the recordings are ({folder})")

    return AlertMetric("storage", read, "Storage")


def parse_life_time(text: str | None) -> list[int] | None:
    """``"0x01 0x02"`` -> ``[1, 2]``; ``None`` when missing or unparsable."""
    if not text:
        return None
    try:
        values = [int(part, 16) for part in text.split()]
    except ValueError:
        return None
    return values or None


def _sectors_written_gb(block: Path) -> float | None:
    fields = (read_text(block / "stat") or "").split()
    try:
        return round(int(fields[6]) * SECTOR / 1e9, 2)
    except (IndexError, ValueError):
        return None


def card_health(block: Path) -> dict[str, Any]:
    """What one ``mmcblkN`` reports: identity, wear estimate, GB written since boot."""
    device = block / "device"
    info: dict[str, Any] = {"device": block.name}
    for name in CARD_FILES:
        info[name] = read_text(device / name)
    raw = read_text(device / "life_time")
    estimates = parse_life_time(raw)
    info["life_time"] = raw
    info["life_time_est"] = f"0x{max(estimates):02X}" if estimates else None
    info["gb_written_since_boot"] = _sectors_written_gb(block)
    return info


def sd_cards(sources: SystemSources) -> list[Path]:
    """The ``mmcblkN`` block devices (not their boot or RPMB areas)."""
    root = sources.sysfs("block")
    try:
        names = sorted(p.name for p in root.iterdir() if p.name.startswith("mmcblk"))
    except OSError:
        return []
    return [root / n for n in names if n[len("mmcblk"):].isdigit()]


def read_sd_health() -> MetricReading:
    """The most worn card's ``life_time_est`` against 0x03 / 0x0B."""
    worst: tuple[int, dict[str, Any]] | None = None
    cards = [card_health(block) for block in sd_cards(SystemSources.from_env())]
    for card in cards:
        estimate = card["life_time_est"]
        if estimate is not None and (worst is None or int(estimate, 16) > worst[0]):
            worst = (int(estimate, 16), card)
    if worst is None:
        value = cards[0] if cards else None
        return MetricReading(AlertLevel.UNAVAILABLE, value, "no SD card wear estimate")
    estimate, card = worst
    level = graded(estimate, LIFE_TIME_WARN, LIFE_TIME_CRITICAL)
    return MetricReading(level, card, f"{card['device']} life_time_est {card['life_time_est']}")


def sd_health_metric() -> AlertMetric:
    """The SD card wear metric."""
    return AlertMetric("sd_health", read_sd_health, "SD card health")
