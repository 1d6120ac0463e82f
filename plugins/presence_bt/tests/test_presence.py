"""Presence over time: a tracked phone leaves, the camera arms after the away delay.

The bluez5 template has no notion of radio range. A phone leaving is mocked by
``MockBluez.leave`` (its Device1.Connect fails as BlueZ does after a page timeout);
coming back by the template's own ConnectDevice.
"""

import time
from datetime import datetime

from conftest import PHONE, TABLET

from seccam_core.testing import wait_until

AWAY_AFTER = 1.5


def home_with_phone(bluez, start_server, **settings):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server(**{"away_after_seconds": AWAY_AFTER, **settings})
    events = server.events()
    client = server.client()
    assert client.post("/devices/bt/add", json={"address": PHONE}).status_code == 200
    events.wait_for("presence_state", lambda d: d["someone_home"])
    return server, events, client


def test_a_phone_in_range_keeps_being_seen(bluez, start_server):
    """Polls probe the paired phone with Device1.Connect and close the link again."""
    server, _, client = home_with_phone(bluez, start_server)
    first = client.get("/bt/devices").json()["devices"][0]["last_seen"]
    wait_until(lambda: client.get("/bt/devices").json()["devices"][0]["last_seen"] != first,
               what="a later poll sees the phone")
    assert server.call(server.seccam.someone_home) is True
    device_calls = [name for name, _ in bluez.calls(bluez.device_path(PHONE))]
    assert "Connect" in device_calls and "Disconnect" in device_calls
    assert bluez.device(PHONE)["Connected"] is False


def test_leaving_arms_only_after_the_away_delay(bluez, start_server):
    server, events, client = home_with_phone(bluez, start_server)

    bluez.leave(PHONE)
    change = events.wait_for("presence_change", lambda d: not d["online"], timeout=15)
    noticed_at = time.time()
    away = events.wait_for("presence_state", lambda d: not d["someone_home"], timeout=5)

    device = away.data["devices"][0]
    assert device["address"] == PHONE and device["present"] is False
    last_seen = datetime.fromisoformat(device["last_seen"]).timestamp()
    assert noticed_at - last_seen >= AWAY_AFTER, "away before the delay had passed"
    assert server.call(server.seccam.someone_home) is False
    assert client.get("/devices/status").json() == {"bt": {PHONE: False}}
    status = client.get("/bt/devices").json()
    assert status["someone_home"] is False
    assert status["devices"][0]["last_seen"] == device["last_seen"]
    assert change.data == {"address": PHONE, "name": "Phone", "transport": "bluetooth",
                           "online": False}


def test_coming_and_going_quickly_is_never_swallowed(bluez, start_server):
    """ORIGINAL D7: state changes are not held back by any event cool-down."""
    server, events, _ = home_with_phone(bluez, start_server, away_after_seconds=0.5)
    for _ in range(2):
        bluez.leave(PHONE)
        events.wait_for("presence_state", lambda d: not d["someone_home"], timeout=15)
        assert server.call(server.seccam.someone_home) is False
        bluez.come_back(PHONE)
        events.wait_for("presence_state", lambda d: d["someone_home"], timeout=15)
        assert server.call(server.seccam.someone_home) is True


def test_someone_home_while_any_tracked_device_is_present(bluez, start_server):
    server, events, client = home_with_phone(bluez, start_server)
    bluez.add_device(TABLET, "Tablet")
    assert client.post("/devices/bt/add", json={"address": TABLET}).status_code == 200

    bluez.leave(PHONE)
    events.wait_for("presence_change", lambda d: d["address"] == PHONE and not d["online"],
                    timeout=15)

    assert server.call(server.seccam.someone_home) is True
    assert client.get("/devices/status").json() == {"bt": {PHONE: False, TABLET: True}}


def test_nobody_home_until_the_first_poll_and_when_nothing_is_tracked(bluez, start_server):
    bluez.add_adapter()
    server = start_server()
    assert server.call(server.seccam.someone_home) is False
    wait_until(lambda: server.client().get("/bt/devices").json()["last_poll"],
               what="a first poll")
    assert server.call(server.seccam.someone_home) is False
