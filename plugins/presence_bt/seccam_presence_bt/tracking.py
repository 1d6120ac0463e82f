"""The Bluetooth presence source: tracked devices, their present/away state, hysteresis.

Pure state, no I/O: the poller feeds it what it saw (:meth:`BluetoothPresence.observe`)
and the sensor controller reads :meth:`BluetoothPresence.someone_home` on every trigger.
A device seen once is present at once; it turns away only after it has gone unseen for
the away delay, so one missed look does not arm the camera while its owner is on the
sofa. Nothing here is rate limited: every transition is taken (ORIGINAL D7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seccam_core import PresenceSource
from seccam_presence_bt.addresses import normalize

SOURCE_NAME = "bluetooth"


def iso_time(timestamp: float | None) -> str | None:
    """``2026-04-01T09:51:07.250+00:00`` for a wall-clock timestamp, ``None`` for never."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


@dataclass
class DeviceState:
    """One tracked device: whether it counts as home and when it was last seen."""

    address: str
    name: str
    present: bool = False
    last_seen: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "present": self.present,
            "last_seen": iso_time(self.last_seen),
        }


@dataclass(frozen=True)
class Transition:
    """A device that turned present or away in one observation."""

    device: DeviceState
    present: bool


class BluetoothPresence(PresenceSource):
    """Someone is home while any tracked Bluetooth device is present.

    Before the first look (just after start) the answer is ``None``: unknown, which the
    core counts as nobody home, so a sensor records rather than stays silent.
    """

    name = SOURCE_NAME

    def __init__(self) -> None:
        self._devices: dict[str, DeviceState] = {}
        self.observed = False

    # --- what the sensor controller asks ----------------------------------------------

    def someone_home(self) -> bool | None:
        """Whether a tracked device is present; ``None`` until the first look."""
        if not self._devices:
            return False
        if not self.observed:
            return None
        return any(device.present for device in self._devices.values())

    def snapshot(self) -> dict[str, Any]:
        """The ``presence_state`` payload: ``{someone_home, devices: [...]}``."""
        return {
            "someone_home": self.someone_home() is True,
            "devices": [device.as_dict() for device in self._devices.values()],
        }

    @property
    def devices(self) -> list[DeviceState]:
        return list(self._devices.values())

    def get(self, address: str) -> DeviceState | None:
        return self._devices.get(normalize(address))

    # --- what the poller and the endpoints tell it ------------------------------------

    def track(self, entries: Iterable[Mapping[str, Any]]) -> bool:
        """Follow exactly these ``{address, name}`` entries; keep the state of known ones.

        Returns whether the list of devices (or a name) changed.
        """
        wanted: dict[str, DeviceState] = {}
        for entry in entries:
            address = normalize(str(entry["address"]))
            name = str(entry.get("name") or address)
            state = self._devices.get(address) or DeviceState(address, name)
            state.name = name
            wanted.setdefault(address, state)
        before = [(d.address, d.name) for d in self._devices.values()]
        self._devices = wanted
        return before != [(d.address, d.name) for d in wanted.values()]

    def observe(self, seen: Iterable[str], now: float, away_after: float) -> list[Transition]:
        """Apply one look: the addresses seen ``now``. Returns the transitions it caused."""
        seen = {normalize(address) for address in seen}
        self.observed = True
        transitions: list[Transition] = []
        for address, device in self._devices.items():
            if address in seen:
                device.last_seen = now
                if not device.present:
                    device.present = True
                    transitions.append(Transition(device, True))
            elif device.present and (
                device.last_seen is None or now - device.last_seen >= away_after
            ):
                device.present = False
                transitions.append(Transition(device, False))
        return transitions

    def mark_seen(self, address: str, now: float) -> bool:
        """A device answered outside a poll (it just paired); returns whether it turned present."""
        device = self._devices.get(normalize(address))
        if device is None:
            return False
        device.last_seen = now
        if device.present:
            return False
        device.present = True
        return True
