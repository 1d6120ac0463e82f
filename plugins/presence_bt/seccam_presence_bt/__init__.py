"""seccam presence by Bluetooth: while a tracked phone is home, the camera stands down.

The plugin talks to BlueZ over the system D-Bus. It contributes the ``Presence``
settings section, the ``bluetooth`` presence source that the sensor controller asks on
every trigger, the ``/bt/...`` endpoints (scan, discoverable, add, remove, status) and a
background poller that publishes ``presence_state`` whenever someone comes or goes.
"""

from __future__ import annotations

from quart import Blueprint

from seccam_core import PresenceSource, Seccam, SettingsSection, hookimpl
from seccam_presence_bt import api
from seccam_presence_bt.bluez import BluezClient
from seccam_presence_bt.monitor import MONITOR, PresenceMonitor
from seccam_presence_bt.section import PRESENCE_SECTION
from seccam_presence_bt.tracking import SOURCE_NAME, BluetoothPresence

__version__ = "0.1.0"


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Presence`` section: tracked devices, poll interval, away delay."""
    return [PRESENCE_SECTION]


@hookimpl
def seccam_presence_sources() -> list[PresenceSource]:
    """The ``bluetooth`` source: someone is home while a tracked device is present."""
    return [BluetoothPresence()]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``/bt/scan``, ``/bt/discoverable``, ``/devices/bt/add|remove``, status (and aliases)."""
    return [api.blueprint]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Start polling the tracked devices (BlueZ need not be running yet)."""
    source = seccam.presence_sources[SOURCE_NAME]
    if not isinstance(source, BluetoothPresence):
        raise TypeError(f"presence source {SOURCE_NAME!r} is not this plugin's")
    monitor = PresenceMonitor(seccam, source, BluezClient())
    await monitor.start()
    seccam.provide(MONITOR, monitor)


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop polling and close the D-Bus connection."""
    monitor = seccam.withdraw(MONITOR)
    if monitor is not None:
        await monitor.stop()
