"""``/storage/status``, ``/storage/configure`` and ``/storage/cleanup``."""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Blueprint

from seccam_core import (
    BadRequest,
    Seccam,
    Unavailable,
    current_seccam,
    described_body,
    disk_usage,
    media_layout,
    read_json_object,
    responds,
)
from seccam_storage_sd.inventory import KINDS
from seccam_storage_sd.section import MAX_PERCENT, MIN_PERCENT, SECTION, STORAGE_SECTION
from seccam_storage_sd.service import StorageService, storage_of

blueprint = Blueprint("storage_sd", __name__)

GIB = 1024**3

CONFIGURE_SCHEMA = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean"},
        "max_percent": {"type": "integer", "minimum": MIN_PERCENT, "maximum": MAX_PERCENT},
    },
    "additionalProperties": False,
}

# --- what the endpoints answer ---------------------------------------------------------

LIMIT_FIELDS = STORAGE_SECTION.schema["properties"]
GIGABYTES = {"type": "number", "minimum": 0, "description": "GiB, one decimal."}
MEDIA_TOTALS = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "minimum": 0},
        "bytes": {"type": "integer", "minimum": 0,
                  "description": "With their sidecars (thumbnails, sprites, frames)."},
    },
    "required": ["count", "bytes"],
}
DISK_PERCENT = {"type": "number", "minimum": 0, "maximum": 100,
                "description": "Used share of the media filesystem, as `df` shows it."}
STORAGE_STATUS = {
    "type": "object",
    "properties": {
        "enabled": LIMIT_FIELDS["enabled"],
        "max_percent": LIMIT_FIELDS["max_percent"],
        "disk_percent": DISK_PERCENT,
        "disk_total_gb": GIGABYTES,
        "disk_used_gb": GIGABYTES,
        "disk_free_gb": GIGABYTES,
        **{kind: MEDIA_TOTALS for kind in KINDS},
    },
    "required": ["enabled", "max_percent", "disk_percent", "disk_total_gb", "disk_used_gb",
                 "disk_free_gb", *KINDS],
}
STORAGE_CONFIGURED = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "config": {"type": "object", "properties": LIMIT_FIELDS,
                   "required": sorted(STORAGE_SECTION.defaults),
                   "description": f"The whole {SECTION} section as saved."},
    },
    "required": ["message", "config"],
}
BYTES = {"type": "integer", "minimum": 0}
CLEANUP_RESULT = {
    "type": "object",
    "properties": {
        "enabled": LIMIT_FIELDS["enabled"],
        "action": {"type": "string", "enum": ["skipped", "ok", "cleaned", "insufficient"],
                   "description": "skipped: auto-delete is off; ok: under the threshold; "
                   "cleaned: recordings or snapshots were deleted; insufficient: deleting "
                   "every finished recording and snapshot would not be enough, so nothing "
                   "was deleted."},
        "disk_percent": {**DISK_PERCENT, "description": "Usage after the check "
                         "(absent when skipped)."},
        "threshold": {"type": "number", "description": "max_percent (absent when skipped)."},
        "deleted": {"type": "array", "items": {"type": "string"},
                    "description": "Paths of the deleted recordings and snapshots."},
        "freed_mb": {"type": "number", "minimum": 0, "description": "MiB, one decimal."},
        "freed_bytes": BYTES,
        "needed_bytes": {**BYTES, "description": "What had to go (insufficient)."},
        "reclaimable_bytes": {**BYTES, "description": "What deleting every finished "
                              "recording and snapshot would free (insufficient)."},
        "error": {"type": "string", "description": "Why nothing was deleted (insufficient)."},
    },
    "required": ["enabled", "action"],
}


def _service(seccam: Seccam) -> StorageService:
    service = storage_of(seccam)
    if service is None:
        raise Unavailable("the storage policy is not running")
    return service


def _status(seccam: Seccam, service: StorageService) -> dict[str, Any]:
    layout = media_layout(seccam)
    limit = seccam.settings.get(SECTION)
    usage = disk_usage(layout.recordings_dir)
    return {
        "enabled": limit["enabled"],
        "max_percent": limit["max_percent"],
        "disk_percent": usage.percent,
        "disk_total_gb": round(usage.total / GIB, 1),
        "disk_used_gb": round(usage.used / GIB, 1),
        "disk_free_gb": round(usage.free / GIB, 1),
        **service.inventory.get(layout),
    }


@blueprint.get("/storage/status")
@responds(200, schema=STORAGE_STATUS)
async def status() -> dict:
    """Disk usage of the media filesystem, the threshold, auto-delete, media counts and bytes."""
    seccam = current_seccam()
    return await asyncio.to_thread(_status, seccam, _service(seccam))


def _validated(body: dict[str, Any]) -> dict[str, Any]:
    for key in body:
        if key not in CONFIGURE_SCHEMA["properties"]:  # type: ignore[operator]
            raise BadRequest(f"{key}: unknown field (accepted: enabled, max_percent)")
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise BadRequest("enabled must be true or false")
    if "max_percent" in body:
        value = body["max_percent"]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if (isinstance(value, bool) or not isinstance(value, int)
                or not MIN_PERCENT <= value <= MAX_PERCENT):
            raise BadRequest(
                f"max_percent must be a whole number from {MIN_PERCENT} to {MAX_PERCENT}"
            )
        body["max_percent"] = value
    return body


@blueprint.post("/storage/configure")
@described_body(CONFIGURE_SCHEMA)
@responds(200, schema=STORAGE_CONFIGURED)
async def configure() -> dict:
    """Turn auto-delete on or off and set ``max_percent`` (10 to 95)."""
    seccam = current_seccam()
    changes = _validated(await read_json_object())
    await seccam.settings.save(SECTION, changes)
    config = seccam.settings.get(SECTION)
    return {"message": "Storage settings saved", "config": config}


@blueprint.post("/storage/cleanup")
@responds(200, schema=CLEANUP_RESULT)
async def cleanup() -> dict:
    """Check now: delete the oldest recordings and snapshots until under the threshold;
    what went, bytes freed."""
    seccam = current_seccam()
    return await _service(seccam).policy.check(seccam)
