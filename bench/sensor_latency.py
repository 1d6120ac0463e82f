"""GPIO edge to ``sensor_state`` at 1, 50 and 200 SSE clients, over HTTP on loopback.

    python bench/sensor_latency.py [--edges 150] [--clients 1,50,200]

Three kinds of process, so that no measuring side slows another by the GIL:

* the **server**: the real app (core + ``seccam-sensor-reed``) under hypercorn on a
  loopback port, gpiozero's MockFactory, plus a bench hook whose ``POST /bench/edge``
  flips the reed switch's mock pin *inside the server process* (the edge then travels
  the production path: gpiozero callback, debouncer, ``call_soon_threadsafe``,
  controller, bus, every SSE queue, hypercorn);
* **readers**: raw-socket SSE clients (asyncio), split over a few processes, noting the
  arrival time of every ``sensor_state`` frame by event id;
* the **driver** (this process): fires the edges with a keep-alive HTTP connection,
  timing each request, then fetches from the server which event id each edge became.

Latency = arrival at a client - the moment the server flipped the pin (both on the
machine's monotonic clock, shared by all processes). A frame that never arrives is
counted as lost. Needs ``seccam-core`` and ``seccam-sensor-reed`` installed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PIN = 22
SENTINEL = "settings_changed"


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# --- the server process -----------------------------------------------------------------


def serve(port: int, data_dir: str) -> None:
    """Run the app with the reed plugin and the bench hook until killed."""
    import seccam_sensor_reed
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config as HypercornConfig
    from quart import Blueprint

    from seccam_core import hookimpl
    from seccam_core.app import create_app, seccam_of
    from seccam_core.gpio import current_pin_factory
    from seccam_core.runtime import Config

    class BenchHook:
        """Flips the reed switch's mock pin on request; remembers which event each edge made."""

        seccam_plugin_name = "bench_hook"

        def __init__(self) -> None:
            self.pending: float | None = None
            self.edges: list[dict[str, Any]] = []

        @hookimpl
        def seccam_register_routes(self, seccam: Any) -> list[Blueprint]:
            blueprint = Blueprint("bench", __name__)

            @blueprint.post("/bench/edge")
            async def edge() -> dict[str, Any]:
                """Flip the mock pin once."""
                pin = current_pin_factory().pin(PIN)  # type: ignore[attr-defined]
                self.pending = now()
                if pin.state:
                    pin.drive_low()
                else:
                    pin.drive_high()
                return {"edge_at": self.pending}

            @blueprint.get("/bench/edges")
            async def edges() -> dict[str, Any]:
                """Every edge: its time, and the id and publication time of its sensor_state."""
                return {"edges": self.edges}

            return [blueprint]

        @hookimpl
        def seccam_startup(self, seccam: Any) -> None:
            seccam.bus.add_listener(self._on_event)

        def _on_event(self, event: Any) -> None:
            if event.type == "sensor_state" and self.pending is not None:
                self.edges.append({"id": event.id, "edge_at": self.pending,
                                   "published_at": now()})
                self.pending = None

    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    # Edge-to-event delivery only: with the builtin media plugin every edge would also
    # start a real ffmpeg recording (its cost is bench/media_bench.py's subject).
    app = create_app(Config(data_dir=Path(data_dir), plugins=(seccam_sensor_reed, BenchHook()),
                            entry_points=False, disabled_plugins=frozenset({"builtin.media"}),
                            safe_mode=False, max_sse_streams=1000))
    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None

    @app.before_serving
    async def announce() -> None:
        print(json.dumps({"token": seccam_of(app).auth.token}), flush=True)

    import logging

    logging.getLogger("seccam.access").setLevel(logging.WARNING)
    asyncio.run(hypercorn_serve(app, config))  # type: ignore[arg-type]


# --- reader processes ---------------------------------------------------------------------


