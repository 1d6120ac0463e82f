"""The reed switch: its declaration, its edges on gpiozero mock pins, and end to end."""

from __future__ import annotations

import time

import jsonschema
import pytest
import seccam_sensor_reed
from seccam_sensor_reed import REED_SWITCH

from seccam_core import SensorConfig
from seccam_core.testing import EdgeRecorder, StandInRecorder

PIN = 22


def build(factory, bounce_time=0.0, edges=None):
    edges = edges if edges is not None else EdgeRecorder()
    sensor = REED_SWITCH.factory(
        SensorConfig(gpio=PIN, calibration={"bounce_time": bounce_time}, pin_factory=factory),
        edges,
    )
    return sensor, edges


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "sensor_reed" in names
    types = {t["type"]: t for t in server.client().get("/sensor/types").json()}
    assert types["reed_switch"]["default_gpio"] == PIN


def test_declaration_names_its_wiring_and_calibration():
    declaration = REED_SWITCH.declaration()
    roles = {w["role"]: w["connect"] for w in declaration["wiring"]}
    assert "GPIO 22" in roles["signal"] and "GND" in roles["ground"]
    assert declaration["calibration"][0]["key"] == "bounce_time"
    schema = REED_SWITCH.calibration_schema
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"bounce_time": schema["properties"]["bounce_time"]["default"]})
    assert not validator.is_valid({"bounce_time": 2})
    assert not validator.is_valid({"bounce_time": -0.1})
    assert not validator.is_valid({"debounce": 0.1})


def test_door_opening_triggers_and_closing_releases(seccam_gpio):
    sensor, edges = build(seccam_gpio)
    pin = seccam_gpio.pin(PIN)
    assert pin.pull == "up"
    pin.drive_low()   # magnet back: contact closed
    pin.drive_high()  # door opens
    assert edges.wait_for(2) == ["release", "trigger"]
    assert sensor.raw_value is True
    sensor.close()


def test_contact_bounce_is_one_edge_and_the_settled_level_wins(seccam_gpio):
    """Mock pins do not debounce (gpiozero's MockPin ignores bounce_time): the plugin does."""
    sensor, edges = build(seccam_gpio, bounce_time=0.05)
    pin = seccam_gpio.pin(PIN)
    for _ in range(3):  # the contact closes, bouncing
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    assert edges.edges == ["release"]  # reported at the first edge, the rest ignored
    pin.drive_high()  # a bounce that settles HIGH: reported when the window ends
    assert edges.wait_for(2) == ["release", "trigger"]
    sensor.close()


def test_closed_sensor_releases_its_pin(seccam_gpio):
    sensor, edges = build(seccam_gpio)
    sensor.close()
    again, _ = build(seccam_gpio)  # the pin is free again
    seccam_gpio.pin(PIN).drive_low()
    assert edges.edges == []
    again.close()


def configure(client, **fields):
    body = {"type": "reed_switch", "gpio": PIN, "enabled": True, **fields}
    response = client.post("/sensor/configure", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_edge_reaches_sse_and_recording_ends_hold_seconds_after_release(
        seccam_gpio, seccam_live_server):
    recorder = StandInRecorder()
    server = seccam_live_server(seccam_sensor_reed, recorder)
    events = server.events()
    client = server.client()
    configure(client, hold_seconds=0.3, calibration={"bounce_time": 0})
    events.wait_for("sensor_state", lambda d: d["armed"] and d["type"] == "reed_switch")
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pin.drive_high()  # the door opens
    state = events.wait_for("sensor_state", lambda d: d["triggered"])
    assert state.data["suppressed"] is False and state.data["gpio"] == PIN
    events.wait_for("recording_state", lambda d: d["recording"])
    events.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    released_at = time.monotonic()
    pin.drive_low()  # closed again
    events.wait_for("sensor_state", lambda d: not d["triggered"] and d["recording_from_sensor"])
    events.wait_for("sensor_state", lambda d: not d["recording_from_sensor"])
    assert time.monotonic() - released_at >= 0.3
    assert [r["active"] for r in recorder.requests] == [True, False]
    status = client.get("/sensor/status").json()
    assert status["recording_from_sensor"] is False and status["triggered"] is False


@pytest.mark.parametrize("invert", [False, True])
def test_invert_logic_swaps_trigger_and_release(seccam_gpio, seccam_live_server, invert):
    server = seccam_live_server(seccam_sensor_reed)
    client = server.client()
    configure(client, invert_logic=invert, calibration={"bounce_time": 0})
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()  # the contact closes: a release, or a trigger when inverted
    assert client.get("/sensor/status").json()["triggered"] is invert
    pin.drive_high()  # the door opens: a trigger, or a release when inverted
    assert client.get("/sensor/status").json()["triggered"] is not invert
