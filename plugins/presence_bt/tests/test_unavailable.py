"""No adapter, no BlueZ, no system bus: clear 503 JSON errors, and the server keeps serving."""

import socket
import subprocess
import sys

import pytest
from conftest import PHONE

from seccam_core.testing import wait_until

LONG_CALLS = [
    ("/bt/scan", {"duration": 0.2}),
    ("/bt/discoverable", {"timeout": 1}),
    ("/devices/bt/add", {"address": PHONE}),
]


def assert_unavailable(client, hint):
    for path, body in LONG_CALLS:
        response = client.post(path, json=body)
        assert response.status_code == 503, (path, response.text)
        assert hint in response.json()["error"], response.json()


def test_no_adapter(bluez, start_server):
    server = start_server(devices=[{"address": PHONE, "name": "Phone"}])
    client = server.client()
    assert_unavailable(client, "adapter")
    status = wait_until(lambda: client.get("/bt/devices").json()["error"] and
                        client.get("/bt/devices").json(), what="a poll noticing no adapter")
    assert "adapter" in status["error"]
    assert status["someone_home"] is False
    assert server.call(server.seccam.someone_home) is False


def test_bluez_not_running(system_bus, start_server):
    assert_unavailable(start_server().client(), "BlueZ (bluetoothd) is not running")


@pytest.fixture
def no_system_bus(tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-socket")


def test_no_system_bus(no_system_bus, start_server):
    client = start_server().client()
    assert_unavailable(client, "system D-Bus is not reachable")
    assert client.get("/devices/status").status_code == 200


def test_removing_while_bluez_is_down_still_stops_tracking(system_bus, start_server):
    server = start_server(devices=[{"address": PHONE, "name": "Phone"}])
    response = server.client().post("/devices/bt/remove", json={"address": PHONE})
    assert response.status_code == 200
    assert response.json()["unpaired"] is False
    assert server.client().get("/devices/status").json() == {"bt": {}}


def test_status_shows_the_adapter_when_nothing_is_tracked(bluez, start_server):
    bluez.add_adapter(alias="porch-cam")
    client = start_server().client()
    status = wait_until(lambda: client.get("/bt/devices").json()["adapter"] and
                        client.get("/bt/devices").json(), what="a poll reading the adapter")
    assert status["adapter"]["id"] == "hci0"
    assert status["adapter"]["name"] == "porch-cam"
    assert status["error"] is None
    assert status["devices"] == [] and status["someone_home"] is False


def test_bluez_stopping_while_someone_is_home_arms_after_the_away_delay(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server(away_after_seconds=1)
    events = server.events()
    client = server.client()
    assert client.post("/devices/bt/add", json={"address": PHONE}).status_code == 200
    events.wait_for("presence_state", lambda d: d["someone_home"])

    bluez.spawned.terminate()  # bluetoothd stops

    events.wait_for("presence_state", lambda d: not d["someone_home"], timeout=15)
    assert server.call(server.seccam.someone_home) is False
    assert "not running" in client.get("/bt/devices").json()["error"]


def test_serve_with_the_plugin_exits_when_it_cannot_listen(no_system_bus, seccam_data_dir):
    """The poller must end when the server gives up at start (port taken), or
    ``seccam serve`` never exits: a failed D-Bus connect once swallowed the cancellation."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(seccam_data_dir)],
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert "presence_bt" in subprocess.run(
        [sys.executable, "-m", "seccam_core.cli", "plugins"], capture_output=True, text=True,
        check=True).stdout
    assert result.returncode == 1
    assert "cannot serve" in result.stderr
