"""The presence monitor: polls BlueZ, keeps the source's state, runs the long operations.

One per app, provided as the ``MONITOR`` service. The poll loop looks for
every tracked device each ``poll_interval_seconds`` and feeds the
:class:`~seccam_presence_bt.tracking.BluetoothPresence` source; every change of state
is published as ``presence_state`` at once (never rate limited). Scans and
discoverable windows run as tasks of their own, so a request that waits 20 or 90 s
never holds up another; a second scan while one runs shares its result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from seccam_core import Busy, EngineError, Event, InvalidValue, Seccam, ServiceKey
from seccam_presence_bt.addresses import normalize
from seccam_presence_bt.bluez import BluezClient, Device
from seccam_presence_bt.discovery import discover
from seccam_presence_bt.pairing import pair_and_trust, unpair, wait_for_pairing
from seccam_presence_bt.probe import within_reach
from seccam_presence_bt.section import SECTION
from seccam_presence_bt.tracking import BluetoothPresence, Transition, iso_time

log = logging.getLogger(__name__)

SERVICE_NAME = "presence_bt"
MAX_DEVICES = 50


class PairingBusy(Busy):
    """Another pairing (discoverable window or add) is already running."""

    def __init__(self) -> None:
        super().__init__("another Bluetooth pairing is in progress; try again when it ends")


class PresenceMonitor:
    """Background polling plus the Bluetooth operations behind the endpoints."""

    def __init__(self, seccam: Seccam, source: BluetoothPresence, client: BluezClient) -> None:
        self.seccam = seccam
        self.source = source
        self.client = client
        self.last_poll: float | None = None
        self.last_error: str | None = None
        self.adapter: dict[str, Any] | None = None
        self._wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._scan: asyncio.Task[list[dict[str, Any]]] | None = None
        self._pairing = asyncio.Lock()
        self._registry = asyncio.Lock()
        self._remove_listener: Any = None

    # --- settings ---------------------------------------------------------------------

    def setting(self, key: str) -> Any:
        return self.seccam.settings.value(SECTION, key)

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        self.source.track(self.setting("devices") or [])
        self._remove_listener = self.seccam.bus.add_listener(self._on_event)
        self._poller = asyncio.create_task(self._poll_loop(), name="presence_bt poller")

    async def stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
        tasks = [task for task in (self._poller, self._scan) if task is not None]
        for task in tasks:
            task.cancel()
        # gather: their CancelledError is a result, a cancellation of stop() itself is not.
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.client.close()

    def _on_event(self, event: Event) -> None:
        if event.type == "settings_changed" and SECTION in event.data.get("sections", []):
            self.client.adapter_name = self.setting("adapter") or ""
            if self.source.track(self.setting("devices") or []):
                self.publish([])
            self.wake()

    def wake(self) -> None:
        """Poll now instead of at the end of the interval."""
        self._wake.set()

    # --- polling ----------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        self.client.adapter_name = self.setting("adapter") or ""
        me = asyncio.current_task()
        while True:
            try:
                await self.poll_once()
            except Exception:
                log.exception("presence poll failed")
            if me is not None and me.cancelling():
                # A library swallowed our cancellation (a connect failing just as the
                # loop shut down): stop anyway, or asyncio.run() would wait forever.
                raise asyncio.CancelledError
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.setting("poll_interval_seconds")):
                    await self._wake.wait()

    async def poll_once(self) -> None:
        """Look for every tracked device once and apply what was seen."""
        known: dict[str, Device] = {}
        try:
            if self.source.devices:
                adapter, known = await self.client.powered_adapter()
            else:  # nothing to look for: report the adapter, leave its power alone
                adapter = await self.client.adapter()
        except EngineError as exc:
            self._note_error(exc.message)
            self.adapter = None
        else:
            self._note_error(None)
            self.adapter = adapter.as_dict()
        seen: set[str] = set()
        for state in self.source.devices:
            device = known.get(state.address)
            if device is not None and await self._reachable(device):
                seen.add(state.address)
        self.apply(seen)

    async def _reachable(self, device: Device) -> bool:
        try:
            return await within_reach(self.client, device, self.setting("probe_timeout_seconds"))
        except EngineError as exc:  # BlueZ went away mid-poll: the device counts as unseen
            self._note_error(exc.message)
            return False

    def apply(self, seen: set[str]) -> None:
        """Feed one look to the source; publish when anything changed."""
        before = self.source.someone_home()
        transitions = self.source.observe(seen, time.time(), self.setting("away_after_seconds"))
        self.last_poll = time.time()
        if transitions or self.source.someone_home() != before:
            self.publish(transitions)

    def _note_error(self, error: str | None) -> None:
        if error != self.last_error:
            if error:
                log.warning("Bluetooth presence cannot look for devices: %s", error)
            else:
                log.info("Bluetooth presence can look for devices again")
        self.last_error = error

    def publish(self, transitions: list[Transition]) -> None:
        """``presence_state`` for the new state; ``presence_change`` per device, as the original."""
        for transition in transitions:
            self.seccam.bus.publish("presence_change", {
                "address": transition.device.address, "name": transition.device.name,
                "transport": "bluetooth", "online": transition.present,
            })
        self.seccam.bus.publish("presence_state", self.source.snapshot())

    def status(self) -> dict[str, Any]:
        """The richer status: state of every device, adapter, last poll and error."""
        return {
            **self.source.snapshot(),
            "adapter": self.adapter,
            "last_poll": iso_time(self.last_poll),
            "error": self.last_error,
        }

    # --- the tracked list -------------------------------------------------------------

    async def _save_devices(self, devices: list[dict[str, str]], seen: str | None = None) -> None:
        before = list(self.setting("devices") or [])
        # Follow the new list before it is saved and announced, so the listener has
        # nothing left to do and a device that just paired is never announced as away.
        self.source.track(devices)
        transitions = self._mark_seen(seen) if seen else []
        try:
            await self.seccam.settings.save(SECTION, {"devices": devices})
        except Exception:
            self.source.track(before)
            raise
        self.publish(transitions)

    def _mark_seen(self, address: str) -> list[Transition]:
        state = self.source.get(address)
        if state is not None and self.source.mark_seen(address, time.time()):
            return [Transition(state, True)]
        return []

    async def register(self, address: str, name: str, *, seen: bool = False) -> bool:
        """Track a device (once: addresses compare case-insensitively). Whether it was new.

        ``seen``: the device just answered (it paired), so it is present from now on.
        """
        address = normalize(address)
        async with self._registry:
            devices = list(self.setting("devices") or [])
            if any(normalize(entry["address"]) == address for entry in devices):
                if seen and (transitions := self._mark_seen(address)):
                    self.publish(transitions)
                return False
            if len(devices) >= MAX_DEVICES:
                raise InvalidValue(f"address: at most {MAX_DEVICES} devices can be tracked")
            new = {"address": address, "name": name}
            await self._save_devices([*devices, new], seen=address if seen else None)
            return True

    async def unregister(self, address: str) -> bool:
        """Stop tracking a device; whether it was tracked."""
        address = normalize(address)
        async with self._registry:
            devices = list(self.setting("devices") or [])
            kept = [entry for entry in devices if normalize(entry["address"]) != address]
            if len(kept) == len(devices):
                return False
            await self._save_devices(kept)
            return True

    # --- the operations behind the endpoints ------------------------------------------

    async def scan(self, seconds: float) -> list[dict[str, Any]]:
        """Discover for ``seconds``; a scan already running is joined, not stacked."""
        if self._scan is None or self._scan.done():
            self._scan = asyncio.create_task(discover(self.client, seconds), name="bt scan")
            # Every waiter may have gone (clients hung up): the outcome is still collected.
            self._scan.add_done_callback(lambda task: task.cancelled() or task.exception())
        return await asyncio.shield(self._scan)

    async def add(self, address: str, name: str | None) -> tuple[Device, bool]:
        """Pair, trust and track a device; ``(device, newly tracked)``."""
        address = normalize(address)
        if self._pairing.locked():
            raise PairingBusy()
        async with self._pairing:
            device = await pair_and_trust(self.client, address)
        added = await self.register(address, name or device.name or address, seen=True)
        return device, added

    async def discoverable(self, seconds: float) -> Device | None:
        """Wait for a phone to pair within ``seconds``; track it. ``None`` on time-out."""
        if self._pairing.locked():
            raise PairingBusy()
        async with self._pairing:
            device = await wait_for_pairing(self.client, seconds)
        if device is None:
            return None
        await self.register(device.address, device.name, seen=True)
        return device

    async def remove(self, address: str) -> tuple[bool, bool]:
        """Unpair (best effort) and stop tracking; ``(unpaired, was tracked)``."""
        address = normalize(address)
        try:
            unpaired = await unpair(self.client, address)
        except EngineError as exc:
            log.warning("could not unpair %s: %s", address, exc.message)
            unpaired = False
        return unpaired, await self.unregister(address)


MONITOR: ServiceKey[PresenceMonitor] = ServiceKey(SERVICE_NAME, "the presence_bt plugin")
