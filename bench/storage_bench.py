"""Storage and health figures: cleanup and /storage/status with 10k and 100k recordings,
and the health sampler's CPU cost per minute.

    python bench/storage_bench.py            # needs root (mounts a tmpfs) and storage_sd

Each recording is one page (4 KiB) on a tmpfs sized so the disk is just over the
threshold: a cleanup then deletes about 1 % of the recordings, the common case.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import seccam_storage_sd
from seccam_storage_sd.cleanup import clean_oldest_first
from seccam_storage_sd.health import sd_health_metric, storage_metric
from seccam_storage_sd.inventory import InventoryCache, scan_inventory

from seccam_core.media.layout import MediaLayout
from seccam_core.system.alert_metrics import core_metrics
from seccam_core.system.alerts import AlertSampler
from seccam_core.testing import LiveServer, make_app

PAGE = 4096
T0 = datetime(2025, 1, 1)


@contextmanager
def tmpfs(size: int):
    folder = Path(tempfile.mkdtemp(prefix="seccam-bench-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


def fill(folder: Path, count: int) -> None:
    data = b"x" * 100
    for i in range(count):
        name = (T0 + timedelta(seconds=30 * i)).strftime("output_%Y%m%d_%H%M%S.mp4")
        with open(folder / name, "wb") as handle:
            handle.write(data)


def percent(folder: Path) -> float:
    s = os.statvfs(folder)
    used = (s.f_blocks - s.f_bfree) * s.f_frsize
    return used / (used + s.f_bavail * s.f_frsize) * 100


def timed(function, repeat: int = 5) -> float:
    """Median wall time in ms."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def bench_storage(count: int) -> None:
    size = int(count * PAGE / 0.80) // PAGE * PAGE  # recordings take ~80 % of the disk
    with tmpfs(size) as folder:
        start = time.perf_counter()
        fill(folder, count)
        made = time.perf_counter() - start
        usage = percent(folder)
        threshold = usage - 0.8  # about 1 % of the recordings must go
        print(f"\n{count} recordings ({made:.1f} s to create), disk at {usage:.1f} %")

        no_op = timed(lambda: clean_oldest_first(folder, 99, set))
        print(f"  check under the threshold (statvfs only):  {no_op:8.2f} ms")
        start = time.perf_counter()
        outcome = clean_oldest_first(folder, threshold, set)
        took = (time.perf_counter() - start) * 1000
        print(f"  cleanup deleting {len(outcome.deleted):5d} oldest of {count}:    "
              f"{took:8.1f} ms  (disk {outcome.disk_percent} %)")

        layout = MediaLayout(folder)
        cold = timed(lambda: scan_inventory(layout), repeat=3)
        cache = InventoryCache()
        cache.get(layout)
        warm = timed(lambda: cache.get(layout), repeat=20)
        print(f"  inventory scan (cold /storage/status):     {cold:8.1f} ms")
        print(f"  inventory from cache (warm):               {warm:8.3f} ms")
        bench_status_over_http(folder)


def bench_status_over_http(folder: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="seccam-bench-data-"))
    (data_dir / "settings.json").write_text(
        json.dumps({"Camera": {"recordings_dir": str(folder)}}))

    # Camera.recordings_dir belongs to the media plugin; without it the store keeps the
    # raw section, which media_layout reads, so the status measures `folder`.
    server = LiveServer(make_app(data_dir, seccam_storage_sd)).start()
    try:
        client = server.client()
        first = time.perf_counter()
        body = client.get("/storage/status").json()
        first_ms = (time.perf_counter() - first) * 1000
        warm = timed(lambda: client.get("/storage/status"), repeat=20)
        print(f"  GET /storage/status: first {first_ms:7.1f} ms, then {warm:6.2f} ms "
              f"(counted {body['recordings']['count']})")
    finally:
        server.stop()


def pi_like_sysfs(root: Path) -> None:
    for relative, text in [
        ("class/thermal/thermal_zone0/temp", "52312"),
        ("devices/platform/soc/soc:firmware/get_throttled", "0"),
        ("block/mmcblk0/device/life_time", "0x02 0x02"),
        ("block/mmcblk0/device/name", "SD32G"),
        ("block/mmcblk0/stat", "1 0 2 3 4 0 4000 5 0 6 7 0 0 0 0"),
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")


def bench_sampler(vcgencmd: str) -> None:
    os.environ["SECCAM_VCGENCMD"] = vcgencmd
    with tempfile.TemporaryDirectory() as media:
        metrics = {m.name: m for m in core_metrics()}
        metrics["sd_health"] = sd_health_metric()
        # The storage metric reads only the media folder setting and the data folder.
        app = SimpleNamespace(settings=SimpleNamespace(value=lambda *_: media),
                              data_dir=Path(media))
        metrics["storage"] = storage_metric(app)
        sampler = AlertSampler(metrics, lambda *_: None, lambda: 60)
        samples = 200

        async def run() -> None:
            for _ in range(samples):
                await sampler.sample_once()

        before, children_before = time.process_time(), os.times()
        asyncio.run(run())
        cpu = time.process_time() - before
        after = os.times()
        cpu += (after.children_user - children_before.children_user
                + after.children_system - children_before.children_system)
    per_sample_ms = cpu / samples * 1000
    label = "with a vcgencmd process per sample" if vcgencmd else "sysfs only"
    print(f"  {label:36s} {per_sample_ms:6.3f} ms CPU per sample -> "
          f"{per_sample_ms:7.2f} ms/min at 60 s, {per_sample_ms * 12:7.2f} ms/min at 5 s")


def bench_system_info() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="seccam-bench-data-"))
    server = LiveServer(make_app(data_dir, seccam_storage_sd)).start()
    try:
        client = server.client()
        info = timed(lambda: client.get("/system_info"), repeat=30)
        stats = timed(lambda: client.get("/system_stats"), repeat=30)
        print(f"  GET /system_info {info:6.2f} ms, GET /system_stats {stats:6.2f} ms "
              "(median; no blocking CPU sample)")
    finally:
        server.stop()


def main() -> None:
    for count in (10_000, 100_000):
        bench_storage(count)
    print("\nsystem endpoints")
    bench_system_info()
    print("\nhealth sampler (4 metrics: cpu_temp, throttle, storage, sd_health; Pi-like sysfs)")
    with tempfile.TemporaryDirectory() as sysfs:
        pi_like_sysfs(Path(sysfs))
        os.environ["SECCAM_SYSFS_ROOT"] = sysfs
        bench_sampler("")
        fake = Path(sysfs) / "vcgencmd"
        fake.write_text("#!/bin/sh\necho throttled=0x0\n")
        fake.chmod(0o755)
        bench_sampler(str(fake))


if __name__ == "__main__":
    main()
