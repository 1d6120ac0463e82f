"""Benchmark: the Bluetooth presence plugin against dbusmock's BlueZ on a private bus.

    python bench/presence_bt.py [--devices 10]

Needs seccam-presence-bt[test] installed (python-dbusmock) and Debian's dbus. Prints:
- ``someone_home()`` per call (what every sensor trigger pays),
- one poll over N tracked devices through the real D-Bus round trips (half answer the
  probe, half fail as after a page timeout), the mock's own speed included,
- GET /bt/devices latency while a 3 s scan runs on the same server (long operations
  must not block other requests).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path

import dbus
import seccam_presence_bt
from dbusmock.testcase import BusType, SpawnedMock
from seccam_presence_bt.monitor import MONITOR
from seccam_presence_bt.testing import private_system_bus

from seccam_core.testing import LiveServer, make_app


def address(i: int) -> str:
    return f"AA:BB:CC:DD:{i // 256:02X}:{i % 256:02X}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10)
    args = parser.parse_args()
    with private_system_bus() as bus_address:
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bus_address
        mock = SpawnedMock.spawn_with_template("bluez5", stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL)
        try:
            run(args.devices, mock)
        finally:
            mock.terminate()


def run(count: int, mock: SpawnedMock) -> None:
    folder = Path(tempfile.mkdtemp(prefix="seccam-bench-"))
    server = None
    try:
        bluez = dbus.Interface(mock.obj, "org.bluez.Mock")
        bluez.AddAdapter("hci0", "bench")
        bus = BusType.SYSTEM.get_connection()
        for i in range(count):
            path = bluez.AddDevice("hci0", address(i), f"Phone {i}")
            bluez.PairDevice("hci0", address(i))
            if i % 2:
                dbus.Interface(bus.get_object("org.bluez", path), "org.freedesktop.DBus.Mock") \
                    .AddMethod("org.bluez.Device1", "Connect", "", "",
                               "raise dbus.exceptions.DBusException('page timeout', "
                               "name='org.bluez.Error.Failed')")
        data = folder / "data"
        data.mkdir()
        devices = [{"address": address(i), "name": f"Phone {i}"} for i in range(count)]
        (data / "settings.json").write_text(json.dumps({"Presence": {
            "devices": devices, "poll_interval_seconds": 3600, "scan_seconds": 3}}))
        server = LiveServer(make_app(data, seccam_presence_bt)).start()
        monitor = server.seccam.require(MONITOR)
        source = monitor.source

        per_call = min(timeit.repeat(source.someone_home, number=100_000, repeat=3)) / 100_000
        print(f"someone_home(): {per_call * 1e9:.0f} ns per call")

        polls = []
        for _ in range(5):
            started = time.perf_counter()
            server.call(monitor.poll_once, timeout=120)
            polls.append(time.perf_counter() - started)
        home = sum(d.present for d in source.devices)
        print(f"poll of {count} devices ({home} answering): "
              f"median {statistics.median(polls) * 1000:.1f} ms, max {max(polls) * 1000:.1f} ms")

        client = server.client()
        scan = threading.Thread(target=lambda: client.post("/bt/scan"))
        scan.start()
        time.sleep(0.5)  # let the scan begin
        latencies = []
        while scan.is_alive() and len(latencies) < 5000:
            started = time.perf_counter()
            client.get("/bt/devices")
            latencies.append(time.perf_counter() - started)
        scan.join()
        print(f"GET /bt/devices during a 3 s scan: {len(latencies)} requests, median "
              f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
