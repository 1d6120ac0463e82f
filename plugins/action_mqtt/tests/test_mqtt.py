"""The mqtt action against a real mosquitto, checked by a subscriber as Home Assistant
would see it: discovery, availability, retained state, commands, incidents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import seccam_action_mqtt
import seccam_sensor_mock
from conftest import DEVICE_ID, DISCOVERY, ROOT, mqtt_details

from seccam_core import SensorType, hookimpl
from seccam_core.testing import wait_until

SCHEMA = json.loads((Path(seccam_action_mqtt.__file__).parent
                     / "discovery.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def discovery_of(subscriber, since=0):
    return subscriber.wait_for(DISCOVERY, lambda p: p != b"", since=since).json()


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "action_mqtt" in names


def test_discovery_validates_and_declares_every_entity(broker, subscriber_factory,
                                                       mqtt_server):
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    payload = discovery_of(subscriber)
    VALIDATOR.validate(payload)
    assert payload["origin"]["name"] == "seccam"
    assert payload["device"]["name"] == "Test camera"
    components = payload["components"]
    platforms = {key: c["platform"] for key, c in components.items()}
    assert platforms == {
        "sensor_mock": "binary_sensor", "sensor_mock_enabled": "switch",
        "recording": "binary_sensor", "someone_home": "binary_sensor",
        "snapshot": "image", "take_snapshot": "button", "manual_recording": "switch",
        "cpu_temperature": "sensor", "storage": "sensor", "health": "sensor",
        "last_incident": "sensor", "alarm": "alarm_control_panel",
    }
    assert components["sensor_mock"]["device_class"] == "motion"
    unique_ids = [c["unique_id"] for c in components.values()]
    assert len(set(unique_ids)) == len(unique_ids)
    assert all(DEVICE_ID in uid for uid in unique_ids)
    assert components["recording"]["default_entity_id"] == (
        f"binary_sensor.seccam_{DEVICE_ID}_recording")
    assert "object_id" not in json.dumps(payload)
    # Retained state: a subscriber arriving later (Home Assistant after its restart)
    # gets every state at once.
    late = subscriber_factory(broker)
    assert late.wait_for(f"{ROOT}/sensor/mock/state", b"OFF").retained
    assert late.wait_for(f"{ROOT}/sensor/mock/enabled", b"ON").retained
    assert late.wait_for(f"{ROOT}/recording", b"OFF").retained
    assert late.wait_for(f"{ROOT}/someone_home", b"OFF").retained
    assert late.wait_for(f"{ROOT}/health").retained
    assert late.wait_for(DISCOVERY).retained
    assert mqtt_details(server)["connected"] is True


def test_unique_ids_are_stable_across_restarts(broker_factory, subscriber_factory,
                                               mqtt_server, seccam_live_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    first = mqtt_server(broker.settings())
    ids = {k: c["unique_id"] for k, c in discovery_of(subscriber)["components"].items()}
    first.stop()
    mark = subscriber.mark()
    mqtt_server(broker.settings(device_name="Renamed"))
    again = discovery_of(subscriber, since=mark)
    assert again["device"]["name"] == "Renamed"
    assert {k: c["unique_id"] for k, c in again["components"].items()} == ids


def test_the_schema_refuses_what_home_assistant_would(broker_factory, subscriber_factory,
                                                      mqtt_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    mqtt_server(broker.settings())
    payload = discovery_of(subscriber)
    broken = json.loads(json.dumps(payload))
    del broken["components"]["recording"]["state_topic"]
    assert not VALIDATOR.is_valid(broken)
    broken = json.loads(json.dumps(payload))
    del broken["origin"]
    assert not VALIDATOR.is_valid(broken)
    broken = json.loads(json.dumps(payload))
    broken["components"]["manual_recording"]["comand_topic"] = "typo"
    assert not VALIDATOR.is_valid(broken)


def test_a_trigger_flips_the_binary_sensor_and_publishes_the_incident(
        broker, subscriber_factory, mqtt_server):
    server = mqtt_server(broker.settings(), media=True)
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/sensor/mock/state", b"OFF")
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1,
               30, "the camera's pre-roll")
    mark = subscriber.mark()
    server.http.post("/sensor/mock/trigger").raise_for_status()
    subscriber.wait_for(f"{ROOT}/sensor/mock/state", b"ON", since=mark)
    server.http.post("/sensor/mock/release").raise_for_status()
    subscriber.wait_for(f"{ROOT}/sensor/mock/state", b"OFF", since=mark)
    new = subscriber.wait_for(f"{ROOT}/incidents",
                              lambda p: json.loads(p)["type"] == "new", since=mark)
    end = subscriber.wait_for(f"{ROOT}/incidents",
                              lambda p: json.loads(p)["type"] == "end", since=mark, timeout=30)
    assert end.json()["clip"].endswith(".mp4")
    # The incident's snapshot is the image entity's picture.
    subscriber.wait_for(f"{ROOT}/snapshot", lambda p: p.startswith(b"\xff\xd8"), since=mark)
    assert not new.retained
    assert new.json()["id"] == end.json()["id"]
    assert new.json()["sensor_type"] == "mock"
    last = subscriber.wait_for(f"{ROOT}/last_incident", since=mark)
    assert last.payload.decode() == new.json()["started_at"]


def camera_on_a_broker(broker_factory, subscriber_factory, mqtt_server):
    """A camera with video, connected, its manual recording switch reported OFF."""
    broker = broker_factory()
    server = mqtt_server(broker.settings(), media=True)
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/manual_recording", b"OFF")
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1,
               30, "the camera's pre-roll")
    return server, subscriber


def test_commands_toggle_recording_and_take_a_snapshot(broker_factory, subscriber_factory,
                                                       mqtt_server):
    server, subscriber = camera_on_a_broker(broker_factory, subscriber_factory, mqtt_server)
    subscriber.publish(f"{ROOT}/manual_recording/set", b"ON")
    subscriber.wait_for(f"{ROOT}/manual_recording", b"ON", timeout=30)
    subscriber.wait_for(f"{ROOT}/recording", b"ON")
    assert server.http.get("/recording_status").json()["recording"] is True
    subscriber.publish(f"{ROOT}/manual_recording/set", b"OFF")
    subscriber.wait_for(f"{ROOT}/recording", b"OFF", timeout=30)
    assert server.http.get("/recording_status").json()["recording"] is False

    subscriber.publish(f"{ROOT}/snapshot/set", b"PRESS")
    image = subscriber.wait_for(f"{ROOT}/snapshot", lambda p: p.startswith(b"\xff\xd8"),
                                timeout=30)
    assert image.payload.endswith(b"\xff\xd9")
    snapshots = server.http.get("/snapshots").json()
    assert len(snapshots["snapshots"] if isinstance(snapshots, dict) else snapshots) == 1


def test_quick_repeated_commands_are_acted_on_one_at_a_time(broker_factory,
                                                           subscriber_factory, mqtt_server):
    """Home Assistant may send ON twice in a row (a double tap, a retry): five ONs then
    three OFFs, sent back to back, start one recording and stop it once, never toggling
    it on and off in between. (Two guards hold this: the bridge's command lock, and the
    recorder taking its new state before its first await.)"""
    server, subscriber = camera_on_a_broker(broker_factory, subscriber_factory, mqtt_server)
    states: list[bool] = []

    def note(event):
        if event.type == "recording_state":
            states.append(event.data["recording"])

    server.call(lambda: server.seccam.bus.add_listener(note))
    events = server.events()
    for payload in [b"ON"] * 5 + [b"OFF"] * 3:
        subscriber.publish(f"{ROOT}/manual_recording/set", payload)
    events.wait_for("archive_updated", lambda d: d["type"] == "recording", timeout=60)
    wait_until(lambda: mqtt_details(server)["commands"] == 8, 10, "eight commands taken")
    subscriber.wait_for(f"{ROOT}/recording", b"OFF", timeout=30)
    assert server.http.get("/recording_status").json()["recording"] is False
    assert server.call(lambda: list(states)) == [True, False]
    assert server.http.get("/archive/count").json() == {"count": 1}


def test_the_sensor_switch_disables_and_enables_the_sensor(broker_factory, subscriber_factory,
                                                           mqtt_server):
    broker = broker_factory()
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/sensor/mock/enabled", b"ON")
    subscriber.publish(f"{ROOT}/sensor/mock/enabled/set", b"OFF")
    subscriber.wait_for(f"{ROOT}/sensor/mock/enabled", b"OFF")
    assert server.http.get("/sensor/status").json()["enabled"] is False
    subscriber.publish(f"{ROOT}/sensor/mock/enabled/set", b"ON")
    subscriber.wait_for(f"{ROOT}/sensor/mock/enabled", b"ON", since=subscriber.mark() - 1)
    wait_until(lambda: server.http.get("/sensor/status").json()["enabled"], 10,
               "the sensor enabled again")


def test_a_retained_command_is_ignored(broker_factory, subscriber_factory, mqtt_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    # Left on the broker by someone else's mistake, before the camera connects.
    subscriber.publish(f"{ROOT}/sensor/mock/enabled/set", b"OFF", retain=True)
    server = mqtt_server(broker.settings())
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    wait_until(lambda: mqtt_details(server)["ignored_retained"] == 1, 10,
               "the retained command counted as ignored")
    assert server.http.get("/sensor/status").json()["enabled"] is True
    assert subscriber.latest(f"{ROOT}/sensor/mock/enabled").payload == b"ON"
    # The same command sent live is acted on.
    subscriber.publish(f"{ROOT}/sensor/mock/enabled/set", b"OFF")
    subscriber.wait_for(f"{ROOT}/sensor/mock/enabled", b"OFF")


def test_home_assistants_birth_message_republishes_discovery(broker_factory,
                                                             subscriber_factory, mqtt_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    mqtt_server(broker.settings())
    discovery_of(subscriber)
    subscriber.wait_for(f"{ROOT}/recording", b"OFF")
    mark = subscriber.mark()
    subscriber.publish("homeassistant/status", b"online")
    again = discovery_of(subscriber, since=mark)
    VALIDATOR.validate(again)
    subscriber.wait_for(f"{ROOT}/recording", b"OFF", since=mark)
    subscriber.wait_for(f"{ROOT}/sensor/mock/state", b"OFF", since=mark)


def test_disabling_removes_the_device_from_home_assistant(broker_factory, subscriber_factory,
                                                          mqtt_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings())
    discovery_of(subscriber)
    mark = subscriber.mark()
    server.http.post("/settings", json={"Mqtt": {"enabled": False}}).raise_for_status()
    removal = subscriber.wait_for(DISCOVERY, b"", since=mark)
    assert removal.retained is False  # delivered live; the broker now keeps nothing
    subscriber.wait_for(f"{ROOT}/availability", b"offline", since=mark)
    late = subscriber_factory(broker)
    late.wait_for(f"{ROOT}/availability", b"offline")
    assert late.on(DISCOVERY) == []
    assert late.on(f"{ROOT}/recording") == []
    assert mqtt_details(server)["connected"] is False


def test_a_full_queue_drops_the_oldest_and_counts_it(broker_factory, subscriber_factory,
                                                     mqtt_server):
    broker = broker_factory()
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    broker.stop()
    wait_until(lambda: not mqtt_details(server)["connected"], 15, "the link noticed")
    bridge = server.call(lambda: server.seccam.get(seccam_action_mqtt.MQTT))
    bridge.queue_size = 3
    server.http.post("/sensor/mock/trigger").raise_for_status()
    server.http.post("/sensor/mock/release").raise_for_status()
    for _ in range(5):  # each test message is one more message waiting for the broker
        assert server.http.post("/actions/mqtt/test").json()["outcome"] == "sent"
    details = mqtt_details(server)
    assert details["overflow"] == 2  # five messages, room for three
    assert details["queued"] >= 4  # the three, and the sensor's state (never dropped)
    # Back: the current state is sent again, whatever was dropped.
    broker.start()
    late = subscriber_factory(broker)
    late.wait_for(f"{ROOT}/availability", b"online", timeout=20)
    late.wait_for(f"{ROOT}/sensor/mock/state", b"OFF")
    assert late.wait_for(DISCOVERY).payload != b""
    wait_until(lambda: mqtt_details(server)["queued"] == 0, 15, "the waiting messages sent")


@pytest.mark.parametrize("section", [{"base_topic": "a/#"}, {"port": 0},
                                     {"device_id": "no spaces"}, {"discovery_prefix": "/x"}])
def test_bad_settings_are_a_400_naming_the_field(mqtt_server, section):
    server = mqtt_server({"enabled": False})
    answer = server.http.post("/settings", json={"Mqtt": section})
    assert answer.status_code == 400
    assert next(iter(section)) in answer.json()["error"]


def test_the_mqtt_action_cannot_be_snoozed(broker_factory, mqtt_server):
    """State is always sent: a snooze is refused, naming the action, and changes nothing."""
    server = mqtt_server(broker_factory().settings())
    answer = server.http.post("/actions/mqtt/snooze", json={"minutes": 30})
    assert answer.status_code == 400
    assert "mqtt cannot be snoozed" in answer.json()["error"]
    assert server.http.get("/settings").json()["Mqtt"]["enabled"] is True


class DoorSensorPlugin:
    """A second sensor type (the mock's live sensor under another name and device class),
    so the configured sensor's type can change."""

    @hookimpl
    def seccam_sensor_types(self):
        return [SensorType(name="door_test", label="Test door", factory=seccam_sensor_mock.build,
                           uses_gpio=False, device_class="door")]


def test_each_sensor_has_its_entities_and_they_follow_the_sensor_list(
        broker_factory, subscriber_factory, mqtt_server):
    """Adding a sensor adds its binary_sensor and switch; changing its type changes the
    device class; removing it removes its entities and clears its retained states."""
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings(), extra_plugins=(DoorSensorPlugin(),))
    assert "sensor_mock" in discovery_of(subscriber)["components"]
    mark = subscriber.mark()
    server.http.post("/sensors", json={"type": "door_test", "name": "Back door",
                                       "id": "back-door", "gpio": None}).raise_for_status()
    payload = subscriber.wait_for(
        DISCOVERY, lambda p: p != b"" and "sensor_back_door" in json.loads(p)["components"],
        since=mark).json()
    VALIDATOR.validate(payload)
    door = payload["components"]["sensor_back_door"]
    assert (door["name"], door["device_class"]) == ("Back door", "door")
    assert door["state_topic"] == f"{ROOT}/sensor/back-door/state"
    assert door["default_entity_id"] == f"binary_sensor.seccam_{DEVICE_ID}_sensor_back_door"
    assert "sensor_mock" in payload["components"]  # the first sensor is still there
    subscriber.wait_for(f"{ROOT}/sensor/back-door/state", b"OFF", since=mark)

    # Triggering one sensor flips its own binary_sensor only.
    mark = subscriber.mark()
    server.http.post("/sensor/mock/trigger", json={"sensor_id": "back-door"}).raise_for_status()
    subscriber.wait_for(f"{ROOT}/sensor/back-door/state", b"ON", since=mark)
    server.http.post("/sensor/mock/release", json={"sensor_id": "back-door"}).raise_for_status()
    subscriber.wait_for(f"{ROOT}/sensor/back-door/state", b"OFF", since=mark)
    assert not subscriber.on(f"{ROOT}/sensor/mock/state", since=mark)

    # Its switch disables that sensor alone.
    subscriber.publish(f"{ROOT}/sensor/back-door/enabled/set", b"OFF")
    subscriber.wait_for(f"{ROOT}/sensor/back-door/enabled", b"OFF", since=mark)
    assert server.http.get("/sensors/back-door").json()["enabled"] is False
    assert server.http.get("/sensors/mock").json()["enabled"] is True

    # A rename reaches Home Assistant.
    mark = subscriber.mark()
    server.http.put("/sensors/back-door", json={"name": "Garden door"}).raise_for_status()
    renamed = subscriber.wait_for(
        DISCOVERY, lambda p: p != b"" and json.loads(p)["components"].get(
            "sensor_back_door", {}).get("name") == "Garden door", since=mark).json()
    VALIDATOR.validate(renamed)

    # Removed: its components are sent once with their platform alone, its retained
    # states are cleared, and the next discovery no longer names them.
    mark = subscriber.mark()
    server.http.delete("/sensors/back-door").raise_for_status()
    payload = subscriber.wait_for(
        DISCOVERY, lambda p: p != b"" and len(json.loads(p)["components"].get(
            "sensor_back_door", {"x": 1, "y": 2})) == 1, since=mark).json()
    VALIDATOR.validate(payload)
    assert payload["components"]["sensor_back_door"] == {"platform": "binary_sensor"}
    assert payload["components"]["sensor_back_door_enabled"] == {"platform": "switch"}
    subscriber.wait_for(f"{ROOT}/sensor/back-door/state", b"", since=mark)
    subscriber.wait_for(f"{ROOT}/sensor/back-door/enabled", b"", since=mark)
    mark = subscriber.mark()
    subscriber.publish("homeassistant/status", b"online")
    again = discovery_of(subscriber, since=mark)
    assert "sensor_back_door" not in again["components"]
    assert "sensor_mock" in again["components"]
    late = subscriber_factory(broker)
    late.wait_for(f"{ROOT}/sensor/mock/state", b"OFF")
    assert not late.on(f"{ROOT}/sensor/back-door/state")


def test_a_sensor_whose_type_changes_gets_the_new_device_class(
        broker_factory, subscriber_factory, mqtt_server):
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings(), extra_plugins=(DoorSensorPlugin(),))
    assert discovery_of(subscriber)["components"]["sensor_mock"]["device_class"] == "motion"
    mark = subscriber.mark()
    server.http.post("/sensor/configure", json={"type": "door_test", "enabled": True,
                                                "gpio": None}).raise_for_status()
    payload = subscriber.wait_for(
        DISCOVERY, lambda p: p != b"" and json.loads(p)["components"]["sensor_mock"].get(
            "device_class") == "door", since=mark).json()
    VALIDATOR.validate(payload)
    assert payload["components"]["sensor_mock"]["unique_id"].endswith("_sensor_mock")
