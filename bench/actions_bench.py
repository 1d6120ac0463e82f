"""Action plugins under load: push latency, a hanging webhook, a receiver that goes away.

    python bench/actions_bench.py [--incidents 50] [--starts 20] [--outage 20]

Each part runs ``seccam serve`` as a real process (every installed plugin but the
captive portal and presence_bt, the mock sensor configured, a 160x120 test-pattern
camera) with loopback receivers from ``seccam_core.testing`` in this process:

1. **Trigger to the ntfy receiver holding the JPEG**, over ``--incidents`` incidents
   (notify on, no cooldown or cap): the time from ``POST /sensor/mock/trigger`` to the
   receiver having the whole JPEG upload. Reference, same run: ``POST /snapshot`` alone
   (the cost of the JPEG itself).
2. **Trigger to recording start** (``recording_state`` on SSE) on a server with no
   action enabled and on one whose webhook endpoint hangs 30 s (listening to
   ``sensor_state`` and ``incident``), both running, taking turns trigger by trigger:
   the p50 must stay within 10 %.
3. **Receiver down ``--outage`` seconds, then back**: incidents triggered before, during
   and after; every webhook (3 per incident: new, update, end) must arrive exactly once,
   counted by ``webhook-id``.

Needs seccam-core, seccam-sensor-mock, seccam-action-webhook and seccam-action-notify.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from seccam_core.testing import EventReader, LoopbackReceiver, free_port, wait_until

CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10, "pre_roll_seconds": 1}


class Server:
    """``seccam serve`` in its own process, on a fresh data folder."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="seccam-actions-bench-"))
        (self.data / "settings.json").write_text(json.dumps({
            "Camera": CAMERA,
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0, "gpio": None},
            **settings,
        }))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SECCAM_DISABLED_PLUGINS": "captive_portal,presence_bt"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(self.data)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.token = wait_until(self._token, 30, "the token")
        self.http = httpx.Client(base_url=self.url, timeout=30,
                                 headers={"Authorization": f"Bearer {self.token}"})
        wait_until(self._ready, 60, "the camera's pre-roll")

    def _token(self) -> str | None:
        try:
            return json.loads((self.data / "settings.json").read_text())["Auth"]["token"]
        except (OSError, ValueError, KeyError):
            return None

    def _ready(self) -> bool:
        try:
            return self.http.get("/camera/status").json()["buffered_seconds"] >= 1
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def events(self) -> EventReader:
        return EventReader(self.url, self.token)

    def trigger_and_release(self) -> float:
        started = time.monotonic()
        self.http.post("/sensor/mock/trigger").raise_for_status()
        self.http.post("/sensor/mock/release").raise_for_status()
        return started

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def push_latency(incidents: int) -> None:
    ntfy = LoopbackReceiver()
    server = Server({"Notify": {"enabled": True, "cooldown_seconds": 0, "max_per_hour": 0,
                                "ntfy": {"server": ntfy.url, "topic": "bench"}}})
    try:
        reference = []
        for _ in range(10):
            started = time.monotonic()
            server.http.post("/snapshot").raise_for_status()
            reference.append(time.monotonic() - started)
        events = server.events()
        latencies = []
        for number in range(incidents):
            wall = time.time()  # the receiver notes time.time() once it holds the body
            server.http.post("/sensor/mock/trigger").raise_for_status()
            got = ntfy.wait_for(2 * number + 1, timeout=30)[2 * number]
            assert got.method == "PUT" and got.body.startswith(b"\xff\xd8"), got.headers
            latencies.append(got.received_at - wall)
            server.http.post("/sensor/mock/release").raise_for_status()
            events.wait_for("incident", lambda d: d["state"] == "end", timeout=30)
            ntfy.wait_for(2 * number + 2, timeout=30)  # the clip's follow-up
        print(f"1. trigger -> ntfy receiver holding the JPEG, {incidents} incidents: "
              f"p50 {ms(statistics.median(latencies))}, p99 {ms(percentile(latencies, 0.99))}, "
              f"max {ms(max(latencies))}")
        print(f"   reference, POST /snapshot alone (10): p50 {ms(statistics.median(reference))},"
              f" max {ms(max(reference))}")
        events.close()
    finally:
        server.stop()
        ntfy.close()


