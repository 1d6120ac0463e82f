"""Benchmark of ``GET /logs/api`` on generated logs of 1 MB, 100 MB and 1 GB.

    python bench/logs_bench.py [--sizes 1MB,100MB,1GB] [--dir /tmp] [--keep]

For each size it writes ``<data>/logs/api/seccam.log`` into a temporary folder, starts
the real app under hypercorn in a child process (this script with ``--serve``), and
measures over HTTP on loopback:

* ``?limit=500`` (target: 10 ms or less at 1 GB),
* ``?limit=500&level=ERROR&search=presence`` (matches spread through the file),
* ``?limit=500&level=ERROR&search=needle-rare`` (the text is only in the oldest
  megabyte: the whole file is read, the worst case),
* the server's RSS before and after the queries, and its peak (VmHWM),
* ``GET /auth/status`` latency while nothing runs and while the worst-case query runs
  back to back in another thread (reads must not stall the event loop).

The folder is deleted afterwards unless ``--keep``. Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

SIZES = {"1MB": 1024**2, "100MB": 100 * 1024**2, "1GB": 1024**3}
PLAIN = {"limit": 500}
FILTERED = {"limit": 500, "level": "ERROR", "search": "presence"}
WORST = {"limit": 500, "level": "ERROR", "search": "needle-rare"}


# --- the server (child process) -------------------------------------------------------


def serve(data_dir: Path, port: int) -> None:
    import asyncio
    import logging

    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config as HypercornConfig

    from seccam_core.app import create_app
    from seccam_core.runtime import Config

    logging.basicConfig(level=logging.WARNING)  # no file log: the file under test stays put
    app = create_app(Config(data_dir=data_dir, entry_points=False))
    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(hypercorn_serve(app, config))  # type: ignore[arg-type]


# --- generating logs ------------------------------------------------------------------


def pattern_block(block_number: int, rare: bool) -> bytes:
    """About 1 MiB of realistic lines: access lines, warnings, 1 % errors with tracebacks."""
    lines: list[str] = []
    size = 0
    n = 0
    while size < 1024**2:
        second = f"2026-04-01 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        if n % 100 == 0:
            topic = "needle-rare" if rare else ("presence" if n % 300 == 0 else "storage")
            chunk = (f"{second} [ERROR] seccam_core.app: {topic} check failed in block "
                     f"{block_number}\nTraceback (most recent call last):\n"
                     f'  File "/opt/seccam/seccam_core/app.py", line {n % 500}, in view\n'
                     f"RuntimeError: {topic} probe {n}\n")
        elif n % 17 == 0:
            chunk = f"{second} [WARNING] presence.bt: device AA:BB:CC:DD:EE:{n % 100:02d} gone\n"
        else:
            chunk = (f"{second} [INFO] seccam.access: GET /sensor/status 200 "
                     f"192.168.4.{n % 250}\n")
        lines.append(chunk)
        size += len(chunk)
        n += 1
    return "".join(lines).encode()


def generate(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    common = pattern_block(1, rare=False)
    with path.open("wb") as handle:
        handle.write(pattern_block(0, rare=True))  # the oldest megabyte holds the rare text
        while handle.tell() < size:
            handle.write(common)


# --- measuring ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data_dir), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("the server did not start")
    token = json.loads((data_dir / "settings.json").read_text())["Auth"]["token"]
    return process, f"http://127.0.0.1:{port}", token


def timings(client: httpx.Client, params: dict[str, object], runs: int) -> list[float]:
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/logs/api", params=params)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        results.append(elapsed)
    return results


def in_process(path: Path, params: dict[str, object], runs: int) -> list[float]:
    """The reader and the JSON encoding alone, without HTTP, for comparison."""
    from seccam_core.logs import API_LOG_FORMAT, LogQuery, read_entries, rotated_files

    query = LogQuery(**params)  # type: ignore[arg-type]
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        entries = read_entries(rotated_files(path), API_LOG_FORMAT, query)
        json.dumps([entry.as_dict() for entry in entries])
        results.append((time.perf_counter() - started) * 1000)
    return results


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"median {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  "
            f"min {ordered[0]:7.1f} ms  (n={len(ordered)})")


def status_latencies(url: str, seconds: float) -> list[float]:
    results = []
    with httpx.Client(base_url=url) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/auth/status").raise_for_status()
            results.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
    return results


def rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss / 1024**2)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_size(base: Path, label: str, size: int) -> None:
    data_dir = base / label
    log_path = data_dir / "logs" / "api" / "seccam.log"
    started = time.perf_counter()
    generate(log_path, size)
    print(f"\n== {label}: {log_path.stat().st_size / 1024**2:.0f} MiB "
          f"(generated in {time.perf_counter() - started:.1f} s)")
    process, url, token = start_server(data_dir)
    server = psutil.Process(process.pid)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=600) as client:
            first = client.get("/logs/api", params=PLAIN).json()
            assert len(first) == 500, len(first)
            timings(client, PLAIN, 5)  # warm up
            rss_before = rss_mb(server)
            plain = timings(client, PLAIN, 50)
            print(f"  plain    limit=500                      {summary(plain)}")
            filtered = timings(client, FILTERED, 20)
            print(f"  filtered level=ERROR search=presence    {summary(filtered)}")
            worst = timings(client, WORST, 3)
            found = len(client.get("/logs/api", params=WORST).json())
            print(f"  worst    level=ERROR search=needle-rare {summary(worst)} "
                  f"[{found} entries, whole file read]")
            for name, params in (("plain", PLAIN), ("filtered", FILTERED), ("worst", WORST)):
                print(f"  in this process, {name:<8} read + JSON only: "
                      f"{summary(in_process(log_path, params, 3 if name == 'worst' else 20))}")
            rss_after = rss_mb(server)
            print(f"  server RSS: before {rss_before:.1f} MiB, after {rss_after:.1f} MiB, "
                  f"peak {peak_rss_mb(process.pid):.1f} MiB")

            idle = status_latencies(url, 2.0)
            stop = threading.Event()
            reads = [0]

            def keep_reading() -> None:
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                  timeout=600) as reader:
                    while not stop.is_set():
                        reader.get("/logs/api", params=WORST).raise_for_status()
                        reads[0] += 1

            thread = threading.Thread(target=keep_reading)
            thread.start()
            time.sleep(0.2)
            busy = status_latencies(url, max(3.0, min(worst) / 1000 * 2))
            stop.set()
            thread.join()
            print(f"  /auth/status idle:                      {summary(idle)}, "
                  f"max {max(idle):.1f} ms")
            print(f"  /auth/status during worst-case reads:   {summary(busy)}, "
                  f"max {max(busy):.1f} ms ({reads[0]} reads ran)")
    finally:
        process.terminate()
        process.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1MB,100MB,1GB", help="comma-separated: " +
                        ", ".join(SIZES))
    parser.add_argument("--dir", default=None, help="where to make the temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0
    base = Path(tempfile.mkdtemp(prefix="seccam-logs-bench-", dir=args.dir))
    print(f"logs benchmark in {base} ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    try:
        for label in args.sizes.split(","):
            bench_size(base, label, SIZES[label.strip()])
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
