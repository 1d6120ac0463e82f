"""Eight mock sensors triggering at random: trigger to ``sensor_state`` at an SSE client.

    python bench/arming_bench.py [--seconds 300] [--sensors 8] [--rate 1.5]

Two rounds in one run, each on a fresh server for ``--seconds``: the **reference** (one
mock sensor, the seed's single-sensor case) and the **subject** (``--sensors`` mock
sensors). In each round the driver pulses a random idle sensor ``--rate`` times a
second on average (random gaps): a trigger, and its release 0.05-0.5 s later. The edge
is made *inside the server* by a bench hook (the mock sensor's ``emit``; the
production path from there on: ``call_soon_threadsafe``, controller, bus, SSE queue,
hypercorn). A raw-socket SSE client in its own process notes when each
``sensor_state`` frame arrives.

Reported per round: edges, ``sensor_state`` frames lost (an edge whose event never
reached the client), latency p50/p99/max (edge in the server -> frame read by the
client, both on the machine's monotonic clock), incidents (requests that opened one),
recordings started by the stand-in recorder (must equal incidents: one recording per
incident), joins (a sensor joining a running incident), and the server's RSS at the
start, middle and end of the round (flat: the end within a few MB of the middle).

The recorder is ``StandInRecorder`` (no camera: ffmpeg's cost is
``bench/media_bench.py``'s subject). Needs ``seccam-core`` and ``seccam-sensor-mock``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sensor_latency import (  # the sibling bench's HTTP and SSE plumbing
    Api,
    free_port,
    now,
    percentile,
    read_stream,
    wait_for_port,
)

HOLD_SECONDS = 0.5


class KeptApi(Api):
    """:class:`Api` that reconnects once when the server closed the idle keep-alive."""

    def call(self, method: str, path: str, body: Any = None) -> tuple[Any, float]:
        try:
            return super().call(method, path, body)
        except (BrokenPipeError, ConnectionError, http.client.HTTPException):
            self.connection.close()
            return super().call(method, path, body)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- the server process -----------------------------------------------------------------


def serve(port: int, data_dir: str) -> None:
    """The app with the mock sensor plugin, a stand-in recorder and the bench hook."""
    import logging

    import seccam_sensor_mock
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config as HypercornConfig
    from quart import Blueprint, request

    from seccam_core import hookimpl
    from seccam_core.app import create_app, seccam_of
    from seccam_core.runtime import Config
    from seccam_core.testing import StandInRecorder

    class CountingRecorder(StandInRecorder):
        """The stand-in recorder, counting the recordings it starts."""

        def __init__(self) -> None:
            super().__init__()
            self.started = 0

        async def _run(self, event: Any, ctx: Any) -> None:
            if event.data.get("active") and not self.recording:
                self.started += 1
            await super()._run(event, ctx)
            self.requests.clear()  # keep memory flat over a long run

    recorder = CountingRecorder()

    class BenchHook:
        """Fires a mock sensor's edge in the server; pairs each edge with its event."""

        seccam_plugin_name = "bench_hook"

        def __init__(self) -> None:
            self.seccam: Any = None
            self.pending: dict[str, float] = {}
            self.edges: list[dict[str, Any]] = []
            self.opened = 0
            self.joined = 0

        @hookimpl
        def seccam_register_routes(self, seccam: Any) -> list[Blueprint]:
            blueprint = Blueprint("bench", __name__)

            @blueprint.post("/bench/edge")
            async def edge() -> dict[str, Any]:
                """Fire one edge of one mock sensor."""
                body = await request.get_json()
                live = seccam.sensors.live_sensor_of(body["sensor_id"])
                self.pending[body["sensor_id"]] = now()
                (live.trigger if body["edge"] == "trigger" else live.release)()
                return {}

            @blueprint.get("/bench/edges")
            async def edges() -> dict[str, Any]:
                """Every edge with its event id, and the recording counts."""
                return {"edges": self.edges, "started": recorder.started,
                        "opened": self.opened, "joined": self.joined}

            return [blueprint]

        @hookimpl
        def seccam_startup(self, seccam: Any) -> None:
            seccam.bus.add_listener(self._on_event)

        def _on_event(self, event: Any) -> None:
            if event.type == "sensor_state":
                edge_at = self.pending.pop(event.data.get("sensor_id"), None)
                if edge_at is not None:
                    self.edges.append({"id": event.id, "edge_at": edge_at,
                                       "published_at": now()})
            elif event.type == "recording_request" and event.data.get("active"):
                if len(event.data.get("sensors") or ()) == 1:
                    self.opened += 1
                else:
                    self.joined += 1

    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    app = create_app(Config(data_dir=Path(data_dir),
                            plugins=(seccam_sensor_mock, recorder, BenchHook()),
                            entry_points=False, disabled_plugins=frozenset({"builtin.media"}),
                            safe_mode=False))
    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None

    @app.before_serving
    async def announce() -> None:
        print(json.dumps({"token": seccam_of(app).auth.token}), flush=True)

    logging.getLogger("seccam").setLevel(logging.WARNING)
    asyncio.run(hypercorn_serve(app, config))  # type: ignore[arg-type]


