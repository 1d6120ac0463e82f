"""Issue 19's table in one command: seccam against its references, measured in one run.

    python bench/pi_table.py [--rows idle,fresh,status,sse] [--connections 20000]

Each row runs a real ``seccam serve`` (every installed plugin, the mock sensor, the
test-pattern camera, the captive portal off) in its own process, and beside it, in the
same run, the references:

- **minimal Quart**: a Quart app under hypercorn's own ``serve`` with its defaults, with
  the same routes answering constants (``/sensor/status``; ``/sensor/mock/trigger``
  publishing one frame to every ``/events`` queue);
- **original stack**: Flask on its threaded development server, as the original ran,
  with the original's token check, CORS header and request log (``/sensor/status``).

Rows:

- ``idle``: RSS of the server process 10 s after it answers (seccam with every plugin);
- ``fresh``: RSS while ``--connections`` requests each arrive on a new connection (the
  client closes it after the answer), its peak, and 10 s after the last one;
- ``status``: ``GET /sensor/status`` with the token at 64 connections (wrk, keep-alive),
  the median of interleaved runs against the three servers;
- ``sse``: ``POST /sensor/mock/trigger`` / ``release`` to the ``sensor_state`` frame at
  each of 200 SSE clients (readers in two other processes), p50/p99/lost. The media
  plugin is off in this row, so a trigger does not also start an ffmpeg recording.

The catalogue rows (RSS with 100,000 recordings, ``/archive/count`` after a folder change)
come from bench/catalogue_bench.py.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SETTLE_SECONDS = 10.0
ACTION_SPACING = 0.4
"""Seconds between two triggers: a frame counts for the action before it arrived."""
STATUS = {"enabled": True, "type": "mock", "gpio": 17, "triggered": False,
          "suppressed": False, "recording_from_sensor": False, "hold_seconds": 1,
          "error": None}


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# --- reference servers ------------------------------------------------------------------


def serve_quart(port: int) -> None:
    """A minimal Quart app under hypercorn's own ``serve`` and its default settings."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from quart import Quart, Response

    app = Quart("minimal")
    queues: set[asyncio.Queue[bytes]] = set()
    state = {"n": 0}

    @app.get("/sensor/status")
    async def status() -> dict:
        return STATUS

    @app.get("/auth/status")
    async def up() -> dict:
        return {}

    @app.post("/sensor/mock/<action>")
    async def publish(action: str) -> dict:
        state["n"] += 1
        payload = json.dumps({**STATUS, "triggered": action == "trigger"})
        frame = f"event: sensor_state\nid: {state['n']}\ndata: {payload}\n\n".encode()
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

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(serve(app, config))


def serve_flask(port: int, data_dir: str) -> None:
    """The original's stack: Flask's threaded development server, token check, CORS on
    every route, every request logged to a rotating file."""
    import logging
    import logging.handlers

    from flask import Flask, jsonify, request

    token = "original-token"
    log = logging.getLogger("api")
    handler = logging.handlers.RotatingFileHandler(Path(data_dir) / "flask.log",
                                                   maxBytes=8 << 20, backupCount=3)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = Flask("original")

    @app.before_request
    def guard():
        log.info("%s %s %s", request.method, request.path, request.remote_addr)
        if request.path != "/auth/status" and \
                request.headers.get("Authorization") != f"Bearer {token}":
            return jsonify({"error": "Unauthorized"}), 401
        return None

    @app.after_request
    def cors(response):
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.get("/sensor/status")
    def status():
        return jsonify(STATUS)

    @app.get("/auth/status")
    def up():
        return jsonify({})

    app.run(host="127.0.0.1", port=port, threaded=True)


# --- process handling -------------------------------------------------------------------


