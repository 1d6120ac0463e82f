"""The arm modes as Home Assistant's alarm panel, against a real mosquitto."""

from __future__ import annotations

import json

from conftest import DISCOVERY, ROOT, mqtt_details
from test_mqtt import VALIDATOR, discovery_of

from seccam_core.testing import wait_until

ALARM = f"{ROOT}/alarm"


def test_the_panel_is_declared_with_the_modes_seccam_has(broker, subscriber_factory,
                                                         mqtt_server):
    mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    panel = discovery_of(subscriber)["components"]["alarm"]
    assert panel["platform"] == "alarm_control_panel"
    assert sorted(panel["supported_features"]) == ["arm_away", "arm_home", "arm_night"]
    assert (panel["state_topic"], panel["command_topic"]) == (ALARM, f"{ALARM}/set")
    # No code: the panel is driven from Home Assistant, which has its own users.
    assert panel["code_arm_required"] is False and panel["code_disarm_required"] is False
    assert "code" not in panel


def test_the_panel_follows_the_arm_mode_set_by_the_api(broker_factory, subscriber_factory,
                                                       mqtt_server):
    broker = broker_factory()
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    start = server.http.get("/arming").json()["mode"]
    expected = {"disarmed": b"disarmed", "home": b"armed_home", "away": b"armed_away",
                "night": b"armed_night"}
    assert subscriber.wait_for(ALARM, expected[start]).retained
    order = ["away", "night", "home", "disarmed"]
    order = order[order.index(start) + 1:] + order[:order.index(start) + 1]
    assert order[-1] == start  # every step changes the mode: each must show
    for mode in order:
        mark = subscriber.mark()
        server.http.post("/arming", json={"mode": mode}).raise_for_status()
        subscriber.wait_for(ALARM, expected[mode], since=mark)
        attributes = subscriber.wait_for(
            f"{ALARM}/attributes", lambda p, mode=mode: json.loads(p)["set_mode"] == mode,
            since=mark).json()
        assert attributes["source"] == "manual"
    # Home Assistant restarting later sees the mode at once (retained).
    late = subscriber_factory(broker)
    assert late.wait_for(ALARM, expected[start]).retained


def test_the_panels_commands_set_the_arm_mode(broker_factory, subscriber_factory,
                                              mqtt_server):
    broker = broker_factory()
    server = mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    server.http.post("/arming", json={"mode": "disarmed"}).raise_for_status()
    subscriber.wait_for(ALARM, b"disarmed")
    for command, mode, state in (("ARM_AWAY", "away", b"armed_away"),
                                 ("ARM_NIGHT", "night", b"armed_night"),
                                 ("ARM_HOME", "home", b"armed_home"),
                                 ("DISARM", "disarmed", b"disarmed")):
        mark = subscriber.mark()
        subscriber.publish(f"{ALARM}/set", command.encode())
        subscriber.wait_for(ALARM, state, since=mark)
        answer = server.http.get("/arming").json()
        assert (answer["mode"], answer["source"]) == (mode, "manual")

    # A payload the panel never sends changes nothing; the next good one still works.
    subscriber.publish(f"{ALARM}/set", b"ARM_VACATION")
    mark = subscriber.mark()
    subscriber.publish(f"{ALARM}/set", b"ARM_AWAY")
    subscriber.wait_for(ALARM, b"armed_away", since=mark)
    assert not [m for m in subscriber.on(ALARM, since=0) if b"vacation" in m.payload]
    assert server.http.get("/arming").json()["mode"] == "away"


def test_a_retained_arm_command_is_ignored(broker_factory, subscriber_factory, mqtt_server):
    """An old ``DISARM`` left retained on the broker must never disarm the camera when it
    (re)connects."""
    broker = broker_factory()
    subscriber = subscriber_factory(broker)
    subscriber.publish(f"{ALARM}/set", b"DISARM", retain=True)
    server = mqtt_server(broker.settings())
    server.http.post("/arming", json={"mode": "away"}).raise_for_status()
    subscriber.wait_for(ALARM, b"armed_away")
    wait_until(lambda: mqtt_details(server)["ignored_retained"] >= 1, 10,
               "the retained command counted as ignored")
    assert server.http.get("/arming").json()["mode"] == "away"


def recording_camera_in(mode, panel_state, broker_factory, subscriber_factory, mqtt_server):
    """A camera that can record (incidents need the recorder), set to ``mode``, and a
    subscriber that has seen the panel show it."""
    broker = broker_factory()
    server = mqtt_server(broker.settings(), media=True)
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1,
               30, "the camera's pre-roll")
    subscriber = subscriber_factory(broker)
    server.http.post("/arming", json={"mode": mode}).raise_for_status()
    subscriber.wait_for(ALARM, panel_state)
    return server, subscriber


def test_an_incident_of_an_armed_sensor_shows_triggered_until_it_ends(
        broker_factory, subscriber_factory, mqtt_server):
    server, subscriber = recording_camera_in(
        "away", b"armed_away", broker_factory, subscriber_factory, mqtt_server)
    mark = subscriber.mark()
    server.http.post("/sensor/mock/trigger").raise_for_status()
    subscriber.wait_for(ALARM, b"triggered", since=mark)
    server.http.post("/sensor/mock/release").raise_for_status()
    # The incident ends after the hold (0.3 s): the panel is armed again.
    end = subscriber.wait_for(f"{ROOT}/incidents", lambda p: json.loads(p)["type"] == "end",
                              since=mark, timeout=30)
    armed = subscriber.wait_for(ALARM, b"armed_away", since=mark)
    # Triggered until the incident's end (sent first), not until the sensor's release.
    assert armed.at >= end.at


def test_a_suppressed_trigger_does_not_trigger_the_panel(broker_factory, subscriber_factory,
                                                         mqtt_server):
    """Disarmed, the door opening is not an alarm: the panel stays ``disarmed``."""
    server, subscriber = recording_camera_in(
        "disarmed", b"disarmed", broker_factory, subscriber_factory, mqtt_server)
    mark = subscriber.mark()
    server.http.post("/sensor/mock/trigger").raise_for_status()
    subscriber.wait_for(f"{ROOT}/sensor/mock/state", b"ON", since=mark)
    server.http.post("/sensor/mock/release").raise_for_status()
    end = subscriber.wait_for(f"{ROOT}/incidents", lambda p: json.loads(p)["type"] == "end",
                              since=mark, timeout=30).json()
    assert end["suppressed"] is True and end["clip"] is None
    assert not subscriber.on(ALARM, since=mark)


def test_discovery_with_the_panel_validates(broker, subscriber_factory, mqtt_server):
    mqtt_server(broker.settings())
    subscriber = subscriber_factory(broker)
    payload = subscriber.wait_for(DISCOVERY, lambda p: p != b"").json()
    VALIDATOR.validate(payload)
    broken = json.loads(json.dumps(payload))
    broken["components"]["alarm"]["supported_features"] = ["arm_everything"]
    assert not VALIDATOR.is_valid(broken)
    del broken["components"]["alarm"]["command_topic"]
    assert not VALIDATOR.is_valid(broken)
