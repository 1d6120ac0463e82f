"""Adding, listing and removing tracked devices over HTTP, with dbusmock's BlueZ."""

import json

import seccam_presence_bt
from conftest import NO_CAMERA, PHONE, TABLET

from seccam_core.testing import wait_until


def stored_devices(server):
    document = json.loads((server.seccam.data_dir / "settings.json").read_text())
    return document["Presence"]["devices"]


def test_add_pairs_trusts_tracks_and_makes_someone_home(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Anna's phone")
    server = start_server()
    events = server.events()
    client = server.client()

    response = client.post("/devices/bt/add", json={"address": PHONE.lower(), "name": "Anna"})

    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Device added"
    assert response.json()["device"]["address"] == PHONE
    assert response.json()["device"]["present"] is True
    device = bluez.device(PHONE)
    assert device["Paired"] is True
    assert device["Trusted"] is True
    assert stored_devices(server) == [{"address": PHONE, "name": "Anna"}]
    assert client.get("/devices/status").json() == {"bt": {PHONE: True}}
    state = events.wait_for("presence_state", lambda d: d["someone_home"])
    assert state.data["devices"][0]["address"] == PHONE
    assert state.data["devices"][0]["last_seen"]
    assert server.call(server.seccam.someone_home) is True
    agent_calls = [name for name, _ in bluez.calls("/org/bluez")]
    assert "RegisterAgent" in agent_calls and "UnregisterAgent" in agent_calls


def test_adding_twice_in_another_case_tracks_once(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server()
    client = server.client()
    assert client.post("/bluetooth/pair", json={"address": PHONE}).status_code == 200

    again = client.post("/devices/bt/add", json={"address": PHONE.lower()})

    assert again.status_code == 200
    assert again.json()["message"] == "Device already tracked"
    assert stored_devices(server) == [{"address": PHONE, "name": "Phone"}]
    assert [d["address"] for d in client.get("/bt/devices").json()["devices"]] == [PHONE]


def test_an_already_paired_device_is_tracked_without_pairing_again(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    bluez.pair_device(PHONE)
    client = start_server().client()

    assert client.post("/devices/bt/add", json={"address": PHONE}).status_code == 200
    assert "Pair" not in [name for name, _ in bluez.calls(bluez.device_path(PHONE))]
    assert bluez.device(PHONE)["Trusted"] is True


def test_remove_unpairs_and_stops_tracking(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    bluez.add_device(TABLET, "Tablet")
    server = start_server()
    events = server.events()
    client = server.client()
    client.post("/devices/bt/add", json={"address": PHONE})
    client.post("/devices/bt/add", json={"address": TABLET})

    response = client.post("/devices/bt/remove", json={"address": PHONE.lower()})

    assert response.status_code == 200, response.text
    assert response.json()["unpaired"] is True
    assert not bluez.has_device(PHONE)
    assert bluez.has_device(TABLET)
    assert stored_devices(server) == [{"address": TABLET, "name": "Tablet"}]
    assert client.get("/devices/status").json() == {"bt": {TABLET: True}}
    events.wait_for("presence_state", lambda d: [x["address"] for x in d["devices"]] == [TABLET])


def test_removing_the_last_present_device_means_nobody_home(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server()
    client = server.client()
    client.post("/devices/bt/add", json={"address": PHONE})
    assert server.call(server.seccam.someone_home) is True

    client.post("/devices/bt/remove", json={"address": PHONE})

    assert server.call(server.seccam.someone_home) is False


def test_removing_an_unknown_address_is_a_404(bluez, start_server):
    bluez.add_adapter()
    response = start_server().client().post("/devices/bt/remove", json={"address": PHONE})
    assert response.status_code == 404
    assert "address" in response.json()["error"]


def test_adding_a_device_bluez_does_not_know_is_a_404_and_tracks_nothing(bluez, start_server):
    bluez.add_adapter()
    server = start_server()
    response = server.client().post("/devices/bt/add", json={"address": PHONE})
    assert response.status_code == 404
    assert "scan" in response.json()["error"]
    assert stored_devices(server) == []


def test_a_failed_pairing_is_reported_and_tracks_nothing(bluez, start_server):
    """The template always pairs; the phone refusing is mocked by replacing Device1.Pair."""
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    bluez.replace_method(
        bluez.device_path(PHONE), "org.bluez.Device1", "Pair",
        "raise dbus.exceptions.DBusException('Authentication Rejected', "
        "name='org.bluez.Error.AuthenticationRejected')",
    )
    server = start_server()

    response = server.client().post("/devices/bt/add", json={"address": PHONE})

    assert response.status_code == 502
    assert "AuthenticationRejected" in response.json()["error"]
    assert stored_devices(server) == []


def test_bad_addresses_are_rejected_before_anything_runs(bluez, start_server):
    bluez.add_adapter()
    server = start_server()
    client = server.client()
    bad_bodies = [
        {},
        {"address": "nope"},
        {"address": "AA:BB:CC:DD:EE:FF; rm -rf /"},
        {"address": "AA:BB:CC:DD:EE"},
        {"address": 42},
        {"address": PHONE, "name": "x" * 101},
    ]
    for path in ("/devices/bt/add", "/bluetooth/pair", "/devices/bt/remove"):
        for body in bad_bodies:
            if path == "/devices/bt/remove" and "name" in body:
                continue
            response = client.post(path, json=body)
            assert response.status_code == 400, (path, body, response.text)
            error = response.json()["error"]
            assert "address" in error or "name" in error, error
    not_json = client.post("/devices/bt/add", content=b"[1, 2]",
                           headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert "RegisterAgent" not in [name for name, _ in bluez.calls("/org/bluez")]
    assert stored_devices(server) == []


def test_presence_settings_are_validated(bluez, start_server):
    bluez.add_adapter()
    client = start_server().client()
    for patch, field in [
        ({"devices": [{"address": "nope"}]}, "Presence.devices.0.address"),
        ({"away_after_seconds": -1}, "Presence.away_after_seconds"),
        ({"poll_interval_seconds": "often"}, "Presence.poll_interval_seconds"),
    ]:
        response = client.post("/settings", json={"Presence": patch})
        assert response.status_code == 400
        assert response.json()["error"].startswith(field), response.json()


def test_devices_added_through_settings_are_tracked(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    bluez.pair_device(PHONE)
    server = start_server()
    client = server.client()

    response = client.post("/settings", json={"Presence": {"devices": [{"address": PHONE}]}})

    assert response.status_code == 200
    wait_until(lambda: client.get("/devices/status").json() == {"bt": {PHONE: True}},
               what="the phone seen by a poll")


def test_the_original_tracked_devices_are_migrated_and_tracked(bluez, seccam_live_server,
                                                              seccam_data_dir):
    """An original flat settings.json: TARGET_BT_ADDRESSES becomes Presence.devices."""
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    bluez.pair_device(PHONE)
    original = {"TARGET_BT_ADDRESSES": [{"address": PHONE.lower(), "name": "Old phone"},
                                        {"address": TABLET}],
                "TARGET_AP_MAC_ADDRESSES": []}
    (seccam_data_dir / "settings.json").write_text(json.dumps(original))

    client = seccam_live_server(seccam_presence_bt, disabled_plugins=NO_CAMERA).client()

    assert client.get("/settings").json()["Presence"]["devices"] == [
        {"address": PHONE, "name": "Old phone"}, {"address": TABLET, "name": TABLET}]
    wait_until(lambda: client.get("/devices/status").json() == {"bt": {PHONE: True,
                                                                       TABLET: False}},
               what="the migrated phone seen by a poll")
