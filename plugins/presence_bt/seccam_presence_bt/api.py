"""The Bluetooth endpoints, in both of the seed's spellings (``/bt/...`` and ``/bluetooth/...``)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_core import ApiError, Unavailable, current_seccam, json_body, responds
from seccam_presence_bt.addresses import ADDRESS_SCHEMA
from seccam_presence_bt.bluez import BluezCallError, BluezNoReply
from seccam_presence_bt.monitor import MONITOR, PresenceMonitor

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

# --- what the endpoints answer ---------------------------------------------------------

TIME_OR_NEVER = {"type": ["string", "null"], "format": "date-time"}
DEVICE_FIELDS = {
    "address": ADDRESS_SCHEMA,
    "name": {"type": "string", "description": "Its name; the address when it has none."},
}
DEVICE = {"type": "object", "properties": DEVICE_FIELDS, "required": ["address", "name"]}
"""A device as the seed shows it (``Device.summary``)."""
TRACKING_FIELDS = {
    **DEVICE_FIELDS,
    "present": {"type": "boolean", "description": "Whether it counts as home."},
    "last_seen": {**TIME_OR_NEVER, "description": "When it last answered; null: never."},
}
TRACKED_DEVICE = {
    "type": "object", "properties": TRACKING_FIELDS, "required": list(TRACKING_FIELDS),
}
"""A tracked device and its state (``DeviceState.as_dict``)."""
SCANNED_DEVICE = {
    "type": "object",
    "properties": {
        **DEVICE_FIELDS,
        "rssi": {"type": ["integer", "null"],
                 "description": "Signal strength in dBm; null when BlueZ has none."},
        "paired": {"type": "boolean"},
    },
    "required": ["address", "name", "rssi", "paired"],
}
"""One device a scan heard (``discovery.scan_entry``)."""
ADAPTER = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "string", "description": "BlueZ's name for it, such as hci0."},
        "address": {"type": "string"},
        "name": {"type": "string"},
        "powered": {"type": "boolean"},
        "discoverable": {"type": "boolean"},
    },
    "required": ["id", "address", "name", "powered", "discoverable"],
    "description": "The adapter in use; null before the first look and while BlueZ or "
                   "the adapter cannot be reached.",
}
SCAN_RESULT = {
    "type": "object",
    "properties": {"devices": {"type": "array", "items": SCANNED_DEVICE,
                               "description": "Strongest signal first."}},
    "required": ["devices"],
}
PAIRED = {"type": "object", "properties": {"device": DEVICE}, "required": ["device"]}
ADDED = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "enum": ["Device added", "Device already tracked"]},
        # Always the tracked state, unless a removal won the race against this answer.
        "device": {"type": "object", "properties": TRACKING_FIELDS,
                   "required": ["address", "name"]},
    },
    "required": ["message", "device"],
}
REMOVED = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "unpaired": {"type": "boolean", "description": "Whether BlueZ forgot the pairing."},
        "was_tracked": {"type": "boolean"},
    },
    "required": ["message", "unpaired", "was_tracked"],
}
DEVICES_STATUS = {
    "type": "object",
    "properties": {
        "bt": {"type": "object", "additionalProperties": {"type": "boolean"},
               "description": "Each tracked address: whether it is home."},
    },
    "required": ["bt"],
}
PRESENCE_STATUS = {
    "type": "object",
    "properties": {
        "someone_home": {"type": "boolean", "description": "Whether a tracked device is "
                         "present (false before the first look)."},
        "devices": {"type": "array", "items": TRACKED_DEVICE},
        "adapter": ADAPTER,
        "last_poll": {**TIME_OR_NEVER, "description": "When the devices were last looked "
                      "for; null: not yet."},
        "error": {"type": ["string", "null"],
                  "description": "Why the last look could not reach BlueZ; null: it could."},
    },
    "required": ["someone_home", "devices", "adapter", "last_poll", "error"],
}


NOT_RUNNING_IS_503 = responds(
    503, description="Bluetooth presence is not running (no adapter or BlueZ)")


@blueprint.errorhandler(BluezCallError)
async def bluez_failed(error: BluezCallError) -> Any:
    """BlueZ answered with an error: a bad gateway, or a gateway time-out without answer."""
    return error.body(), 504 if isinstance(error, BluezNoReply) else 502


def monitor() -> PresenceMonitor:
    """This app's presence monitor (503 while Bluetooth presence is not running)."""
    service = current_seccam().get(MONITOR)
    if service is None:
        raise Unavailable("Bluetooth presence is not running (see the server log)")
    return service


@blueprint.post("/bt/scan")
@blueprint.post("/bluetooth/scan")
@json_body(SCAN_BODY)
@responds(200, schema=SCAN_RESULT)
@NOT_RUNNING_IS_503
async def scan(body: dict[str, Any]) -> dict[str, Any]:
    """Discover nearby Bluetooth devices (about 20 s): address, name, RSSI."""
    presence = monitor()
    seconds = body.get("duration") or presence.setting("scan_seconds")
    return {"devices": await presence.scan(seconds)}


@blueprint.post("/bt/discoverable")
@blueprint.post("/bluetooth/discoverable")
@json_body(DISCOVERABLE_BODY)
@responds(200, schema=PAIRED)
@responds(408, description="no device paired within `timeout` seconds")
@NOT_RUNNING_IS_503
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
@responds(200, schema=ADDED)
@NOT_RUNNING_IS_503
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
@responds(200, schema=REMOVED)
@responds(404, description="the address is neither tracked nor paired")
@NOT_RUNNING_IS_503
async def remove_device(body: dict[str, Any]) -> dict[str, Any]:
    """Unpair a device and stop tracking it."""
    unpaired, tracked = await monitor().remove(body["address"])
    if not unpaired and not tracked:
        raise ApiError(404, f"address: {body['address']} is neither tracked nor paired")
    return {"message": "Device removed", "unpaired": unpaired, "was_tracked": tracked}


@blueprint.get("/devices/status")
@responds(200, schema=DEVICES_STATUS)
@NOT_RUNNING_IS_503
async def devices_status() -> dict[str, Any]:
    """Whether each tracked device is home, in the original's shape: ``{"bt": {address: bool}}``."""
    return {"bt": {device.address: device.present for device in monitor().source.devices}}


@blueprint.get("/bt/devices")
@blueprint.get("/bluetooth/devices")
@responds(200, schema=PRESENCE_STATUS)
@NOT_RUNNING_IS_503
async def tracked_devices() -> dict[str, Any]:
    """Tracked devices with present/away and last seen time, the adapter and the last poll."""
    return monitor().status()

