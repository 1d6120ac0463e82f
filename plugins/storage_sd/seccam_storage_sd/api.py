"""``/storage/status``, ``/storage/configure`` and ``/storage/cleanup``."""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import read_json_object
from seccam_core.errors import BadRequest, Unavailable
from seccam_core.media.layout import media_layout
from seccam_core.runtime import Seccam
from seccam_core.system.metrics import disk_usage
from seccam_storage_sd.section import MAX_PERCENT, MIN_PERCENT, SECTION
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
async def configure() -> dict:
    """Turn auto-delete on or off and set ``max_percent`` (10 to 95)."""
    seccam = current_seccam()
    changes = _validated(await read_json_object())
    changed = await asyncio.to_thread(seccam.settings.update, {SECTION: changes})
    if changed:
        seccam.bus.publish("settings_changed", {"sections": changed})
    config = seccam.settings.get(SECTION)
    return {"message": "Storage settings saved", "config": config}


configure.seccam_schemas = {"body": CONFIGURE_SCHEMA}  # type: ignore[attr-defined]


@blueprint.post("/storage/cleanup")
async def cleanup() -> dict:
    """Check now: delete the oldest recordings until under the threshold; what went, bytes freed."""
    seccam = current_seccam()
    return await _service(seccam).policy.check(seccam)
