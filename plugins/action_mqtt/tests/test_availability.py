"""Availability as Home Assistant sees it: ``online`` once connected, ``offline`` on a
clean stop, and the broker's last will when the camera dies (SIGKILL of its process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import DISCOVERY, PASSWORD, ROOT, kill, mqtt_details

from seccam_core.testing import wait_until

HERE = Path(__file__).parent


def start_camera_process(data_dir: Path, mqtt: dict) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text(json.dumps({
        "Mqtt": mqtt,
        "Sensor": {"type": "mock", "enabled": True, "hold_seconds": 0.3, "gpio": None}}))
    process = subprocess.Popen([sys.executable, str(HERE / "camera_process.py"), str(data_dir)],
                               stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return process


def test_online_when_connected_offline_on_a_clean_stop(broker, subscriber_factory,
                                                       mqtt_server):
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings())
    online = subscriber.wait_for(f"{ROOT}/availability", b"online")
    assert not online.retained  # live: it came after we subscribed
    mark = subscriber.mark()
    server.stop()
    subscriber.wait_for(f"{ROOT}/availability", b"offline", since=mark)
    # Retained: Home Assistant starting later still sees the camera offline.
    late = subscriber_factory(broker)
    assert late.wait_for(f"{ROOT}/availability", b"offline").retained
    assert late.wait_for(DISCOVERY).payload != b""  # a clean stop keeps the device


def test_the_last_will_says_offline_when_the_camera_is_killed(broker, subscriber_factory,
                                                              tmp_path):
    subscriber = subscriber_factory(broker)
    process = start_camera_process(tmp_path / "camera", broker.settings())
    try:
        subscriber.wait_for(f"{ROOT}/availability", b"online", timeout=30)
        mark = subscriber.mark()
        kill(process)
        will = subscriber.wait_for(f"{ROOT}/availability", b"offline", since=mark)
        assert will.payload == b"offline"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_it_comes_back_after_the_broker_restarts(broker, subscriber_factory, mqtt_server):
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    broker.stop()
    wait_until(lambda: not mqtt_details(server)["connected"], 15, "the link noticed")
    assert mqtt_details(server)["last_error"]
    broker.start()  # without persistence: every retained message is gone
    late = subscriber_factory(broker)
    late.wait_for(f"{ROOT}/availability", b"online", timeout=20)
    late.wait_for(f"{ROOT}/recording", b"OFF")
    late.wait_for(f"{ROOT}/sensor/mock/state", b"OFF")
    late.wait_for(DISCOVERY, lambda p: p != b"")
    details = mqtt_details(server)
    assert details["connected"] is True and details["connects"] == 2
    assert PASSWORD not in json.dumps(details)
