"""A small BlueZ client over the system D-Bus (dbus-fast, asyncio).

The bus address is the one D-Bus libraries honour: ``DBUS_SYSTEM_BUS_ADDRESS``, else
the standard system socket. Nothing here runs a program or parses a tool's output.
A bus that cannot be reached, a BlueZ that is not running and a machine without an
adapter all become :class:`BluezUnavailable` (a 503 for clients), never a crash. These
are engine errors: the plugin's routes decide how to answer them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from seccam_core import DeviceError, NotAvailable

log = logging.getLogger(__name__)

BLUEZ = "org.bluez"
ADAPTER_IFACE = "org.bluez.Adapter1"
DEVICE_IFACE = "org.bluez.Device1"
AGENT_MANAGER_IFACE = "org.bluez.AgentManager1"
OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket"
CALL_TIMEOUT = 25.0
_NOT_RUNNING = frozenset({
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Disconnected",
})

SignalHandler = Callable[[Message], None]


class BluezUnavailable(NotAvailable):
    """No system bus, no BlueZ on it, or no Bluetooth adapter."""


class BluezCallError(DeviceError):
    """BlueZ answered a call with an error (``org.bluez.Error.Failed`` ...)."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}" if text else name)
        self.name = name
        self.text = text


class BluezNoReply(BluezCallError):
    """BlueZ did not answer a call in time."""


def signal_subject(message: Message) -> str:
    """The object a BlueZ signal is about (``InterfacesAdded`` names it in its body)."""
    if message.member == "InterfacesAdded":
        return str(message.body[0])
    return message.path or ""


def system_bus_address() -> str:
    return os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or DEFAULT_SYSTEM_BUS


def unwrap(value: Any) -> Any:
    """Plain Python values from dbus-fast's Variants, recursively."""
    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