def reader(port: int, token: str, seconds: float) -> None:
    """One SSE client: print CONNECTED, then every sensor_state arrival at the sentinel."""

    async def main() -> None:
        connected = asyncio.Event()
        arrivals: dict[int, float] = {}
        task = asyncio.create_task(read_stream(port, token, arrivals, connected, [0], 1))
        await asyncio.wait_for(connected.wait(), 60)
        print("CONNECTED", flush=True)
        await asyncio.wait_for(task, seconds + 120)
        print(json.dumps({str(k): v for k, v in arrivals.items()}), flush=True)

    asyncio.run(main())


# --- the driver -------------------------------------------------------------------------


def run_round(sensors: int, seconds: float, rate: float, seed: int) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="seccam-arming-bench-") as data_dir:
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), data_dir],
                                  stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"})
        try:
            assert server.stdout is not None
            token = json.loads(server.stdout.readline())["token"]
            wait_for_port(port)
            api = KeptApi(port, token)
            api.call("POST", "/sensor/configure", {"type": "mock", "hold_seconds": HOLD_SECONDS})
            ids = ["reed-switch"]
            for number in range(1, sensors):
                body = {"type": "mock", "id": f"mock-{number}", "hold_seconds": HOLD_SECONDS}
                api.connection.request("POST", "/sensors", body=json.dumps(body),
                                       headers=api.headers)
                answer = api.connection.getresponse()
                answer.read()
                if answer.status != 201:
                    raise RuntimeError(f"POST /sensors: {answer.status}")
                ids.append(body["id"])
            client = subprocess.Popen([sys.executable, __file__, "--reader", str(port), token,
                                       str(seconds)], stdout=subprocess.PIPE, text=True)
            assert client.stdout is not None
            if client.stdout.readline().strip() != "CONNECTED":
                raise RuntimeError("the SSE client did not connect")
            api = KeptApi(port, token)
            rng = random.Random(seed)
            releases: dict[str, float] = {}  # triggered sensors and when they release
            rss = [rss_kb(server.pid)]
            started = now()
            next_sample, next_trigger = started + seconds / 2, started
            while now() - started < seconds or releases:
                due = min(releases.items(), key=lambda item: item[1], default=None)
                if due is not None and due[1] <= next_trigger:
                    time.sleep(max(0.0, due[1] - now()))
                    del releases[due[0]]
                    api.call("POST", "/bench/edge", {"sensor_id": due[0], "edge": "release"})
                    continue
                if now() - started >= seconds:
                    next_trigger = float("inf")
                    continue
                time.sleep(max(0.0, next_trigger - now()))
                idle = [i for i in ids if i not in releases]
                if idle:  # a pulse: triggered now, released 0.05-0.5 s later
                    sensor_id = rng.choice(idle)
                    api.call("POST", "/bench/edge", {"sensor_id": sensor_id, "edge": "trigger"})
                    releases[sensor_id] = now() + rng.uniform(0.05, 0.5)
                next_trigger = now() + rng.expovariate(rate)
                if now() >= next_sample:
                    rss.append(rss_kb(server.pid))
                    next_sample = float("inf")
            time.sleep(HOLD_SECONDS + 0.5)  # every hold ends: the last incident closes
            rss.append(rss_kb(server.pid))
            api.call("POST", "/settings", {"Api": {"cors_origins": ["http://bench-end"]}})
            out, _ = client.communicate(timeout=seconds + 180)
            arrivals = json.loads(out.strip().splitlines()[-1])
            stats = api.call("GET", "/bench/edges")[0]
        finally:
            server.terminate()
            server.wait(10)
    latencies, lost = [], 0
    for edge in stats["edges"]:
        arrived = arrivals.get(str(edge["id"]))
        if arrived is None:
            lost += 1
        else:
            latencies.append((arrived - edge["edge_at"]) * 1000)
    return {"sensors": sensors, "edges": len(stats["edges"]), "lost": lost,
            "p50": statistics.median(latencies), "p99": percentile(latencies, 0.99),
            "max": max(latencies), "incidents": stats["opened"], "joins": stats["joined"],
            "recordings": stats["started"], "rss_mb": [round(kb / 1024, 1) for kb in rss]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--sensors", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1.5,
                        help="trigger pulses per second (mean; each released 0.05-0.5 s later)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATA_DIR"))
    parser.add_argument("--reader", nargs=3, metavar=("PORT", "TOKEN", "SECONDS"))
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    if args.reader:
        reader(int(args.reader[0]), args.reader[1], float(args.reader[2]))
        return
    print(f"{'round':>9} {'sensors':>7} {'edges':>5} {'lost':>4} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'incid.':>6} {'joins':>5} {'recs':>5}  rss MB (start, mid, end)")
    failed = False
    for name, count in (("reference", 1), ("subject", args.sensors)):
        r = run_round(count, args.seconds, args.rate, args.seed)
        print(f"{name:>9} {r['sensors']:>7} {r['edges']:>5} {r['lost']:>4} {r['p50']:>7.2f} "
              f"{r['p99']:>7.2f} {r['max']:>7.2f} {r['incidents']:>6} {r['joins']:>5} "
              f"{r['recordings']:>5}  {r['rss_mb']}", flush=True)
        failed |= r["lost"] > 0 or r["recordings"] != r["incidents"]
    print("latency: mock edge fired in the server -> sensor_state frame read by an SSE "
          "client; incid.: recording requests that opened an incident; recs: recordings "
          "the recorder started (one per incident); joins: sensors joining a running one")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
