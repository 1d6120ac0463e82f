"""Migration of the original system's flat ``settings.json`` into seccam's sections.

The original kept some sections (``Sensor``, ``StorageLimit``, ``CaptivePortal``,
``Timelapse``, ``Auth``) and many loose top-level keys. Sections keep their names;
loose keys move into the section of the plugin that owns them now. Sections whose
owner is not installed stay in the file untouched until one is.
"""

from __future__ import annotations

import copy
from typing import Any

# Loose top-level keys of the original and where they live now: (section, field).
LOOSE_KEYS: dict[str, tuple[str, str]] = {
    "VideoSaveLocation": ("Camera", "recordings_dir"),
    "StreamWidth": ("Stream", "width"),
    "StreamHeight": ("Stream", "height"),
    "StreamFPS": ("Stream", "fps"),
    "RotationAngle": ("Stream", "rotation"),
    "RotationMode": ("Stream", "rotation_mode"),
    "TARGET_AP_MAC_ADDRESSES": ("PresenceWifi", "devices"),
}
KEPT_SECTIONS = ("Sensor", "StorageLimit", "CaptivePortal", "Timelapse", "ISP", "NightVision")
LEGACY_MARKERS = frozenset({*LOOSE_KEYS, "TARGET_BT_ADDRESSES"})


def is_legacy_document(document: dict[str, Any]) -> bool:
    """Whether a parsed settings file is in the original flat layout."""
    return bool(LEGACY_MARKERS & document.keys())


def _device_list(value: Any) -> list[dict[str, str]]:
    devices = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, str):
            entry = {"address": entry}
        if isinstance(entry, dict) and isinstance(entry.get("address"), str):
            address = entry["address"].upper()
            devices.append({"address": address, "name": str(entry.get("name") or address)})
    return devices


def migrate_legacy_document(legacy: dict[str, Any]) -> dict[str, Any]:
    """The sectioned document for an original flat one. Pure: the input is not changed."""
    document: dict[str, Any] = {
        name: copy.deepcopy(legacy[name])
        for name in KEPT_SECTIONS
        if isinstance(legacy.get(name), dict)
    }
    for key, (section, field) in LOOSE_KEYS.items():
        if key in legacy:
            document.setdefault(section, {})[field] = copy.deepcopy(legacy[key])
    if "TARGET_BT_ADDRESSES" in legacy:
        document["Presence"] = {"devices": _device_list(legacy["TARGET_BT_ADDRESSES"])}
    if "PresenceWifi" in document:
        document["PresenceWifi"]["devices"] = _device_list(document["PresenceWifi"]["devices"])
    auth: dict[str, Any] = legacy["Auth"] if isinstance(legacy.get("Auth"), dict) else {}
    # The owner keeps the password (hash formats of the original are verified); the
    # original's default of auth *off* is not carried over: seccam is secure by default.
    document["Auth"] = {
        "enabled": True,
        **{k: auth[k] for k in ("token", "password_hash") if isinstance(auth.get(k), str)},
    }
    return document


def needs_sensor_list(document: dict[str, Any]) -> bool:
    """Whether a document has a flat ``Sensor`` section but no ``Sensors`` list yet."""
    return isinstance(document.get("Sensor"), dict) and "Sensors" not in document


def add_sensor_list(document: dict[str, Any]) -> dict[str, Any]:
    """The document with a ``Sensors`` list made of its flat ``Sensor`` section.

    The ``Sensor`` section stays: it is the primary sensor in the seed's shape, which
    the seed's ``/sensor/...`` endpoints and old clients still read and write.
    """
    from seccam_core.sensing.config import entry_from_flat

    migrated = copy.deepcopy(document)
    migrated["Sensors"] = {"sensors": [entry_from_flat(document["Sensor"])]}
    return migrated
