"""POST /bt/discoverable (and /bluetooth/discoverable): wait for a phone to pair.

The bluez5 template cannot start an incoming pairing, so the test plays that part of
bluetoothd: it asks the plugin's agent to confirm the passkey over D-Bus, as BlueZ
would, then marks the new device paired with the template's own AddDevice/PairDevice.
"""

import threading

import dbus
import pytest
from conftest import PHONE, TABLET
from seccam_presence_bt.agent import AGENT_PATH
from seccam_presence_bt.monitor import MONITOR

from seccam_core.testing import wait_until


def discoverable_in_background(client, path="/bt/discoverable", **body):
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=client.post(path, json=body)))
    thread.start()
    return thread, result


def ask_agent(bluez, server, method, *args):
    """Call the plugin's pairing agent as bluetoothd does."""
    name = server.seccam.require(MONITOR).client.unique_name
    agent = dbus.Interface(bluez.bus.get_object(name, AGENT_PATH), "org.bluez.Agent1")
    return getattr(agent, method)(*args)


def test_a_phone_that_pairs_is_trusted_and_tracked(bluez, start_server):
    bluez.add_adapter()
    server = start_server()
    events = server.events()
    client = server.client()
    thread, result = discoverable_in_background(client, timeout=20)
    wait_until(lambda: bluez.adapter()["Discoverable"], what="adapter discoverable")
    assert bluez.adapter()["Pairable"] is True
    registered = [args for name, args in bluez.calls("/org/bluez") if name == "RegisterAgent"]
    assert registered == [[AGENT_PATH, "NoInputNoOutput"]]

    # bluetoothd asks the agent to confirm the passkey the phone shows: accepted.
    ask_agent(bluez, server, "RequestConfirmation",
              dbus.ObjectPath(bluez.device_path(PHONE)), dbus.UInt32(123456))
    bluez.add_device(PHONE, "Anna's phone")
    bluez.pair_device(PHONE)
    thread.join(30)

    assert result["r"].status_code == 200, result["r"].text
    assert result["r"].json() == {"device": {"address": PHONE, "name": "Anna's phone"}}
    assert bluez.device(PHONE)["Trusted"] is True
    assert bluez.adapter()["Discoverable"] is False
    assert client.get("/devices/status").json() == {"bt": {PHONE: True}}
    events.wait_for("presence_state", lambda d: d["someone_home"])
    assert server.call(server.seccam.someone_home) is True
    assert "UnregisterAgent" in [name for name, _ in bluez.calls("/org/bluez")]
    with pytest.raises(dbus.exceptions.DBusException):  # no agent outside the window
        ask_agent(bluez, server, "RequestAuthorization",
                  dbus.ObjectPath(bluez.device_path(PHONE)))


def test_nobody_pairing_in_time_is_a_408(bluez, start_server):
    bluez.add_adapter()
    server = start_server()

    response = server.client().post("/bluetooth/discoverable", json={"timeout": 1})

    assert response.status_code == 408
    assert response.json() == {"error": "no device paired within 1 s"}
    assert bluez.adapter()["Discoverable"] is False
    assert "UnregisterAgent" in [name for name, _ in bluez.calls("/org/bluez")]
    assert server.client().get("/devices/status").json() == {"bt": {}}


def test_a_second_pairing_while_one_waits_is_refused(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server()
    client = server.client()
    thread, result = discoverable_in_background(client, timeout=30)
    wait_until(lambda: bluez.adapter()["Discoverable"], what="adapter discoverable")

    second = client.post("/bt/discoverable", json={"timeout": 5})
    add = client.post("/devices/bt/add", json={"address": PHONE})
    bluez.add_device(TABLET, "Tablet")  # ends the first window
    bluez.pair_device(TABLET)
    thread.join(30)

    assert second.status_code == 409
    assert add.status_code == 409
    assert "pairing" in second.json()["error"]
    assert result["r"].json() == {"device": {"address": TABLET, "name": "Tablet"}}
    assert client.get("/devices/status").json() == {"bt": {TABLET: True}}


def test_timeout_is_validated(bluez, start_server):
    bluez.add_adapter()
    client = start_server().client()
    for body in ({"timeout": "soon"}, {"timeout": 0}, {"timeout": 100000}, {"other": 1}):
        response = client.post("/bt/discoverable", json=body)
        assert response.status_code == 400, body
    assert not bluez.adapter()["Discoverable"]
