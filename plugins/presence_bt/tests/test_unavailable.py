"""No adapter, no BlueZ, no system bus: clear 503 JSON errors, and the server keeps serving."""

import pytest
from conftest import PHONE, wait_until

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
