"""Test kit for this plugin and for integration tests: a private system bus and BlueZ.

Needs the ``test`` extra (``pip install seccam-presence-bt[test]``: python-dbusmock) and
Debian's ``dbus``. Use the fixtures by importing them into a ``conftest.py``::

    from seccam_presence_bt.testing import bluez, system_bus  # noqa: F401

``system_bus`` starts a private ``dbus-daemon`` configured like a system bus that allows
everything, and points ``DBUS_SYSTEM_BUS_ADDRESS`` at it (as D-Bus libraries honour it),
so nothing touches the machine's real D-Bus or Bluetooth. ``bluez`` runs
python-dbusmock's ``bluez5`` template on it, playing bluetoothd, wrapped in
:class:`MockBluez`.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dbus
import pytest
from dbusmock.testcase import BusType, SpawnedMock

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

@contextlib.contextmanager
def private_system_bus() -> Iterator[str]:
    """Run a private dbus-daemon configured like a system bus; yield its address."""
    folder = Path(tempfile.mkdtemp(prefix="seccam-bus-"))  # short: socket paths are limited
    config = folder / "system-bus.conf"
    config.write_text(BUS_CONFIG.format(socket=folder / "bus.socket"))
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        if not address.startswith("unix:"):
            raise RuntimeError(f"dbus-daemon did not start: {address!r}")
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)
        if daemon.stdout is not None:
            daemon.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private system bus for the test; its address is DBUS_SYSTEM_BUS_ADDRESS."""
    with private_system_bus() as address:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        yield address


class MockBluez:
    """dbusmock's ``bluez5`` template, driven through its own D-Bus methods."""

    def __init__(self, spawned: SpawnedMock) -> None:
        self.spawned = spawned
        self.bus = BusType.SYSTEM.get_connection()
        self.mock = dbus.Interface(spawned.obj, "org.bluez.Mock")

    def _object(self, path: str) -> Any:
        return self.bus.get_object("org.bluez", path)

    def add_adapter(self, name: str = "hci0", alias: str = "seccam") -> str:
        return str(self.mock.AddAdapter(name, alias))

    def add_device(self, address: str, name: str, adapter: str = "hci0") -> str:
        return str(self.mock.AddDevice(adapter, address, name))

    def pair_device(self, address: str, adapter: str = "hci0") -> None:
        self.mock.PairDevice(adapter, address)

    @staticmethod
    def device_path(address: str, adapter: str = "hci0") -> str:
        return f"/org/bluez/{adapter}/dev_{address.upper().replace(':', '_')}"

    def properties(self, path: str, interface: str) -> dict[str, Any]:
        props = dbus.Interface(self._object(path), dbus.PROPERTIES_IFACE).GetAll(interface)
        return {str(key): _plain(value) for key, value in props.items()}

    def device(self, address: str) -> dict[str, Any]:
        return self.properties(self.device_path(address), "org.bluez.Device1")

    def adapter(self, name: str = "hci0") -> dict[str, Any]:
        return self.properties(f"/org/bluez/{name}", "org.bluez.Adapter1")

    def has_device(self, address: str) -> bool:
        objects = dbus.Interface(self._object("/"), "org.freedesktop.DBus.ObjectManager")
        return self.device_path(address) in {str(p) for p in objects.GetManagedObjects()}

    def calls(self, path: str) -> list[tuple[str, list[Any]]]:
        """The methods called on ``path`` so far, with their arguments."""
        log = dbus.Interface(self._object(path), "org.freedesktop.DBus.Mock").GetCalls()
        return [(str(name), [_plain(arg) for arg in args]) for _, name, args in log]

    def replace_method(self, path: str, interface: str, name: str, code: str) -> None:
        dbus.Interface(self._object(path), "org.freedesktop.DBus.Mock").AddMethod(
            interface, name, "", "", code
        )

    def leave(self, address: str) -> None:
        """The phone walks out of range: it drops its link and no longer answers a page.

        The template has no notion of radio range, so this replaces the device's
        ``Device1.Connect`` with one that fails as BlueZ does after a page timeout.
        """
        self.mock.DisconnectDevice("hci0", address)
        self.replace_method(
            self.device_path(address), "org.bluez.Device1", "Connect",
            "raise dbus.exceptions.DBusException('br-connection-page-timeout', "
            "name='org.bluez.Error.Failed')",
        )

    def come_back(self, address: str) -> None:
        """The phone is back in range and connects to the camera by itself."""
        self.mock.ConnectDevice("hci0", address)


def _plain(value: Any) -> Any:
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dbus.Array | list):
        return [_plain(item) for item in value]
    if isinstance(value, dbus.Dictionary | dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@pytest.fixture
def bluez(system_bus: str) -> Iterator[MockBluez]:
    """bluetoothd played by dbusmock's bluez5 template on the private system bus."""
    spawned = SpawnedMock.spawn_with_template("bluez5", stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
    try:
        yield MockBluez(spawned)
    finally:
        spawned.terminate()
