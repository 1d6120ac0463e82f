"""The Bluetooth endpoints answer what the OpenAPI document says they answer.

Each answer comes from the real route over HTTP, against dbusmock's BlueZ on a private
bus (no real adapter here), in a state where its fields are filled, and is validated
against the 200 schema of the document built from the app.
"""

from __future__ import annotations

import threading

from conftest import PHONE, TABLET

from seccam_core.testing import assert_documented, wait_until


def test_scan_add_status_and_remove(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Anna's phone")
    bluez.add_device(TABLET, "Kitchen tablet")
    server = start_server()
    client = server.client()

    for path in ("/bt/scan", "/bluetooth/scan"):
        scanned = assert_documented(server.app, "post", path,
                                    client.post(path, json={"duration": 0.3}))
        assert {d["address"] for d in scanned["devices"]} == {PHONE, TABLET}
        assert all(d["rssi"] is not None for d in scanned["devices"])

    added = assert_documented(server.app, "post", "/devices/bt/add",
                              client.post("/devices/bt/add", json={"address": PHONE}))
    assert added["device"]["last_seen"] is not None
    again = assert_documented(server.app, "post", "/bluetooth/pair",
                              client.post("/bluetooth/pair", json={"address": PHONE}))
    assert again["message"] == "Device already tracked"

    wait_until(lambda: client.get("/bt/devices").json()["last_poll"], what="a poll")
    for path in ("/bt/devices", "/bluetooth/devices"):
        status = assert_documented(server.app, "get", path, client.get(path))
        assert status["adapter"] is not None and status["devices"][0]["present"]
    home = assert_documented(server.app, "get", "/devices/status", client.get("/devices/status"))
    assert home == {"bt": {PHONE: True}}

    removed = assert_documented(server.app, "post", "/devices/bt/remove",
                                client.post("/devices/bt/remove", json={"address": PHONE}))
    assert removed["unpaired"] and removed["was_tracked"]


def test_discoverable_answers_the_device_that_paired(bluez, start_server):
    """The template cannot start an incoming pairing: the test adds and pairs the phone
    itself while the adapter is discoverable, as bluetoothd would report it."""
    bluez.add_adapter()
    server = start_server()
    client = server.client()
    answers = {}
    for path in ("/bt/discoverable", "/bluetooth/discoverable"):
        waiting = threading.Thread(target=lambda p=path: answers.update(
            {p: client.post(p, json={"timeout": 20})}))
        waiting.start()
        wait_until(lambda: bluez.adapter()["Discoverable"], what="adapter discoverable")
        phone = PHONE if path == "/bt/discoverable" else TABLET
        bluez.add_device(phone, "Anna's phone")
        bluez.pair_device(phone)
        waiting.join(30)
        wait_until(lambda: not bluez.adapter()["Discoverable"], what="window closed")

        paired = assert_documented(server.app, "post", path, answers[path])

        assert paired["device"] == {"address": phone, "name": "Anna's phone"}


def test_status_while_there_is_no_adapter(bluez, start_server):
    """The other side of the nullable fields: no adapter, an error, a device never seen."""
    server = start_server(devices=[{"address": PHONE, "name": "Phone"}])
    client = server.client()
    wait_until(lambda: client.get("/bt/devices").json()["error"], what="a poll failing")

    status = assert_documented(server.app, "get", "/bt/devices", client.get("/bt/devices"))

    assert status["adapter"] is None and "adapter" in status["error"]
    assert status["devices"] == [
        {"address": PHONE, "name": "Phone", "present": False, "last_seen": None}]