@dataclass(frozen=True)
class Adapter:
    """A BlueZ adapter (``/org/bluez/hci0``)."""

    path: str
    address: str
    name: str
    powered: bool
    discoverable: bool
    discovering: bool

    @classmethod
    def from_properties(cls, path: str, props: dict[str, Any]) -> Adapter:
        return cls(
            path=path,
            address=str(props.get("Address", "")),
            name=str(props.get("Alias") or props.get("Name") or path.rsplit("/", 1)[-1]),
            powered=bool(props.get("Powered", False)),
            discoverable=bool(props.get("Discoverable", False)),
            discovering=bool(props.get("Discovering", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.path.rsplit("/", 1)[-1],
            "address": self.address,
            "name": self.name,
            "powered": self.powered,
            "discoverable": self.discoverable,
        }


@dataclass(frozen=True)
class Device:
    """A device BlueZ knows about, under one adapter."""

    path: str
    address: str
    name: str
    rssi: int | None
    paired: bool
    trusted: bool
    connected: bool

    @classmethod
    def from_properties(cls, path: str, props: dict[str, Any]) -> Device:
        fallback = path.rsplit("/", 1)[-1].removeprefix("dev_").replace("_", ":")
        address = str(props.get("Address") or fallback).upper()
        rssi = props.get("RSSI")
        return cls(
            path=path,
            address=address,
            name=str(props.get("Alias") or props.get("Name") or address),
            rssi=int(rssi) if isinstance(rssi, int) else None,
            paired=bool(props.get("Paired", False)),
            trusted=bool(props.get("Trusted", False)),
            connected=bool(props.get("Connected", False)),
        )

    def summary(self) -> dict[str, Any]:
        """``{address, name}``: the seed's device shape."""
        return {"address": self.address, "name": self.name}


class BluezClient:
    """One connection to the system bus, opened on first use and reopened after a loss."""

    def __init__(self, adapter_name: str = "") -> None:
        self.adapter_name = adapter_name
        self._bus: MessageBus | None = None
        self._connecting = asyncio.Lock()
        self._signal_handlers: list[SignalHandler] = []
        self._exports: dict[str, Any] = {}

    # --- the connection ---------------------------------------------------------------

    async def bus(self) -> MessageBus:
        """The connected bus; :class:`BluezUnavailable` when the system bus is unreachable."""
        async with self._connecting:
            if self._bus is not None and self._bus.connected:
                return self._bus
            address = system_bus_address()
            try:
                async with asyncio.timeout(CALL_TIMEOUT):
                    bus = await MessageBus(bus_address=address, bus_type=BusType.SYSTEM).connect()
            except Exception as exc:
                raise BluezUnavailable(
                    f"the system D-Bus is not reachable ({address}): {exc or type(exc).__name__}"
                ) from None
            bus.add_message_handler(self._dispatch_signal)
            for path, interface in self._exports.items():
                bus.export(path, interface)
            self._bus = bus
            await self._add_match(bus, f"type='signal',sender='{BLUEZ}'")
            return bus

    @staticmethod
    async def _add_match(bus: MessageBus, rule: str) -> None:
        reply = await bus.call(Message(
            destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus", member="AddMatch", signature="s", body=[rule],
        ))
        if reply.message_type == MessageType.ERROR:
            log.warning("could not subscribe to BlueZ signals: %s", reply.error_name)

    async def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    @property
    def unique_name(self) -> str | None:
        """This connection's bus name (``:1.42``), once connected."""
        return self._bus.unique_name if self._bus is not None else None

    def export(self, path: str, interface: Any) -> None:
        """Serve ``interface`` at ``path`` on this connection (and again after a reconnect)."""
        self._exports[path] = interface
        if self._bus is not None and self._bus.connected:
            self._bus.export(path, interface)

    def unexport(self, path: str) -> None:
        interface = self._exports.pop(path, None)
        if interface is not None and self._bus is not None and self._bus.connected:
            self._bus.unexport(path, interface)

    # --- signals ----------------------------------------------------------------------

    def on_signal(self, handler: SignalHandler) -> Callable[[], None]:
        """Call ``handler(message)`` for every BlueZ signal. Returns a remover."""
        self._signal_handlers.append(handler)
        return lambda: self._signal_handlers.remove(handler)

    def _dispatch_signal(self, message: Message) -> None:
        if message.message_type != MessageType.SIGNAL:
            return
        for handler in list(self._signal_handlers):
            try:
                handler(message)
            except Exception:
                log.exception("BlueZ signal handler failed on %s", message.member)

    # --- calls ------------------------------------------------------------------------

    async def call(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: Sequence[Any] = (),
        *,
        reply_within: float = CALL_TIMEOUT,
    ) -> list[Any]:
        """Call a BlueZ method; its reply body, or :class:`BluezCallError`."""
        bus = await self.bus()
        message = Message(
            destination=BLUEZ, path=path, interface=interface, member=member,
            signature=signature, body=list(body),
        )
        try:
            async with asyncio.timeout(reply_within):
                reply = await bus.call(message)
        except TimeoutError:
            raise BluezNoReply(
                "org.freedesktop.DBus.Error.NoReply",
                f"BlueZ did not answer {member} within {reply_within:g} s",
            ) from None
        except Exception as exc:  # the connection broke under the call
            await self.close()
            raise BluezUnavailable(f"the system D-Bus connection failed: {exc}") from None
        if reply.message_type == MessageType.ERROR:
            name = reply.error_name or "unknown"
            text = str(reply.body[0]) if reply.body else ""
            if name in _NOT_RUNNING:
                raise BluezUnavailable(f"BlueZ (bluetoothd) is not running: {text or name}")
            raise BluezCallError(name, text)
        return list(reply.body)

    async def set_property(self, path: str, interface: str, name: str, value: Variant) -> None:
        await self.call(path, PROPERTIES_IFACE, "Set", "ssv", [interface, name, value])

    async def managed_objects(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every BlueZ object: ``{path: {interface: {property: value}}}``, unwrapped."""
        (objects,) = await self.call("/", OBJECT_MANAGER_IFACE, "GetManagedObjects")
        return {
            path: {interface: unwrap(props) for interface, props in interfaces.items()}
            for path, interfaces in objects.items()
        }

    # --- what the plugin asks ---------------------------------------------------------

    async def adapter(self, objects: dict[str, dict[str, dict[str, Any]]] | None = None) -> Adapter:
        """The configured adapter (or the first one); :class:`BluezUnavailable` if none."""
        objects = objects if objects is not None else await self.managed_objects()
        adapters = sorted(
            (path, interfaces[ADAPTER_IFACE])
            for path, interfaces in objects.items() if ADAPTER_IFACE in interfaces
        )
        for path, props in adapters:
            if not self.adapter_name or path.rsplit("/", 1)[-1] == self.adapter_name:
                return Adapter.from_properties(path, props)
        which = f"adapter {self.adapter_name}" if self.adapter_name else "Bluetooth adapter"
        raise BluezUnavailable(f"no {which} found (is the Bluetooth hardware enabled?)")

    @staticmethod
    def devices_of(
        adapter: Adapter, objects: dict[str, dict[str, dict[str, Any]]]
    ) -> dict[str, Device]:
        """The devices under ``adapter``, by upper-case address."""
        devices = {}
        for path, interfaces in objects.items():
            props = interfaces.get(DEVICE_IFACE)
            if props is not None and path.startswith(adapter.path + "/"):
                device = Device.from_properties(path, props)
                devices[device.address] = device
        return devices

    async def powered_adapter(self) -> tuple[Adapter, dict[str, Device]]:
        """The adapter, switched on if it was off, and the devices BlueZ knows under it."""
        objects = await self.managed_objects()
        adapter = await self.adapter(objects)
        if not adapter.powered:
            try:
                await self.set_property(adapter.path, ADAPTER_IFACE, "Powered", Variant("b", True))
            except BluezCallError as exc:
                raise BluezUnavailable(
                    f"the Bluetooth adapter is off and could not be switched on: {exc.message}"
                ) from None
        return adapter, self.devices_of(adapter, objects)
