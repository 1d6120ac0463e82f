"""A real mosquitto on a free loopback port, a subscriber that sees what Home Assistant
would, and a live server with the mqtt action and the mock sensor."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
import seccam_action_mqtt
import seccam_sensor_mock

from seccam_core.testing import free_port, wait_until

FAST_CAMERA = {"test_pattern_size": "160x120", "test_pattern_fps": 10, "pre_roll_seconds": 1}
DEVICE_ID = "testcam"
ROOT = f"seccam/{DEVICE_ID}"
DISCOVERY = f"homeassistant/device/seccam_{DEVICE_ID}/config"
USER, PASSWORD = "camera", "s3cret-Broker-Pass"


@dataclass(frozen=True)
class TlsFiles:
    """A CA made for the test and the broker's certificate it signed (for 127.0.0.1)."""

    ca: Path
    certificate: Path
    key: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """With openssl: a CA, then a server certificate for 127.0.0.1 signed by it."""
    assert shutil.which("openssl"), "openssl is needed (.ci/run installs it)"
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "2", "-subj", "/CN=seccam test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.cnf")
    return TlsFiles(folder / "ca.crt", folder / "server.crt", folder / "server.key")


class Broker:
    """Debian's mosquitto on 127.0.0.1, optionally with a password file; no persistence,
    so a restart forgets every retained message (as a broker that lost its disk)."""

    def __init__(self, folder: Path, password: bool, tls: TlsFiles | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.tls_port = free_port() if tls is not None else None
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        # As root, mosquitto would drop to its own user, which cannot read pytest's
        # private temporary folders.
        config = [f"listener {self.port} 127.0.0.1", "persistence false", "user root",
                  f"log_dest file {folder / 'mosquitto.log'}"]
        if password:
            passwords = folder / "passwords"
            subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), USER, PASSWORD],
                           check=True, capture_output=True)
            config += [f"password_file {passwords}", "allow_anonymous false"]
        else:
            config.append("allow_anonymous true")
        if tls is not None:  # a second listener, with TLS; the first stays plain
            config += [f"listener {self.tls_port} 127.0.0.1", f"cafile {tls.ca}",
                       f"certfile {tls.certificate}", f"keyfile {tls.key}"]
        self.config = folder / "mosquitto.conf"
        self.config.write_text("\n".join(config) + "\n")

    def start(self) -> None:
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return False
            return True

        wait_until(listening, 10, "mosquitto listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def settings(self, **extra: Any) -> dict[str, Any]:
        """An enabled ``Mqtt`` section for this broker."""
        section: dict[str, Any] = {"enabled": True, "host": "127.0.0.1", "port": self.port,
                                   "device_id": DEVICE_ID, "device_name": "Test camera"}
        if self.password:
            section.update(username=USER, password=PASSWORD)
        section.update(extra)
        return section


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    assert shutil.which("mosquitto"), "Debian's mosquitto is needed (.ci/run installs it)"
    brokers: list[Broker] = []

    def make(password: bool = False, tls: TlsFiles | None = None) -> Broker:
        folder = tmp_path / f"broker{len(brokers)}"
        folder.mkdir()
        broker = Broker(folder, password, tls)
        broker.start()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        broker.stop()


@pytest.fixture(params=[False, True], ids=["anonymous", "password"])
def broker(request: pytest.FixtureRequest, broker_factory: Callable[..., Broker]) -> Broker:
    """Once without and once with a password file."""
    return broker_factory(password=request.param)


@dataclass
class Seen:
    topic: str
    payload: bytes
    retained: bool
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    """A paho client subscribed to everything, as Home Assistant's MQTT integration is."""

    def __init__(self, broker: Broker) -> None:
        self.messages: list[Seen] = []
        self._lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"test-subscriber-{free_port()}")
        if broker.password:
            self.client.username_pw_set(USER, PASSWORD)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._connected = threading.Event()
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect("127.0.0.1", broker.port, keepalive=10)
        self.client.loop_start()
        assert self._connected.wait(10), "the test subscriber could not connect"

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        client.subscribe("#", qos=1)
        self._connected.set()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Seen(message.topic, message.payload, bool(message.retain)))

    def on(self, topic: str, since: int = 0) -> list[Seen]:
        with self._lock:
            return [m for m in self.messages[since:] if m.topic == topic]

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def latest(self, topic: str, since: int = 0) -> Seen | None:
        found = self.on(topic, since)
        return found[-1] if found else None

    def wait_for(self, topic: str, payload: bytes | Callable[[bytes], bool] | None = None,
                 since: int = 0, timeout: float = 15) -> Seen:
        def match() -> Seen | None:
            for message in reversed(self.on(topic, since)):
                if payload is None or (payload(message.payload) if callable(payload)
                                       else message.payload == payload):
                    return message
            return None

        return wait_until(match, timeout, f"{topic} = {payload!r}")

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def subscriber_factory() -> Iterator[Callable[[Broker], Subscriber]]:
    subscribers: list[Subscriber] = []

    def make(broker: Broker) -> Subscriber:
        subscriber = Subscriber(broker)
        subscribers.append(subscriber)
        return subscriber

    yield make
    for subscriber in subscribers:
        subscriber.close()


@pytest.fixture
def mqtt_server(seccam_live_server, seccam_data_dir):
    """``mqtt_server(mqtt_section, media=False)``: the mqtt action and the mock sensor."""

    def start(mqtt: dict[str, Any], *, media: bool = False, extra_plugins: tuple = (),
              **options: Any):
        document: dict[str, Any] = {
            "Mqtt": mqtt,
            "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.3, "gpio": None},
        }
        if media:
            document["Camera"] = FAST_CAMERA
        (seccam_data_dir / "settings.json").write_text(json.dumps(document))
        server = seccam_live_server(seccam_action_mqtt, seccam_sensor_mock, *extra_plugins,
                                    media=media, **options)
        server.http = server.client()
        return server

    return start


def mqtt_details(server: Any) -> dict[str, Any]:
    """The mqtt action's ``details`` in ``GET /actions``."""
    actions = server.http.get("/actions").json()["actions"]
    return next(a for a in actions if a["name"] == "mqtt")["details"]


def kill(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
