"""Benchmark: the archive catalogue with 100,000 recordings, against a real ``seccam serve``.

    python bench/catalogue_bench.py [--count 100000] [--switches 3] [--before DIR]

Makes a recordings folder of ``--count`` recordings (empty ``output_*.mp4`` files, one in
ten with a thumbnail and a ``.meta.json``: the catalogue never opens a video, so empty
files are as good as real ones here) and a second folder of a tenth of that, then runs
``seccam serve`` (every installed plugin but the captive portal, which would touch this
machine's firewall) on them and prints:

* the first start's build of the catalogue (no database yet);
* RSS once built, and after switching ``Camera.recordings_dir`` away and back
  ``--switches`` times (target: 90 MB or less);
* the first answer of ``GET /archive`` after a restart, from the process's start
  (target: under 2 s), and from the moment it listens;
* ``GET /archive`` (first page, 1000 items) and ``/archive/new_count`` latency, median
  and p95 of 50 (target: under 10 ms);
* ``/archive/count`` right after each switch: whether it already counts the new folder
  (target: always) and how long that answer took.

The reference measured in the same run is a minimal Quart app on hypercorn (its idle
RSS and one GET). ``--before DIR`` runs the same figures for another checkout of
seccam_core (e.g. ``git archive main | tar -x -C DIR``: the in-memory index this
replaces), imported ahead of the installed one.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from seccam_core.testing import free_port

SECCAM = [sys.executable, "-m", "seccam_core.cli"]
MINIMAL_QUART = """
import sys
from quart import Quart
from hypercorn.asyncio import serve
from hypercorn.config import Config
import asyncio
app = Quart("minimal")

@app.get("/archive/count")
async def count():
    return {"count": 0}

config = Config()
config.bind = [f"127.0.0.1:{sys.argv[1]}"]
config.accesslog = None
asyncio.run(serve(app, config))
"""


def make_folder(folder: Path, count: int) -> None:
    """``count`` recordings a minute apart, newest now, each finished (mtime) 30 s after
    its start; one in ten with sidecars."""
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.now() - timedelta(minutes=count)
    meta = json.dumps({"duration_seconds": 12.5, "reason": "sensor",
                       "sensor_type": "reed_switch"}).encode()
    for i in range(count):
        when = start + timedelta(minutes=i)
        stem = f"output_{when.strftime('%Y%m%d_%H%M%S')}"
        video = folder / f"{stem}.mp4"
        video.write_bytes(b"")
        finished = when.timestamp() + 30  # its mtime: when the recording was finalised
        os.utime(video, (finished, finished))
        if i % 10 == 0:
            (folder / f"{stem}.thumb.jpg").write_bytes(b"")
            (folder / f"{stem}.meta.json").write_bytes(meta)


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


def median_p95(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):6.2f} / {ordered[int(len(ordered) * 0.95) - 1]:6.2f}"


class Served:
    """``seccam serve`` in its own process; ``code`` imports another seccam_core first."""

    def __init__(self, data_dir: Path, code: Path | None) -> None:
        self.data_dir, self.code = data_dir, code
        self.port = free_port()
        self.env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock",
                    "SECCAM_DISABLED_PLUGINS": "captive_portal"}
        if code is not None:
            self.env["PYTHONPATH"] = str(code)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
            cwd=data_dir)  # not this checkout: -m puts the working folder first on the path
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=300)
        atexit.register(self._kill_if_running)  # never an orphan server if the bench fails

    def _kill_if_running(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def authorise(self) -> str:
        token = subprocess.run([*SECCAM, "token", "--data-dir", str(self.data_dir)],
                               capture_output=True, text=True, check=True,
                               env=self.env, cwd=self.data_dir).stdout.strip()
        self.http.headers["Authorization"] = f"Bearer {token}"
        return token

    def until(self, predicate: Any, timeout: float = 600) -> float:
        """Seconds from the process's start until ``predicate()`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("seccam serve exited")
            try:
                if predicate():
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.005)
        raise TimeoutError("seccam serve did not get there")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)
        self.http.close()


def timed(client: httpx.Client, path: str, runs: int = 50) -> tuple[list[float], Any]:
    samples, answer = [], None
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
    return samples, answer


