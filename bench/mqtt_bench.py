"""The MQTT action against a real mosquitto on loopback: trigger latency and outages.

    python bench/mqtt_bench.py [--triggers 100] [--cycles 10] [--outage 30]

Needs ``seccam-core[testing]``, ``seccam-action-mqtt``, ``seccam-sensor-mock`` and
Debian's ``mosquitto``. The camera is the real app under hypercorn on a loopback port,
in a process of its own (so the measuring side's threads do not share its GIL); a paho
subscriber in this process sees what Home Assistant would.

1. **Trigger to ``ON``**: ``POST /sensor/mock/trigger`` to the binary_sensor's ``ON`` at
   the subscriber, p50/p99 over ``--triggers`` triggers (target p99 < 50 ms). Reference
   in the same run: a plain publish from another paho client to the same subscriber
   through the same broker (the broker's own floor).
2. **Outages**: the broker is stopped for ``--outage`` seconds while the sensor keeps
   triggering, then started again (without persistence: every retained message is
   gone). Measured: broker listening again to ``online`` at a fresh subscriber, and to
   every state (discovery, sensor, recording) republished (target < 5 s); this
   camera process's RSS after each of ``--cycles`` cycles (target: flat). Reference: the fresh
   subscriber's own connect time.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho

from seccam_core.testing import free_port, wait_until

DEVICE = "bench"
ROOT = f"seccam/{DEVICE}"
DISCOVERY = f"homeassistant/device/seccam_{DEVICE}/config"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Broker:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\npersistence false\n"
                               "allow_anonymous true\nuser root\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            return True

        wait_until(listening, 10, "mosquitto listening", interval=0.005)
        return time.monotonic()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


class Subscriber:
    def __init__(self, port: int, topics: str = "#") -> None:
        self.seen: dict[str, list[tuple[float, bytes]]] = {}
        self.lock = threading.Condition()
        self.connected_at = 0.0
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"bench-{free_port()}")
        self.client.on_connect = lambda c, *_: (c.subscribe(topics, 1), self._connected())
        self.client.on_message = self._message
        started = time.monotonic()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        with self.lock:
            self.lock.wait_for(lambda: self.connected_at, 10)
        self.connect_seconds = self.connected_at - started

    def _connected(self) -> None:
        with self.lock:
            self.connected_at = time.monotonic()
            self.lock.notify_all()

    def _message(self, client: Any, userdata: Any, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.seen.setdefault(message.topic, []).append((time.monotonic(), message.payload))
            self.lock.notify_all()

    def wait(self, topic: str, payload: bytes | None, after: float, timeout: float = 30) -> float:
        """The arrival time of the first ``payload`` on ``topic`` after ``after``."""
        def found() -> float | None:
            for at, data in self.seen.get(topic, []):
                if at >= after and (payload is None or data == payload):
                    return at
            return None

        with self.lock:
            if not self.lock.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"{topic} {payload!r}")
            return found()  # type: ignore[return-value]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Camera:
    """The app with the mqtt action and the mock sensor, in a process of its own."""

    def __init__(self, data: Path) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", str(data)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        url, token = self.process.stdout.readline().split()
        self.pid = self.process.pid
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(30)


def serve(data: Path) -> None:
    """The camera process: serve until SIGTERM."""
    import signal

    import seccam_action_mqtt
    import seccam_sensor_mock

    from seccam_core.testing import LiveServer, make_app

    server = LiveServer(make_app(data, seccam_action_mqtt, seccam_sensor_mock))
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(server.url, server.token, flush=True)
    stop.wait()
    server.stop()


def trigger_latency(server: Camera, broker: Broker, count: int) -> dict[str, Any]:
    http = server.http
    subscriber = Subscriber(broker.port, f"{ROOT}/sensor/mock/state")
    subscriber.wait(f"{ROOT}/sensor/mock/state", b"OFF", 0)
    latencies = []
    for _ in range(count):
        start = time.monotonic()
        http.post("/sensor/mock/trigger").raise_for_status()
        latencies.append(subscriber.wait(f"{ROOT}/sensor/mock/state", b"ON", start) - start)
        released = time.monotonic()
        http.post("/sensor/mock/release").raise_for_status()
        subscriber.wait(f"{ROOT}/sensor/mock/state", b"OFF", released)
    subscriber.close()
    # Reference: a plain publish through the same broker to a subscriber.
    reference_sub = Subscriber(broker.port, "bench/reference")
    publisher = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    reference = []
    for index in range(count):
        start = time.monotonic()
        publisher.publish("bench/reference", str(index).encode(), qos=1)
        reference.append(reference_sub.wait("bench/reference", str(index).encode(), start)
                         - start)
    publisher.loop_stop()
    publisher.disconnect()
    reference_sub.close()
    ms = 1000
    return {"triggers": count,
            "trigger_to_on_ms": {"p50": percentile(latencies, 50) * ms,
                                 "p99": percentile(latencies, 99) * ms,
                                 "max": max(latencies) * ms},
            "reference_plain_publish_ms": {"p50": percentile(reference, 50) * ms,
                                           "p99": percentile(reference, 99) * ms}}


def outages(server: Camera, broker: Broker, cycles: int, outage: float) -> dict[str, Any]:
    http = server.http
    online, republished, connects, rss = [], [], [], [rss_mib(server.pid)]
    for _ in range(cycles):
        broker.stop()
        deadline = time.monotonic() + outage
        while time.monotonic() < deadline:  # activity while the broker is away
            http.post("/sensor/mock/trigger").raise_for_status()
            http.post("/sensor/mock/release").raise_for_status()
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        back = broker.start()
        subscriber = Subscriber(broker.port)
        connects.append(subscriber.connect_seconds)
        online.append(subscriber.wait(f"{ROOT}/availability", b"online", 0) - back)
        states = [subscriber.wait(topic, None, 0) for topic in
                  (DISCOVERY, f"{ROOT}/recording", f"{ROOT}/sensor/mock/state")]
        republished.append(max(states) - back)
        subscriber.close()
        rss.append(rss_mib(server.pid))
    return {"cycles": cycles, "outage_seconds": outage,
            "back_to_online_s": {"median": statistics.median(online), "max": max(online)},
            "back_to_states_republished_s": {"median": statistics.median(republished),
                                             "max": max(republished)},
            "reference_fresh_subscriber_connect_s": statistics.median(connects),
            "rss_mib": {"start": rss[0], "after_each_cycle": [round(r, 1) for r in rss[1:]],
                        "growth": rss[-1] - rss[1] if len(rss) > 2 else 0.0}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as folder:
        broker = Broker(Path(folder))
        broker.start()
        data = Path(folder) / "data"
        data.mkdir()
        (data / "settings.json").write_text(json.dumps({
            "Mqtt": {"enabled": True, "host": "127.0.0.1", "port": broker.port,
                     "device_id": DEVICE},
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.1, "gpio": None}}))
        server = Camera(data)
        try:
            result = {"latency": trigger_latency(server, broker, args.triggers),
                      "outages": outages(server, broker, args.cycles, args.outage)}
        finally:
            server.stop()
            broker.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
