"""The digital hall sensor: declaration, active-low edges, invert_logic, end to end.

The pin is a gpiozero mock pin (``seccam_gpio``): there is no A3144 on this machine.
"""

from __future__ import annotations

import jsonschema
import seccam_sensor_hall
from seccam_sensor_hall import HALL_DIGITAL

from seccam_core import SensorConfig
from seccam_core.testing import EdgeRecorder

PIN = 13


def build(factory, bounce_time=0.0):
    edges = EdgeRecorder()
    config = SensorConfig(gpio=PIN, calibration={"bounce_time": bounce_time},
                          pin_factory=factory)
    return HALL_DIGITAL.factory(config, edges), edges


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "sensor_hall" in names


def test_declaration_wiring_and_calibration_bounds():
    declaration = HALL_DIGITAL.declaration()
    assert declaration["default_gpio"] == PIN
    assert "invert_logic" in declaration["wiring_note"]
    validator = jsonschema.Draft202012Validator(HALL_DIGITAL.calibration_schema)
    assert validator.is_valid({"bounce_time": 0.05})
    assert not validator.is_valid({"bounce_time": 1.5})


def test_magnet_pulls_low_and_triggers(seccam_gpio):
    sensor, edges = build(seccam_gpio)
    pin = seccam_gpio.pin(PIN)
    assert pin.pull == "up" and sensor.raw_value is True  # no magnet: floats HIGH
    pin.drive_low()   # magnet arrives
    pin.drive_high()  # magnet leaves
    assert edges.wait_for(2) == ["trigger", "release"]
    sensor.close()


def test_chatter_at_the_edge_of_range_is_one_trigger(seccam_gpio):
    """MockPin ignores bounce_time, so this exercises the plugin's own debouncing."""
    sensor, edges = build(seccam_gpio, bounce_time=0.05)
    pin = seccam_gpio.pin(PIN)
    for _ in range(5):
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    assert edges.edges == ["trigger"]
    pin.drive_high()  # it settles HIGH: the release comes when the window ends
    assert edges.wait_for(2) == ["trigger", "release"]
    sensor.close()


def test_invert_logic_triggers_when_the_magnet_leaves(seccam_gpio, seccam_live_server):
    server = seccam_live_server(seccam_sensor_hall)
    client = server.client()
    response = client.post("/sensor/configure", json={
        "type": "hall_digital", "gpio": PIN, "invert_logic": True,
        "calibration": {"bounce_time": 0}})
    assert response.status_code == 200, response.text
    events = server.events()
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()  # the door is closed: magnet present
    assert client.get("/sensor/status").json()["triggered"] is False
    pin.drive_high()  # the door opens: the magnet leaves
    state = events.wait_for("sensor_state", lambda d: d["triggered"]).data
    assert state["type"] == "hall_digital" and state["gpio"] == PIN
