"""Live viewers against a real ``seccam serve``: HLS video against the picture mode.

    python bench/live_video_bench.py [--viewers 20] [--seconds 60]

Starts ``seccam serve`` (every installed plugin, the test-pattern camera) on a free
loopback port with a fresh data folder and measures, for each mode in turn with the
same number of viewers:

* ``video``: each viewer does what an HLS player does: reloads the playlist every
  second and fetches every segment it has not fetched yet;
* ``pictures`` (the reference, in the same run): each viewer fetches
  ``/camera/frame`` once a second, as the dashboard's picture mode does;
* ``idle`` (the reference's reference): nobody watches.

For each: the server's CPU (its process and its children, the camera's ffmpeg
included) in percent of one core, its RSS at the start and the end, the most ffmpeg
processes at once, the bytes the viewers received, and the p50/p99 of their requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import threading
import time

import httpx
import psutil
from served_camera import served_camera

SEGMENT = re.compile(r"^(/live/segment/(\d+)\.ts\?\S+)$", re.M)


class Tree:
    """The server's process tree: CPU seconds, RSS, ffmpeg processes at once."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_ffmpeg = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def rss_mb(self) -> float:
        return self.root.memory_info().rss / 2**20

    def _count(self) -> None:
        while not self._stop.is_set():
            count = 0
            for process in self.processes():
                try:
                    count += "ffmpeg" in " ".join(process.cmdline())
                except psutil.Error:
                    continue
            self.peak_ffmpeg = max(self.peak_ffmpeg, count)
            time.sleep(0.05)

    def __enter__(self) -> Tree:
        self.peak_ffmpeg = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._count, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


async def video_viewer(client: httpx.AsyncClient, playlist: str, until: float,
                       stats: dict[str, list[float]]) -> None:
    fetched: set[int] = set()
    while time.monotonic() < until:
        started = time.monotonic()
        answer = await client.get(playlist)
        stats["latency"].append(time.monotonic() - started)
        stats["bytes"].append(len(answer.content))
        for uri, number in SEGMENT.findall(answer.text):
            if int(number) in fetched:
                continue
            fetched.add(int(number))
            begun = time.monotonic()
            segment = await client.get(uri)
            stats["latency"].append(time.monotonic() - begun)
            stats["bytes"].append(len(segment.content))
            stats["errors"].append(float(segment.status_code != 200))
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def picture_viewer(client: httpx.AsyncClient, until: float,
                         stats: dict[str, list[float]]) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        answer = await client.get("/camera/frame")
        stats["latency"].append(time.monotonic() - started)
        stats["bytes"].append(len(answer.content))
        stats["errors"].append(float(answer.status_code != 200))
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def watch(mode: str, url: str, token: str, viewers: int, seconds: float,
                tree: Tree) -> dict[str, str]:
    stats: dict[str, list[float]] = {"latency": [], "bytes": [], "errors": []}
    headers = {"Authorization": f"Bearer {token}"}
    rss_before = tree.rss_mb()
    cpu_before, wall_before = tree.cpu_seconds(), time.monotonic()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        until = time.monotonic() + seconds
        with tree:
            if mode == "video":
                link = (await client.post("/media/link", json={
                    "url": "/live/stream.m3u8"})).json()["url"]
                await asyncio.gather(*(video_viewer(client, link, until, stats)
                                       for _ in range(viewers)))
            elif mode == "pictures":
                await asyncio.gather(*(picture_viewer(client, until, stats)
                                       for _ in range(viewers)))
            else:
                await asyncio.sleep(seconds)
    cpu = (tree.cpu_seconds() - cpu_before) / (time.monotonic() - wall_before) * 100
    latencies = sorted(stats["latency"]) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "mode": mode,
        "server CPU (% of a core)": f"{cpu:.1f}",
        "RSS start -> end (MB)": f"{rss_before:.1f} -> {tree.rss_mb():.1f}",
        "ffmpeg at once": str(tree.peak_ffmpeg),
        "received (MB/s)": f"{sum(stats['bytes']) / seconds / 1e6:.2f}",
        "requests p50 / p99 (ms)": (f"{statistics.median(latencies) * 1000:.1f} / "
                                    f"{p99 * 1000:.1f}"),
        "failed": str(int(sum(stats["errors"]))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with served_camera({"Camera": {"pre_roll_seconds": 2}}, buffered_seconds=2,
                       prefix="seccam-live-") as served:
        tree = Tree(served.process.pid)
        print(f"{args.viewers} viewers for {args.seconds:.0f} s each "
              f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
        rows = [asyncio.run(watch(mode, served.url, served.token, args.viewers,
                                  args.seconds, tree))
                for mode in ("idle", "pictures", "video")]
    keys = list(rows[0])
    widths = [max(len(key), *(len(row[key]) for row in rows)) for key in keys]
    print(" | ".join(key.ljust(width) for key, width in zip(keys, widths, strict=True)))
    for row in rows:
        print(" | ".join(row[key].ljust(width) for key, width in zip(keys, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