class Served:
    """One server process: seccam (``soak.Server``) or a reference."""

    def __init__(self, kind: str, data_dir: Path, media: bool = True) -> None:
        from soak import Server

        data_dir.mkdir(parents=True, exist_ok=True)
        self.kind = kind
        if kind == "seccam":
            self.server = Server(data_dir)
            if not media:
                self.server.env["SECCAM_DISABLED_PLUGINS"] = "builtin.media"
            self.server.start()
            self.process = self.server.process
            self.port = self.server.port
            self.token = self.server.token
            call("POST", self.port, "/sensor/configure", self.token,
                 {"type": "mock", "enabled": True, "hold_seconds": 1})
        else:
            from seccam_core.testing import free_port

            self.server = None
            self.port = free_port()
            self.token = "original-token" if kind == "flask" else "none"
            self.process = subprocess.Popen(
                [sys.executable, __file__, f"--serve-{kind}", str(self.port), str(data_dir)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while True:
                try:
                    call("GET", self.port, "/auth/status", None)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        assert self.process is not None
        self.ps = psutil.Process(self.process.pid)

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        else:
            self.process.terminate()
            self.process.wait(30)


def call(method: str, port: int, path: str, token: str | None, body: Any = None) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, json.dumps(body) if body is not None else None, headers)
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return json.loads(data) if data else None


# --- rows -----------------------------------------------------------------------------------


def idle_row(kind: str, data_dir: Path) -> float:
    served = Served(kind, data_dir)
    try:
        time.sleep(SETTLE_SECONDS)
        return served.rss_mb()
    finally:
        served.stop()


async def fresh_connections(port: int, token: str, total: int, concurrency: int = 32) -> dict:
    request = (f"GET /sensor/status HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode()
    done = {"ok": 0, "failed": 0}
    remaining = iter(range(total))

    async def worker() -> None:
        for _ in remaining:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: (\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                done["ok" if head.startswith(b"HTTP/1.1 200") else "failed"] += 1
                writer.close()
            except (OSError, asyncio.IncompleteReadError):
                done["failed"] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def fresh_row(kind: str, data_dir: Path, total: int) -> dict[str, Any]:
    served = Served(kind, data_dir)
    try:
        time.sleep(SETTLE_SECONDS)
        before = served.rss_mb()
        samples: list[float] = []
        loop_done = threading.Event()

        def sample() -> None:
            while not loop_done.is_set():
                samples.append(served.rss_mb())
                loop_done.wait(0.5)

        sampler = threading.Thread(target=sample)
        sampler.start()
        began = time.monotonic()
        result = asyncio.run(fresh_connections(served.port, served.token, total))
        elapsed = time.monotonic() - began
        loop_done.set()
        sampler.join()
        time.sleep(SETTLE_SECONDS)
        after = served.rss_mb()
        return {"before": before, "peak": max(samples) - before, "after": after - before,
                "rate": total / elapsed, **result}
    finally:
        served.stop()


def wrk(port: int, path: str, token: str | None, seconds: int, connections: int = 64) -> float:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
               f"http://127.0.0.1:{port}{path}"]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} errors on port {port}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def status_rows(data_dir: Path, seconds: int, rounds: int) -> dict[str, float]:
    """Median req/s of each server over ``rounds`` interleaved wrk runs (this machine's
    load from other work changes by the minute; interleaving shares it fairly)."""
    kinds = ("seccam", "quart", "flask")
    served = {kind: Served(kind, data_dir / kind, media=False) for kind in kinds}
    try:
        runs: dict[str, list[float]] = {kind: [] for kind in kinds}
        for kind in kinds:
            wrk(served[kind].port, "/sensor/status", served[kind].token, 2)  # warm up
        for _ in range(rounds):
            for kind in kinds:
                runs[kind].append(wrk(served[kind].port, "/sensor/status", served[kind].token,
                                      seconds))
        return {kind: statistics.median(values) for kind, values in runs.items()}
    finally:
        for server in served.values():
            server.stop()


# --- SSE ----------------------------------------------------------------------------------------


def sse_readers(port: int, token: str, clients: int, ready: Any, stop: Any, out: Any) -> None:
    """``clients`` raw-socket SSE readers; sends back each one's sensor_state arrivals."""

    async def read(arrivals: list[float], connected: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
        writer.write(f"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}"
                     f"\r\n\r\n".encode())
        await reader.readuntil(b": heartbeat")
        connected[0] += 1
        kind = b""
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event: "):
                kind = line[7:].strip()
            elif line.startswith(b"data: ") and kind == b"sensor_state":
                arrivals.append(now())

    async def main() -> None:
        results: list[list[float]] = [[] for _ in range(clients)]
        connected = [0]
        tasks = [asyncio.create_task(read(r, connected)) for r in results]
        while connected[0] < clients:
            await asyncio.sleep(0.05)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put(results)

    asyncio.run(main())


def sse_row(kind: str, data_dir: Path, clients: int, actions: int) -> dict[str, float]:
    served = Served(kind, data_dir, media=False)
    try:
        processes = 2
        stop = multiprocessing.Event()
        out: Any = multiprocessing.Queue()
        readies = [multiprocessing.Event() for _ in range(processes)]
        workers = [multiprocessing.Process(target=sse_readers, args=(
            served.port, served.token, clients // processes, readies[n], stop, out))
            for n in range(processes)]
        for worker in workers:
            worker.start()
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("SSE readers did not connect")
        time.sleep(1)
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        sent: list[float] = []
        for n in range(actions):
            action = "trigger" if n % 2 == 0 else "release"
            sent.append(now())
            connection.request("POST", f"/sensor/mock/{action}",
                               headers={"Authorization": f"Bearer {served.token}"})
            connection.getresponse().read()
            time.sleep(ACTION_SPACING)
        time.sleep(2)
        stop.set()
        results = [r for _ in workers for r in out.get(timeout=60)]
        for worker in workers:
            worker.join()
        latencies: list[float] = []
        lost = 0
        bounds = [*sent[1:], float("inf")]
        for arrivals in results:
            for start, end in zip(sent, bounds, strict=True):
                first = next((a for a in arrivals if start <= a < end), None)
                if first is None:
                    lost += 1
                else:
                    latencies.append((first - start) * 1000)
        latencies.sort()
        return {"p50": statistics.median(latencies),
                "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)], "lost": lost}
    finally:
        served.stop()


# --- the table ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="idle,fresh,status,sse")
    parser.add_argument("--connections", type=int, default=20000)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved wrk runs")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--actions", type=int, default=40)
    args = parser.parse_args()
    rows = args.rows.split(",")
    # As on a Pi after `pip install` (which compiles bytecode): without .pyc files every
    # start compiles each module from source, and that costs ~3 MB of RSS for good.
    # (uv does not compile by default, and this environment sets PYTHONDONTWRITEBYTECODE.)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "2",
                    sysconfig.get_paths()["purelib"], str(HERE.parent)],
                   stdout=subprocess.DEVNULL, check=False)
    if "status" in rows and shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    table: list[tuple[str, str, str, str]] = []

    scratch = tempfile.TemporaryDirectory(prefix="pi-table-")

    def fresh_dir() -> Path:
        return Path(tempfile.mkdtemp(dir=scratch.name))

    if "idle" in rows:
        seccam, quart, flask = (idle_row(k, fresh_dir()) for k in ("seccam", "quart", "flask"))
        table.append(("RSS idle, every plugin", f"{seccam:.1f} MB",
                      f"original stack {flask:.1f} MB; minimal Quart {quart:.1f} MB",
                      "50 MB or less"))
        print(table[-1], flush=True)
    if "fresh" in rows:
        results = {k: fresh_row(k, fresh_dir(), args.connections) for k in ("seccam", "quart")}
        s, q = results["seccam"], results["quart"]
        table.append((f"RSS after {args.connections:,} fresh connections",
                      f"{s['peak']:+.1f} MB at peak, {s['after']:+.1f} MB after "
                      f"(from {s['before']:.1f}; {s['rate']:.0f} conn/s, {s['failed']} failed)",
                      f"minimal Quart {q['peak']:+.1f} MB at peak, {q['after']:+.1f} MB after "
                      f"({q['rate']:.0f} conn/s, {q['failed']} failed)",
                      "+10 MB or less, during and after"))
        print(table[-1], flush=True)
    if "status" in rows:
        medians = status_rows(fresh_dir(), args.seconds, args.rounds)
        seccam, quart, flask = medians["seccam"], medians["quart"], medians["flask"]
        table.append(("GET /sensor/status with a token, 64 connections",
                      f"{seccam:,.0f} req/s = {seccam / quart:.0%} of minimal Quart",
                      f"minimal Quart {quart:,.0f} req/s; original stack {flask:,.0f} req/s",
                      "85 % of the minimal app or more"))
        print(table[-1], flush=True)
    if "sse" in rows:
        seccam = sse_row("seccam", fresh_dir(), args.clients, args.actions)
        quart = sse_row("quart", fresh_dir(), args.clients, args.actions)
        table.append((f"mock trigger to SSE at {args.clients} clients, p99",
                      f"{seccam['p99']:.1f} ms (p50 {seccam['p50']:.1f}, lost {seccam['lost']})",
                      f"minimal Quart {quart['p99']:.1f} ms (p50 {quart['p50']:.1f}, "
                      f"lost {quart['lost']})", "15 ms or less, nothing lost"))
        print(table[-1], flush=True)

    scratch.cleanup()
    print("\n| figure | seccam | reference (same run) | target |\n|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    print("| RSS with a 100,000-recording folder; /archive/count after a folder change "
          "| see bench/catalogue_bench.py | | |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-quart":
        serve_quart(int(sys.argv[2]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--serve-flask":
        serve_flask(int(sys.argv[2]), sys.argv[3])
    else:
        os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
        main()
