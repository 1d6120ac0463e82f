"""Media figures: pre-roll, capture cost, archive endpoints at 1k/10k/100k files.

    python bench/media_bench.py [--quick]

Runs the real app under hypercorn on loopback with the default test-pattern camera
(640x480 at 10 fps) and prints:

* trigger to first frame of a sensor recording (negative: seconds of pre-roll before
  the trigger), from the recording's metadata and from an independent bound (the
  moment the finished file was announced minus its decoded duration);
* CPU (% of one core) and RSS of the capture ffmpeg process;
* ``/archive/new_count`` and ``/archive`` (default page, and all entries) latency with
  1k, 10k and 100k files in the recordings folder, the index build time, and the
  latency of a cheap request issued while a large listing is served.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from seccam_core.media.ffmpeg import find_ffmpeg
from seccam_core.media.service import MEDIA
from seccam_core.testing import LiveServer, make_app, wait_until


def start_server(data_dir: Path, camera: dict[str, object] | None = None) -> LiveServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text(json.dumps({"Camera": camera or {}}))
    return LiveServer(make_app(data_dir)).start()


def duration_of(path: Path) -> float:
    out = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)],
                         capture_output=True, text=True).stderr
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", out).groups()  # type: ignore[union-attr]
    return int(h) * 3600 + int(m) * 60 + float(s)


def bench_pre_roll_and_capture(root: Path, hold: float) -> None:
    server = start_server(root / "camera")
    try:
        client = server.client()
        camera = server.seccam.require(MEDIA).camera
        pre_roll = camera.config.pre_roll_seconds
        wait_until(lambda: client.get("/camera/status").json()["buffered_seconds"] >= pre_roll,
                   60, "pre-roll")
        capture = psutil.Process(camera.pid)
        capture.cpu_percent(None)
        time.sleep(5)
        cpu = capture.cpu_percent(None)
        rss = capture.memory_info().rss / 1e6
        print(f"capture process (640x480@10fps test pattern): CPU {cpu:.1f}% of one core, "
              f"RSS {rss:.1f} MB")

        events = server.events()
        trigger = time.time()
        server.call(lambda: server.seccam.bus.publish(
            "recording_request", {"source": "sensor", "active": True, "sensor_type": "bench"}))
        events.wait_for("recording_state", lambda d: d["recording"])
        started = time.time()
        time.sleep(hold)
        server.call(lambda: server.seccam.bus.publish(
            "recording_request", {"source": "sensor", "active": False, "sensor_type": "bench"}))
        done = events.wait_for("archive_updated", lambda d: d["type"] == "recording", 60)
        announced = time.time()
        video = Path(done.data["path"])
        meta = json.loads(video.with_name(video.stem + ".meta.json").read_text())
        duration = duration_of(video)
        bound = (announced - duration) - trigger
        print(f"trigger -> recording_state: {1000 * (started - trigger):.0f} ms")
        print(f"first frame relative to trigger (metadata): {-meta['pre_roll_seconds']:+.2f} s "
              f"(pre_roll_seconds = {pre_roll})")
        print(f"first frame relative to trigger (upper bound: announced - duration): "
              f"{bound:+.2f} s; duration {duration:.2f} s for a {hold:.1f} s hold")
        print(f"stop -> archive_updated: {announced - started - hold:.2f} s")
    finally:
        server.stop()


def fill(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 1, 1)
    for i in range(count):
        when = start + timedelta(minutes=7 * i)
        kind = "snapshot" if i % 10 == 0 else "output"
        ext = ".jpg" if kind == "snapshot" else ".mp4"
        (folder / f"{kind}_{when:%Y%m%d_%H%M%S}{ext}").touch()


def timed(client, url: str, runs: int = 20) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times = []
    size = 0
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - begin)
        assert response.status_code == 200, response.text
        size = len(response.content)
    return statistics.median(times) * 1000, size


def hammer(server: LiveServer, stop: threading.Event) -> None:
    """Keep requesting the whole listing until told to stop."""
    other = server.client()
    while not stop.is_set():
        other.get("/archive?limit=100000")


def bench_archive(root: Path, counts: list[int]) -> None:
    for count in counts:
        data_dir = root / f"archive-{count}"
        fill(data_dir / "recordings", count)
        begin = time.perf_counter()
        server = start_server(data_dir, {"test_pattern_size": "160x120"})
        startup = time.perf_counter() - begin
        try:
            client = server.client()
            client.get("/archive/count")  # waits for the startup scan
            indexed = time.perf_counter() - begin
            since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            new_count, _ = timed(client, f"/archive/new_count?since={since}")
            count_ms, _ = timed(client, "/archive/count")
            page, page_bytes = timed(client, "/archive")
            everything, all_bytes = timed(client, "/archive?limit=100000", runs=5)

            # A cheap request while big listings are being served: is the loop blocked?
            stop = threading.Event()
            worker = threading.Thread(target=hammer, args=(server, stop))
            worker.start()
            cheap, _ = timed(client, "/recording_status", runs=20)
            stop.set()
            worker.join()
            print(f"{count:>7} files: serving after {startup:4.2f} s, indexed {indexed:5.2f} s"
                  f" | new_count {new_count:6.1f} ms"
                  f" | count {count_ms:5.1f} ms | /archive (1000/page, {page_bytes // 1024} KiB)"
                  f" {page:6.1f} ms | all {all_bytes // 1024} KiB {everything:7.1f} ms"
                  f" | /recording_status during full listings {cheap:6.1f} ms")
        finally:
            server.stop()


def main() -> None:
    # hypercorn cancels idle keep-alive connections on stop; asyncio logs that loudly.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    logging.getLogger("hypercorn").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k files only")
    parser.add_argument("--hold", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seccam-bench-") as tmp:
        root = Path(tmp)
        print(f"ffmpeg: {find_ffmpeg()}; CPUs: {os.cpu_count()}; "
              f"load: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        bench_pre_roll_and_capture(root, args.hold)
        bench_archive(root, [1000, 10000] if args.quick else [1000, 10000, 100000])


if __name__ == "__main__":
    main()
