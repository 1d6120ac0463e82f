"""The Bluetooth endpoints, in both of the seed's spellings (``/bt/...`` and ``/bluetooth/...``)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import json_body, responds
from seccam_core.errors import ApiError, Unavailable
from seccam_presence_bt.addresses import ADDRESS_SCHEMA
from seccam_presence_bt.monitor import SERVICE_NAME, PresenceMonitor

blueprint = Blueprint("presence_bt", __name__)

SCAN_BODY = {
    "type": "object",
    "properties": {
        "duration": {"type": "number", "minimum": 0.1, "maximum": 120,
                     "description": "Seconds to discover (default: Presence.scan_seconds)."},
    },
    "additionalProperties": False,
}
DISCOVERABLE_BODY = {
    "type": "object",
    "properties": {
        "timeout": {"type": "number", "minimum": 1, "maximum": 600, "default": 90,
                    "description": "Seconds to stay discoverable before giving up."},
    },
    "additionalProperties": False,
}
ADD_BODY = {
    "type": "object",
    "properties": {
        "address": ADDRESS_SCHEMA,
        "name": {"type": "string", "maxLength": 100,
                 "description": "A name to show (default: the device's own name)."},
    },
    "required": ["address"],
    "additionalProperties": False,
}
REMOVE_BODY = {
    "type": "object",
    "properties": {"address": ADDRESS_SCHEMA},
    "required": ["address"],
    "additionalProperties": False,
}


def monitor() -> PresenceMonitor:
    service = current_seccam().services.get(SERVICE_NAME)
    if service is None:
        raise Unavailable("Bluetooth presence is not running (see the server log)")
    return service


@blueprint.post("/bt/scan")
@blueprint.post("/bluetooth/scan")
@json_body(SCAN_BODY)
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def scan(body: dict[str, Any]) -> dict[str, Any]:
    """Discover nearby Bluetooth devices (about 20 s): address, name, RSSI."""
    presence = monitor()
    seconds = body.get("duration") or presence.setting("scan_seconds")
    return {"devices": await presence.scan(seconds)}


@blueprint.post("/bt/discoverable")
@blueprint.post("/bluetooth/discoverable")
@json_body(DISCOVERABLE_BODY)
@responds(408, description="no device paired within `timeout` seconds")
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def discoverable(body: dict[str, Any]) -> dict[str, Any]:
    """Be discoverable until a phone pairs; pair, trust and track it (408 on time-out)."""
    timeout = body.get("timeout", 90)
    device = await monitor().discoverable(timeout)
    if device is None:
        raise ApiError(408, f"no device paired within {timeout:g} s")
    return {"device": device.summary()}


@blueprint.post("/devices/bt/add")
@blueprint.post("/bluetooth/pair")
@json_body(ADD_BODY)
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def add_device(body: dict[str, Any]) -> dict[str, Any]:
    """Pair with a device, trust it and track it for presence."""
    presence = monitor()
    device, added = await presence.add(body["address"], body.get("name"))
    state = presence.source.get(device.address)
    return {
        "message": "Device added" if added else "Device already tracked",
        "device": state.as_dict() if state else device.summary(),
    }


@blueprint.post("/devices/bt/remove")
@json_body(REMOVE_BODY)
@responds(404, description="the address is neither tracked nor paired")
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def remove_device(body: dict[str, Any]) -> dict[str, Any]:
    """Unpair a device and stop tracking it."""
    unpaired, tracked = await monitor().remove(body["address"])
    if not unpaired and not tracked:
        raise ApiError(404, f"address: {body['address']} is neither tracked nor paired")
    return {"message": "Device removed", "unpaired": unpaired, "was_tracked": tracked}


@blueprint.get("/devices/status")
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def devices_status() -> dict[str, Any]:
    """Whether each tracked device is home, in the original's shape: ``{"bt": {address: bool}}``."""
    return {"bt": {device.address: device.present for device in monitor().source.devices}}


@blueprint.get("/bt/devices")
@blueprint.get("/bluetooth/devices")
@responds(503, description="Bluetooth presence is not running (no adapter or BlueZ)")
async def tracked_devices() -> dict[str, Any]:
    """Tracked devices with present/away and last seen time, the adapter and the last poll."""
    return monitor().status()

