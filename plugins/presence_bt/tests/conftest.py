"""A private system bus with python-dbusmock's BlueZ, and a live seccam with this plugin.

Nothing here touches the machine's real D-Bus or Bluetooth: each test gets its own
``dbus-daemon`` (configured like a system bus that allows everything), its address in
``DBUS_SYSTEM_BUS_ADDRESS`` as D-Bus libraries honour it, and dbusmock's ``bluez5``
template playing bluetoothd on it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dbus
import pytest
import seccam_presence_bt
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

# Fast enough for tests, slow enough to see the away delay at work.
FAST_PRESENCE = {
    "poll_interval_seconds": 0.2,
    "away_after_seconds": 1.5,
    "probe_timeout_seconds": 2,
    "scan_seconds": 0.5,
}
PHONE = "AA:BB:CC:DD:EE:01"
TABLET = "AA:BB:CC:DD:EE:02"


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll ``condition`` until it is truthy (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what or condition}")
        time.sleep(0.05)


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private dbus-daemon like a system bus; its address is DBUS_SYSTEM_BUS_ADDRESS."""
    folder = Path(tempfile.mkdtemp(prefix="seccam-bus-"))  # short: socket paths are limited
    config = folder / "system-bus.conf"
    config.write_text(BUS_CONFIG.format(socket=folder / "bus.socket"))
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    assert address.startswith("unix:"), address
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    try:
        yield address
    finally:
        daemon.terminate()
        daemon.wait(10)
        daemon.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


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


@pytest.fixture
def presence_settings(seccam_data_dir: Path) -> Callable[..., None]:
    """Write a settings file with a fast ``Presence`` section before the server starts."""

    def write(**presence: Any) -> None:
        document = {"Presence": {**FAST_PRESENCE, **presence}}
        (seccam_data_dir / "settings.json").write_text(json.dumps(document))

    return write


@pytest.fixture
def start_server(seccam_live_server: Any, presence_settings: Callable[..., None]) -> Any:
    """``start_server(**presence_settings)`` -> a live seccam with this plugin."""

    def start(**presence: Any) -> Any:
        presence_settings(**presence)
        return seccam_live_server(seccam_presence_bt)

    return start
