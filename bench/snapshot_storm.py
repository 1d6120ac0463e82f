"""200 concurrent ``POST /snapshot`` against a real ``seccam serve``.

    python bench/snapshot_storm.py [--requests 200]

Starts ``seccam serve`` (every installed plugin, the test-pattern camera) on a free
loopback port with a fresh data folder, waits for the camera, then measures:

* reference, in the same run: the server and its children idle (RSS), and one
  snapshot on its own (ffmpeg processes at once, peak RSS);
* the storm: N concurrent requests, each answered or not, their statuses, the most
  ffmpeg still processes at once (the camera's own ffmpeg is counted apart), and the
  peak RSS of the server plus all its children, sampled every 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import threading
import time

import httpx
import psutil
from served_camera import served_camera


class Sampler:
    """Samples the server's process tree every 10 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self.peak_stills = 0
        self.peak_ffmpeg = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def sample(self) -> None:
        rss = stills = ffmpeg = 0
        for process in self._tree():
            try:
                rss += process.memory_info().rss
                cmdline = " ".join(process.cmdline())
            except psutil.Error:
                continue
            if "ffmpeg" in cmdline:
                ffmpeg += 1
                if "image2" in cmdline:
                    stills += 1
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_stills = max(self.peak_stills, stills)
        self.peak_ffmpeg = max(self.peak_ffmpeg, ffmpeg)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def storm(url: str, token: str, count: int) -> collections.Counter[str]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def one() -> str:
            try:
                return str((await client.post("/snapshot")).status_code)
            except httpx.HTTPError as exc:
                return f"unanswered ({type(exc).__name__})"

        return collections.Counter(await asyncio.gather(*(one() for _ in range(count))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with served_camera({"Camera": {"pre_roll_seconds": 2}}, prefix="seccam-storm-") as served:
        url, token, headers = served.url, served.token, served.headers
        idle = Sampler(served.process.pid)
        for _ in range(50):
            idle.sample()
            time.sleep(0.02)
        with Sampler(served.process.pid) as single:
            one = httpx.post(url + "/snapshot", headers=headers, timeout=60).status_code
        time.sleep(1.1)  # the storm starts in a new second
        with Sampler(served.process.pid) as sampled:
            started = time.monotonic()
            statuses = asyncio.run(storm(url, token, args.requests))
            elapsed = time.monotonic() - started
        snapshots = len(list((served.data_dir / "recordings").glob("snapshot_*.jpg")))
    mb = 1024 * 1024
    answered = sum(n for status, n in statuses.items() if status.isdigit())
    print(f"reference, idle: server + children RSS {idle.peak_rss / mb:.1f} MB, "
          f"{idle.peak_ffmpeg} ffmpeg (the camera)")
    print(f"reference, one snapshot ({one}): peak RSS {single.peak_rss / mb:.1f} MB, "
          f"at most {single.peak_stills} still ffmpeg at once")
    print(f"storm: {args.requests} concurrent POST /snapshot in {elapsed:.1f} s: "
          f"{answered} answered {dict(statuses)}")
    print(f"storm: at most {sampled.peak_stills} still ffmpeg processes at once "
          f"({sampled.peak_ffmpeg} ffmpeg with the camera); peak RSS of server + children "
          f"{sampled.peak_rss / mb:.1f} MB; {snapshots - 1} snapshot files written")
    return 0 if answered == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