async def read_stream(port: int, token: str, arrivals: dict[int, float],
                      connected: asyncio.Event, counter: list[int], total: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += await reader.read(65536)
    buffer = buffer.split(b"\r\n\r\n", 1)[1]
    counter[0] += 1
    if counter[0] == total:
        connected.set()
    while True:
        chunk = await reader.read(65536)
        arrived = now()
        if not chunk:
            return
        buffer += chunk
        *frames, buffer = buffer.split(b"\n\n")
        for frame in frames:
            fields = {}
            for line in frame.split(b"\n"):
                key, _, value = line.partition(b": ")
                fields[key.strip()] = value
            event = fields.get(b"event", b"")
            if event == b"sensor_state" and b"id" in fields:
                arrivals[int(fields[b"id"])] = arrived
            elif event == SENTINEL.encode():
                writer.close()
                return


def readers(port: int, token: str, count: int) -> None:
    """Connect ``count`` SSE clients, say so, and print their arrivals at the sentinel."""

    async def main() -> None:
        connected = asyncio.Event()
        counter = [0]
        arrivals: list[dict[int, float]] = [{} for _ in range(count)]
        tasks = [asyncio.create_task(read_stream(port, token, a, connected, counter, count))
                 for a in arrivals]
        await asyncio.wait_for(connected.wait(), 60)
        print("CONNECTED", flush=True)
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
        print(json.dumps([{str(k): v for k, v in a.items()} for a in arrivals]), flush=True)

    asyncio.run(main())


# --- the driver -------------------------------------------------------------------------


class Api:
    """A keep-alive HTTP connection with the token."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[Any, float]:
        payload = json.dumps(body) if body is not None else None
        started = now()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        took = now() - started
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data!r}")
        return json.loads(data), took


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_round(port: int, token: str, api: Api, clients: int, edges: int, spacing: float,
              procs: int, round_no: int, server_pid: int) -> dict[str, Any]:
    per_proc = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    per_proc = [n for n in per_proc if n]
    children = [
        subprocess.Popen([sys.executable, __file__, "--readers", str(n), "--port", str(port),
                          "--token", token], stdout=subprocess.PIPE, text=True)
        for n in per_proc
    ]
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if line != "CONNECTED":
            raise RuntimeError(f"a reader process failed to connect: {line!r}")
    api.call("GET", "/bench/edges")
    start_index = len(api.call("GET", "/bench/edges")[0]["edges"])
    request_ms = []
    cpu_before = cpu_seconds(server_pid)
    for _ in range(edges):
        _, took = api.call("POST", "/bench/edge")
        request_ms.append(took * 1000)
        time.sleep(spacing)
    cpu_per_edge = (cpu_seconds(server_pid) - cpu_before) / edges * 1000
    api.call("POST", "/settings", {"Api": {"cors_origins": ["*", f"http://bench-{round_no}"]}})
    arrivals: list[dict[str, float]] = []
    for child in children:
        out, _ = child.communicate(timeout=180)
        arrivals.extend(json.loads(out.strip().splitlines()[-1]))
    sent = api.call("GET", "/bench/edges")[0]["edges"][start_index:]
    latencies, lost = [], 0
    for edge in sent:
        for client in arrivals:
            arrived = client.get(str(edge["id"]))
            if arrived is None:
                lost += 1
            else:
                latencies.append((arrived - edge["edge_at"]) * 1000)
    publish_ms = [(e["published_at"] - e["edge_at"]) * 1000 for e in sent]
    return {
        "clients": clients, "edges": len(sent), "frames": len(latencies), "lost": lost,
        "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99),
        "max": max(latencies), "publish_p50": statistics.median(publish_ms),
        "request_p50": statistics.median(request_ms),
        "request_p99": percentile(request_ms, 0.99), "request_max": max(request_ms),
        "cpu_per_edge": cpu_per_edge,
    }


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = now() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if now() > deadline:
                raise
            time.sleep(0.05)


def drive(edges: int, client_counts: list[int], spacing: float) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="seccam-bench-") as data_dir:
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), data_dir],
                                  stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"})
        try:
            assert server.stdout is not None
            token = json.loads(server.stdout.readline())["token"]
            wait_for_port(port)  # the token is known at startup, before the socket is bound
            api = Api(port, token)
            api.call("POST", "/sensor/configure", {
                "type": "reed_switch", "gpio": PIN, "enabled": True, "hold_seconds": 0,
                "calibration": {"bounce_time": 0.01}})
            api.call("POST", "/bench/edge")  # the door closes: the pull-up left it open
            print(f"{'clients':>7} {'edges':>5} {'lost':>4} {'p50 ms':>7} {'p99 ms':>7} "
                  f"{'max ms':>7} {'publish':>8} {'req p50':>8} {'req p99':>8} {'req max':>8} "
                  f"{'cpu/edge':>8}")
            for round_no, clients in enumerate(client_counts):
                procs = 1 if clients < 20 else min(4, os.cpu_count() or 2)
                r = run_round(port, token, api, clients, edges, spacing, procs, round_no,
                              server.pid)
                print(f"{r['clients']:>7} {r['edges']:>5} {r['lost']:>4} {r['p50']:>7.2f} "
                      f"{r['p99']:>7.2f} {r['max']:>7.2f} {r['publish_p50']:>8.3f} "
                      f"{r['request_p50']:>8.2f} {r['request_p99']:>8.2f} "
                      f"{r['request_max']:>8.2f} {r['cpu_per_edge']:>8.2f}", flush=True)
        finally:
            server.terminate()
            server.wait(10)
    print("latency: pin flipped in the server -> sensor_state frame read by a client; "
          "publish: pin flipped -> event published on the bus (p50); "
          "req: the POST that flipped the pin, round trip at the driver; "
          "cpu/edge: server CPU ms per edge (all its threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=100)
    parser.add_argument("--clients", default="1,50,200")
    parser.add_argument("--spacing", type=float, default=0.25,
                        help="seconds between edges (longer than one fan-out)")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATA_DIR"))
    parser.add_argument("--readers", type=int)
    parser.add_argument("--port", type=int)
    parser.add_argument("--token")
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
    elif args.readers:
        readers(args.port, args.token, args.readers)
    else:
        drive(args.edges, [int(c) for c in args.clients.split(",")], args.spacing)


if __name__ == "__main__":
    main()
