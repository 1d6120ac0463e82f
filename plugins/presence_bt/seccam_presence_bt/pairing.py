"""Pairing: pair and trust a chosen device, wait for a phone to pair, unpair."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from dbus_fast import Message, Variant

from seccam_core import EngineError, NotKnown
from seccam_presence_bt.agent import accepting_pairings
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

_ALREADY_PAIRED = "org.bluez.Error.AlreadyExists"
PAIR_TIMEOUT = 60.0


async def trust(client: BluezClient, device: Device) -> None:
    """Mark the device trusted, so it may reconnect without asking again."""
    if not device.trusted:
        await client.set_property(device.path, DEVICE_IFACE, "Trusted", Variant("b", True))


async def pair_and_trust(client: BluezClient, address: str) -> Device:
    """Pair with a device BlueZ knows (scan first if it does not), then trust it."""
    _, devices = await client.powered_adapter()
    device = devices.get(address)
    if device is None:
        raise NotKnown(
            f"address: no device {address} is known to BlueZ; put it in pairing mode "
            "and run POST /bt/scan first"
        )
    if not device.paired:
        async with accepting_pairings(client):
            try:
                await client.call(device.path, DEVICE_IFACE, "Pair", reply_within=PAIR_TIMEOUT)
            except BluezCallError as exc:
                if exc.name != _ALREADY_PAIRED:
                    raise type(exc)(exc.name,
                                    f"pairing with {address} failed: {exc.text}") from None
    await trust(client, device)
    return device


async def unpair(client: BluezClient, address: str) -> bool:
    """Remove the device from BlueZ (forgetting its keys); whether it was known."""
    adapter, devices = await client.powered_adapter()
    device = devices.get(address)
    if device is None:
        return False
    await client.call(adapter.path, ADAPTER_IFACE, "RemoveDevice", "o", [device.path])
    return True


def _newly_paired(
    adapter: Adapter, before: set[str], found: asyncio.Future[str]
) -> SignalHandler:
    """A signal handler that resolves ``found`` with the first device that pairs now."""

    def handle(message: Message) -> None:
        path = signal_subject(message)
        if found.done() or path in before or not path.startswith(adapter.path + "/"):
            return
        if message.member == "InterfacesAdded":
            props = message.body[1].get(DEVICE_IFACE) or {}
        elif message.member == "PropertiesChanged" and message.body[0] == DEVICE_IFACE:
            props = message.body[1]
        else:
            return
        paired = props.get("Paired")
        if paired is not None and paired.value:
            found.set_result(path)

    return handle


async def _set_adapter(client: BluezClient, adapter: Adapter, **values: Variant) -> None:
    for name, value in values.items():
        await client.set_property(adapter.path, ADAPTER_IFACE, name, value)


async def wait_for_pairing(client: BluezClient, seconds: float) -> Device | None:
    """Be discoverable and pairable for ``seconds``; the device that paired, or ``None``.

    The device that pairs is trusted. Discoverability ends when this returns, and BlueZ
    ends it by itself after ``seconds`` too, should seccam stop in the meantime.
    """
    adapter, devices = await client.powered_adapter()
    before = {device.path for device in devices.values() if device.paired}
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    remove_handler = client.on_signal(_newly_paired(adapter, before, found))
    whole_seconds = max(1, round(seconds))
    try:
        async with accepting_pairings(client):
            await _set_adapter(
                client, adapter,
                PairableTimeout=Variant("u", whole_seconds), Pairable=Variant("b", True),
                DiscoverableTimeout=Variant("u", whole_seconds), Discoverable=Variant("b", True),
            )
            try:
                async with asyncio.timeout(seconds):
                    path = await found
            except TimeoutError:
                return None
            finally:
                with contextlib.suppress(EngineError):
                    await asyncio.shield(_set_adapter(client, adapter,
                                                      Discoverable=Variant("b", False)))
    finally:
        remove_handler()
    objects = await client.managed_objects()
    device = Device.from_properties(path, objects.get(path, {}).get(DEVICE_IFACE, {}))
    await trust(client, device)
    log.info("Bluetooth device %s (%s) paired while discoverable", device.address, device.name)
    return device