def run(label: str, root: Path, count: int, switches: int, code: Path | None
        ) -> dict[str, str]:
    figures: dict[str, str] = {}
    data_dir = root / f"data-{label}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir()
    folder_a, folder_b = root / "folder-a", root / "folder-b"
    (data_dir / "settings.json").write_text(json.dumps(
        {"Camera": {"recordings_dir": str(folder_a), "test_pattern_size": "160x120",
                    "test_pattern_fps": 5}}))

    served = Served(data_dir, code)
    served.until(lambda: served.http.get("/auth/status").status_code == 200)
    token = served.authorise()
    build = served.until(lambda: served.http.get("/archive/count").json()["count"] == count)
    figures["first start: all recordings listed"] = f"{build:.2f} s"
    time.sleep(3)  # the durations (sidecars) are read after the listing
    figures["RSS, built"] = f"{rss_mb(served.process.pid):.1f} MB"
    since = (datetime.now() - timedelta(hours=1)).isoformat()
    for when in ("while the first build reads durations", "steady (no reconcile running)"):
        if when.startswith("steady") and code is None:
            # Waits for a whole reconcile: afterwards nothing runs in the background.
            assert served.http.post("/archive/reconcile").status_code == 200
        page, answer = timed(served.http, "/archive")
        assert answer.headers["X-Total-Count"] == str(count)
        new, answer = timed(served.http, f"/archive/new_count?since={since}")
        counted, _ = timed(served.http, "/archive/count")
        figures[f"{when}: GET /archive first page, median / p95"] = median_p95(page) + " ms"
        figures[f"{when}: GET /archive/new_count, median / p95"] = median_p95(new) + " ms"
        figures[f"{when}: GET /archive/count, median / p95"] = median_p95(counted) + " ms"
    served.stop()
    if (data_dir / "catalogue.sqlite3").exists():
        page, new = asyncio.run(query_alone(data_dir, folder_a, since))
        figures["the catalogue's query alone: first page, new_count (median)"] = (
            f"{page:.2f} ms, {new:.2f} ms")

    served = Served(data_dir, code)
    served.http.headers["Authorization"] = f"Bearer {token}"
    listening = served.until(lambda: served.http.get("/auth/status").status_code == 200)
    first = served.until(
        lambda: served.http.get("/archive").headers.get("X-Total-Count") == str(count))
    figures["restart: first full /archive answer, from the process start"] = f"{first:.2f} s"
    figures["restart: the same, from listening (/auth/status answered)"] = (
        f"{first - listening:.3f} s (listening after {listening:.2f} s)")

    right, waits = 0, []
    for _ in range(switches):
        for folder, expected in ((folder_b, count // 10), (folder_a, count)):
            began = time.perf_counter()
            written = served.http.post("/settings", json={"Camera": {"recordings_dir":
                                                                    str(folder)}})
            assert written.status_code == 200, written.text
            answered = served.http.get("/archive/count").json()["count"]
            waits.append((time.perf_counter() - began) * 1000)
            right += answered == expected
    figures["/archive/count right after a switch: the new folder's"] = (
        f"{right} of {2 * switches}")
    figures["settings write + /archive/count: time (first switch, max of the rest)"] = (
        f"{waits[0]:.0f} ms, {max(waits[1:]) if len(waits) > 1 else 0:.0f} ms")
    served.until(lambda: served.http.get("/archive/count").json()["count"] == count)
    time.sleep(3)
    figures[f"RSS after {switches} switches away and back"] = (
        f"{rss_mb(served.process.pid):.1f} MB")
    served.stop()
    return figures


async def query_alone(data_dir: Path, folder: Path, since: str) -> tuple[float, float]:
    """The page and new_count queries without HTTP, in this process, on the same file."""
    from seccam_core.catalogue.archive import Archive
    from seccam_core.catalogue.database import Database
    from seccam_core.media.layout import MediaLayout

    db = Database(data_dir / "catalogue.sqlite3")
    db.start()
    try:
        archive = Archive(db, MediaLayout(folder))
        await archive.count("recording")
        pages, news = [], []
        epoch = datetime.fromisoformat(since).timestamp()
        for _ in range(50):
            began = time.perf_counter()
            await archive.page("recording", 0, 1000)
            pages.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            await archive.new_count(epoch)
            news.append((time.perf_counter() - began) * 1000)
        return statistics.median(pages), statistics.median(news)
    finally:
        db.close()


def minimal_quart() -> dict[str, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", MINIMAL_QUART, str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client.get("/archive/count")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        samples, _ = timed(client, "/archive/count")
        time.sleep(1)
        return {"RSS idle": f"{rss_mb(process.pid):.1f} MB",
                "GET (constant), median / p95": median_p95(samples) + " ms"}
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--switches", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another seccam_core checkout to compare")
    parser.add_argument("--keep", type=Path, help="make the folders here and keep them")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="catalogue-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    for folder, count in ((root / "folder-a", args.count), (root / "folder-b", args.count // 10)):
        if not any(folder.glob("output_*.mp4")):
            make_folder(folder, count)
    print(f"folders made in {time.monotonic() - began:.1f} s: {args.count} and "
          f"{args.count // 10} recordings", flush=True)
    try:
        results = {"minimal Quart (reference)": minimal_quart()}
        results["seccam (catalogue)"] = run("catalogue", root, args.count, args.switches,
                                            None)
        if args.before is not None:
            results[f"seccam ({args.before})"] = run("before", root, args.count,
                                                     args.switches, args.before.resolve())
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    for label, figures in results.items():
        print(f"\n{label}")
        for name, value in figures.items():
            print(f"  {name:<72} {value}")


if __name__ == "__main__":
    main()
