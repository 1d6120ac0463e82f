"""Discovery: which devices are around, with their names and signal strength."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from dbus_fast import Message, Variant

from seccam_core import EngineError
from seccam_presence_bt.bluez import (
    ADAPTER_IFACE,
    DEVICE_IFACE,
    Adapter,
    BluezCallError,
    BluezClient,
    Device,
    SignalHandler,
    signal_subject,
)

log = logging.getLogger(__name__)

_ALREADY_DISCOVERING = "org.bluez.Error.InProgress"


def _heard_during_scan(adapter: Adapter, heard: set[str]) -> SignalHandler:
    """A signal handler that collects the devices BlueZ reports while discovering."""

    def handle(message: Message) -> None:
        path = signal_subject(message)
        if not path.startswith(adapter.path + "/"):
            return
        if message.member == "InterfacesAdded":
            announced = DEVICE_IFACE in message.body[1]
        else:
            announced = (message.member == "PropertiesChanged"
                         and message.body[0] == DEVICE_IFACE and "RSSI" in message.body[1])
        if announced:
            heard.add(path)

    return handle


def scan_entry(device: Device) -> dict[str, Any]:
    return {"address": device.address, "name": device.name, "rssi": device.rssi,
            "paired": device.paired}


async def discover(client: BluezClient, seconds: float) -> list[dict[str, Any]]:
    """Discover for ``seconds``; the devices heard, strongest signal first.

    A device counts as heard when BlueZ announced it (or a new RSSI for it) during the
    scan, or when it still carries an RSSI at the end, which BlueZ only keeps for
    devices seen by the current discovery.
    """
    adapter, _ = await client.powered_adapter()
    heard: set[str] = set()
    remove_handler = client.on_signal(_heard_during_scan(adapter, heard))
    started = False
    try:
        # A transport filter first: it also keeps the scan to this client's request.
        await client.call(adapter.path, ADAPTER_IFACE, "SetDiscoveryFilter", "a{sv}",
                          [{"Transport": Variant("s", "auto")}])
        try:
            await client.call(adapter.path, ADAPTER_IFACE, "StartDiscovery")
            started = True
        except BluezCallError as exc:
            if exc.name != _ALREADY_DISCOVERING:
                raise
        await asyncio.sleep(seconds)  # the discovery window itself
        objects = await client.managed_objects()
    finally:
        remove_handler()
        if started:
            with contextlib.suppress(EngineError):
                await asyncio.shield(client.call(adapter.path, ADAPTER_IFACE, "StopDiscovery"))
    devices = [
        Device.from_properties(path, interfaces[DEVICE_IFACE])
        for path, interfaces in objects.items()
        if DEVICE_IFACE in interfaces and path.startswith(adapter.path + "/")
    ]
    found = [d for d in devices if d.path in heard or d.rssi is not None]
    found.sort(key=lambda d: (d.rssi is None, -(d.rssi or 0), d.address))
    log.info("Bluetooth scan of %g s found %d devices", seconds, len(found))
    return [scan_entry(device) for device in found]
