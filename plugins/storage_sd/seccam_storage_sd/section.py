"""The ``StorageLimit`` settings section (the seed's name and defaults)."""

from __future__ import annotations

from seccam_core import SettingsSection

SECTION = "StorageLimit"
MIN_PERCENT = 10
MAX_PERCENT = 95

STORAGE_SECTION = SettingsSection(
    name=SECTION,
    description="Auto-delete: when the media filesystem is fuller than max_percent, the "
    "oldest recordings (with their thumbnails and sprites) and snapshots are deleted "
    "until it is not.",
    schema={
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean", "description": "Whether auto-delete runs."},
            "max_percent": {
                "type": "integer",
                "minimum": MIN_PERCENT,
                "maximum": MAX_PERCENT,
                "description": f"Disk usage (percent, {MIN_PERCENT} to {MAX_PERCENT}) above "
                "which the oldest recordings and snapshots are deleted.",
            },
            "check_interval_seconds": {
                "type": "number",
                "minimum": 1,
                "maximum": 86400,
                "description": "Seconds between two periodic checks (a check also runs "
                "after every finished recording).",
            },
        },
        "additionalProperties": False,
    },
    defaults={"enabled": False, "max_percent": 85, "check_interval_seconds": 300},
)
