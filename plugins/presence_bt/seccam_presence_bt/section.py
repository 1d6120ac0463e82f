"""The ``Presence`` settings section: tracked phones and how presence is judged."""

from __future__ import annotations

from seccam_core import SettingsSection
from seccam_presence_bt.addresses import ADDRESS_SCHEMA

SECTION = "Presence"

PRESENCE_SECTION = SettingsSection(
    name=SECTION,
    description="Bluetooth presence: while a tracked phone is home, sensor triggers are "
    "suppressed.",
    schema={
        "type": "object",
        "properties": {
            "devices": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "address": ADDRESS_SCHEMA,
                        "name": {"type": "string", "maxLength": 100},
                    },
                    "required": ["address"],
                    "additionalProperties": False,
                },
                "description": "Tracked devices; any of them present means someone is home.",
            },
            "adapter": {
                "type": "string",
                "pattern": "^(hci[0-9]{1,2})?$",
                "description": "The BlueZ adapter to use (hci0 ...); empty: the first one.",
            },
            "poll_interval_seconds": {
                "type": "number", "minimum": 0.1, "maximum": 3600,
                "description": "How often tracked devices are looked for.",
            },
            "away_after_seconds": {
                "type": "number", "minimum": 0, "maximum": 86400,
                "description": "How long a device must go unseen before it counts as away.",
            },
            "probe_timeout_seconds": {
                "type": "number", "minimum": 0.5, "maximum": 60,
                "description": "How long one look for a device may take.",
            },
            "scan_seconds": {
                "type": "number", "minimum": 0.1, "maximum": 120,
                "description": "How long POST /bt/scan discovers when the body gives no duration.",
            },
        },
        "additionalProperties": False,
    },
    defaults={
        "devices": [],
        "adapter": "",
        "poll_interval_seconds": 30,
        "away_after_seconds": 90,
        "probe_timeout_seconds": 8,
        "scan_seconds": 20,
    },
)
