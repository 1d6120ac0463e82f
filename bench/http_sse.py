"""Benchmark: authenticated GETs and SSE fan-out of the real server over loopback.

    python bench/http_sse.py            # needs `wrk` (apt-get install wrk)

Prints requests per second and p50/p99 latency of ``GET /settings`` with a token at
1, 16 and 64 connections (wrk), the same for a bare Quart app answering a constant
(the baseline), and publish-to-receipt latency of events to 1, 50 and 200 SSE clients,
with lost events counted. The server runs in its own process, as ``seccam serve`` does
(request log, guard, hypercorn settings); the SSE clients run in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def serve_seccam(port: int, data_dir: str) -> None:
    import bench_plugin

    from seccam_core.cli import run_server
    from seccam_core.runtime import Config

    config = Config(data_dir=Path(data_dir), plugins=[bench_plugin], entry_points=False,
                    max_sse_streams=1000)
    sys.exit(run_server(config, "127.0.0.1", port))


def serve_bare(port: int) -> None:
    from hypercorn.asyncio import serve
    from quart import Quart, Response

    from seccam_core.server import hypercorn_config

    app = Quart("bare")
    queues: set[asyncio.Queue[bytes]] = set()

    @app.get("/constant")
    async def constant() -> dict:
        return {"ok": True}

    @app.get("/auth/status")
    async def up() -> dict:
        return {}

    @app.post("/bench/publish")
    async def publish() -> dict:
        payload = json.dumps({"bench": True, "t": time.perf_counter()})
        frame = f"event: bench\ndata: {payload}\n\n".encode()
        for queue in queues:
            queue.put_nowait(frame)
        return {"ok": True}

    @app.get("/events")
    async def events() -> Response:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        queues.add(queue)

        async def stream():
            try:
                yield b": heartbeat\n\n"
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        response = Response(stream(), mimetype="text/event-stream")
        response.timeout = None
        return response

    asyncio.run(serve(app, hypercorn_config("127.0.0.1", port)))


def start(mode: str, port: int, data_dir: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, __file__, f"--{mode}", str(port), data_dir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/status", timeout=1)
            return process
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error still means it is up
                return process
            time.sleep(0.1)
    raise RuntimeError(f"{mode} server did not start")


def wrk(url: str, connections: int, token: str | None, seconds: int) -> dict[str, float]:
    command = ["wrk", "-t", "2" if connections > 1 else "1", "-c", str(connections),
               "-d", f"{seconds}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50_ms": percentile("50"), "p99_ms": percentile("99"),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


async def sse_client(port: int, token: str, latencies: list[float], ready: asyncio.Event,
                     counter: list[int], clients: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    writer.write(request.encode())
    await writer.drain()
    await reader.readuntil(b": heartbeat")
    counter[0] += 1
    if counter[0] == clients:
        ready.set()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"data: ") and b'"bench"' in line:
                stamp = json.loads(line[6:])["t"]
                latencies.append((time.perf_counter() - stamp) * 1000)
    finally:
        writer.close()


async def sse_round(port: int, token: str, clients: int, events: int) -> dict[str, float]:
    latencies: list[float] = []
    ready = asyncio.Event()
    counter = [0]
    tasks = [asyncio.create_task(sse_client(port, token, latencies, ready, counter, clients))
             for _ in range(clients)]
    await asyncio.wait_for(ready.wait(), 60)
    loop = asyncio.get_running_loop()
    for _ in range(events):
        await loop.run_in_executor(None, publish, port, token)
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 5
    while len(latencies) < clients * events and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    ordered = sorted(latencies)
    return {
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max_ms": ordered[-1],
        "lost": clients * events - len(ordered),
    }


def publish(port: int, token: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/bench/publish", method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request, timeout=5).read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--events", type=int, default=40)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    from seccam_core.testing import free_port

    with tempfile.TemporaryDirectory() as data_dir:
        bare_port = free_port()
        bare = start("serve-bare", bare_port, data_dir)
        try:
            print("bare Quart constant (baseline)")
            for connections in (1, 16, 64):
                result = wrk(f"http://127.0.0.1:{bare_port}/constant", connections, None,
                             args.seconds)
                print(f"  {connections:>3} conn: {result['rps']:>7.0f} req/s  "
                      f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms")
            print(f"bare Quart SSE, one queue per client (baseline), {args.events} events")
            for clients in (1, 50, 200):
                result = asyncio.run(sse_round(bare_port, "none", clients, args.events))
                print(f"  {clients:>3} clients: p50 {result['p50_ms']:.2f} ms  "
                      f"p99 {result['p99_ms']:.2f} ms  max {result['max_ms']:.2f} ms  "
                      f"lost {result['lost']}")
        finally:
            bare.terminate()
            bare.wait()

        port = free_port()
        server = start("serve-seccam", port, data_dir)
        try:
            token = subprocess.run(
                [sys.executable, "-m", "seccam_core.cli", "token", "--data-dir", data_dir],
                capture_output=True, text=True, check=True).stdout.strip()
            print("seccam GET /settings with a bearer token")
            for connections in (1, 16, 64):
                result = wrk(f"http://127.0.0.1:{port}/settings", connections, token,
                             args.seconds)
                print(f"  {connections:>3} conn: {result['rps']:>7.0f} req/s  "
                      f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                      f"non-2xx {result['errors']}")
            print(f"SSE publish -> receipt, {args.events} events")
            for clients in (1, 50, 200):
                result = asyncio.run(sse_round(port, token, clients, args.events))
                print(f"  {clients:>3} clients: p50 {result['p50_ms']:.2f} ms  "
                      f"p99 {result['p99_ms']:.2f} ms  max {result['max_ms']:.2f} ms  "
                      f"lost {result['lost']}")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-seccam":
        serve_seccam(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
    else:
        main()