def recording_start(server: Server, events: EventReader) -> float:
    """One trigger: the time until ``recording_state`` says it records; then release and
    wait for the clip, so the next trigger starts a new recording."""
    started = time.monotonic()
    server.http.post("/sensor/mock/trigger").raise_for_status()
    events.wait_for("recording_state", lambda d: d.get("recording") is True, timeout=30)
    took = time.monotonic() - started
    server.http.post("/sensor/mock/release").raise_for_status()
    events.wait_for("archive_updated", lambda d: d.get("type") == "recording", timeout=30)
    return took


def hanging_webhook(count: int) -> None:
    """Both servers run at once and take turns, so both see the same machine load."""
    receiver = LoopbackReceiver()
    receiver.answer(200, delay=30)
    plain = Server({})
    hanging = Server({"Webhook": {"enabled": True, "endpoints": [
        {"url": receiver.url, "events": ["sensor_state", "incident"]}]}})
    try:
        plain_events, hanging_events = plain.events(), hanging.events()
        without: list[float] = []
        with_hook: list[float] = []
        for turn in range(2 * count):
            if turn % 2:
                with_hook.append(recording_start(hanging, hanging_events))
            else:
                without.append(recording_start(plain, plain_events))
        busy = next(a for a in hanging.http.get("/actions").json()["actions"]
                    if a["name"] == "webhook")
        plain_events.close()
        hanging_events.close()
    finally:
        plain.stop()
        hanging.stop()
        receiver.close()
    ratio = statistics.median(with_hook) / statistics.median(without)
    print(f"2. trigger -> recording start, {count} each, interleaved: no action p50 "
          f"{ms(statistics.median(without))} p99 {ms(percentile(without, 0.99))}; webhook "
          f"hanging 30 s p50 {ms(statistics.median(with_hook))} p99 "
          f"{ms(percentile(with_hook, 0.99))} (p50 ratio {ratio:.2f}; the webhook had "
          f"{busy['queued']} events queued, {busy['dropped']} dropped, state {busy['state']})")


def outage(seconds: float) -> None:
    receiver = LoopbackReceiver()
    server = Server({"Webhook": {"enabled": True, "endpoints": [{"url": receiver.url}]}})
    try:
        events = server.events()
        incidents = 0

        def one() -> None:
            nonlocal incidents
            server.trigger_and_release()
            events.wait_for("incident", lambda d: d["state"] == "end", timeout=30)
            incidents += 1

        for _ in range(3):
            one()
        receiver.down()
        down_at = time.monotonic()
        while time.monotonic() - down_at < seconds:
            one()
        receiver.up()
        for _ in range(3):
            one()
        expected = 3 * incidents
        receiver.wait_for(expected, timeout=180)
        time.sleep(5)  # anything more would be a duplicate: give it the chance to show
        ids = Counter(r.header("webhook-id") for r in receiver.requests)
        duplicates = sum(n - 1 for n in ids.values() if n > 1)
        states = Counter((r.json()["data"]["id"], r.json()["data"]["state"])
                         for r in receiver.requests)
        print(f"3. receiver down {seconds:.0f} s: {incidents} incidents, {expected} webhooks "
              f"expected, {len(ids)} distinct webhook-ids received, {duplicates} duplicates, "
              f"{len(states)} distinct (incident, state); lost {expected - len(ids)}")
        events.close()
    finally:
        server.stop()
        receiver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument("--only", choices=["push", "hang", "outage"])
    args = parser.parse_args()
    if args.only in (None, "push"):
        push_latency(args.incidents)
    if args.only in (None, "hang"):
        hanging_webhook(args.starts)
    if args.only in (None, "outage"):
        outage(args.outage)


if __name__ == "__main__":
    main()
