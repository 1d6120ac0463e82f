"""Benchmark: a connect-and-close storm from one address against a real ``seccam serve``.

    python bench/connection_storm.py [--cycles 5000] [--seconds 20] [--nofile 1024]

The server runs as ``seccam serve`` with every installed plugin, the mock sensor and the
test-pattern camera, under ``ulimit -n 1024`` (``--nofile``), as a Pi's service would.
Meanwhile, all from 127.0.0.1:

- the storm: ``--cycles`` TCP connections opened and closed at once, evenly over
  ``--seconds`` (no request is sent: the cheapest thing an attacker can do);
- a probe: every 0.2 s an authenticated ``GET /sensor/status`` on a fresh connection,
  whose slowest answer and failures are reported (target: every one within 1 s);
- a sensor recording: the mock sensor is triggered 2 s into the storm and released
  10 s later; the recording must finish as a playable MP4 (ffmpeg decodes it whole).

Printed: the probe's latencies and failures, the server's peak descriptors and RSS, the
recording's decoded duration, and how much the API log grew (target: under 1 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from soak import Server  # noqa: E402


def log_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "logs" / "api").glob("seccam.log*"))


async def storm(port: int, cycles: int, seconds: float, stats: dict[str, int]) -> None:
    """``cycles`` connect-and-close cycles, started evenly over ``seconds``."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    async def cycle() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), 5)
            stats["connected"] += 1
        except (OSError, TimeoutError):
            stats["failed"] += 1
        finally:
            sock.close()

    start = time.monotonic()
    for n in range(cycles):
        delay = start + n * seconds / cycles - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(cycle())
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    stats["storm_seconds"] = round(time.monotonic() - start, 1)


def probe(url: str, token: str, stop: threading.Event, latencies: list[float],
          failures: list[str]) -> None:
    """An authenticated request on a fresh connection every 0.2 s."""
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        began = time.monotonic()
        try:
            answer = httpx.get(url + "/sensor/status", headers=headers, timeout=5)
            if answer.status_code != 200:
                failures.append(f"{answer.status_code} {answer.text[:80]}")
        except httpx.HTTPError as exc:
            failures.append(repr(exc))
        latencies.append(time.monotonic() - began)
        stop.wait(0.2)


def sampler(process: psutil.Process, stop: threading.Event, peaks: dict[str, float]) -> None:
    while not stop.is_set():
        try:
            peaks["fds"] = max(peaks.get("fds", 0), process.num_fds())
            peaks["rss_mb"] = max(peaks.get("rss_mb", 0), process.memory_info().rss / 2**20)
        except psutil.Error:
            return
        stop.wait(0.05)


def decoded_seconds(path: Path) -> float | None:
    """The duration ffmpeg decodes from ``path`` (None if it cannot decode it whole)."""
    from seccam_core.media.ffmpeg import find_ffmpeg as ffmpeg_binary

    run = subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True)
    if run.returncode != 0 or run.stderr.strip():
        return None
    stats = subprocess.run([ffmpeg_binary(), "-i", str(path), "-f", "null", "-"],
                           capture_output=True, text=True).stderr
    times = [line.split("time=")[1].split()[0] for line in stats.splitlines() if "time=" in line]
    if not times:
        return None
    h, m, s = times[-1].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        server = Server(data_dir)
        server.preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                    (args.nofile, args.nofile))
        server.start()
        try:
            token = server.token
            client = httpx.Client(base_url=server.url, timeout=30,
                                  headers={"Authorization": f"Bearer {token}"})
            client.post("/sensor/configure",
                        json={"type": "mock", "enabled": True, "hold_seconds": 1})
            wait_for(lambda: client.get("/camera/status").json()["state"] == "running", 30)
            recordings_before = client.get("/archive/count").json()["count"]
            log_before = log_bytes(data_dir)
            assert server.process is not None
            process = psutil.Process(server.process.pid)
            baseline = {"fds": process.num_fds(), "rss_mb": process.memory_info().rss / 2**20}

            stop = threading.Event()
            latencies: list[float] = []
            failures: list[str] = []
            peaks: dict[str, float] = {}
            threads = [threading.Thread(target=probe, args=(server.url, token, stop,
                                                            latencies, failures)),
                       threading.Thread(target=sampler, args=(process, stop, peaks))]
            for thread in threads:
                thread.start()
            stats = {"connected": 0, "failed": 0}

            def recording() -> None:
                time.sleep(2)
                try:
                    stats["trigger"] = client.post("/sensor/mock/trigger").status_code
                    time.sleep(10)
                    stats["release"] = client.post("/sensor/mock/release").status_code
                except httpx.HTTPError as exc:
                    failures.append(f"trigger/release: {exc!r}")

            recorder = threading.Thread(target=recording)
            recorder.start()
            asyncio.run(storm(server.port, args.cycles, args.seconds, stats))
            recorder.join()
            finished = wait_for(
                lambda: client.get("/archive/count").json()["count"] > recordings_before
                and not client.get("/recording_status").json()["recording"], 60)
            stop.set()
            for thread in threads:
                thread.join()
            videos = sorted((data_dir / "recordings").glob("output_*.mp4"))
            videos = [v for v in videos if not v.name.endswith(".part.mp4")]
            duration = decoded_seconds(videos[-1]) if finished and videos else None
            log_text = (data_dir / "logs" / "api" / "seccam.log").read_text(errors="replace")
            result = {
                "storm": stats,
                "probe_requests": len(latencies),
                "probe_failures": len(failures),
                "probe_failure_examples": failures[:3],
                "probe_p50_ms": round(statistics.median(latencies) * 1000, 1),
                "probe_max_ms": round(max(latencies) * 1000, 1),
                "fds": f"{baseline['fds']} -> peak {peaks.get('fds', 0):.0f}",
                "rss_mb": f"{baseline['rss_mb']:.1f} -> peak {peaks.get('rss_mb', 0):.1f}",
                "recording_finished": finished,
                "recording_decoded_seconds": duration,
                "api_log_growth_kb": round((log_bytes(data_dir) - log_before) / 1024, 1),
                "too_many_open_files_in_log": log_text.count("Too many open files"),
            }
            client.close()
        finally:
            server.stop()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--nofile", type=int, default=1024, help="the server's ulimit -n")
    args = parser.parse_args()
    result = run(args)
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    ok = (result["probe_failures"] == 0 and result["probe_max_ms"] < 1000
          and result["recording_decoded_seconds"] is not None
          and result["api_log_growth_kb"] < 1024)
    print("targets (every probe < 1 s, recording playable, log < 1 MB):",
          "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
