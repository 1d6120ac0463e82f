"""``/sensor/configure|types|test|enable|disable`` over HTTP: answers and bad input.

Pins are gpiozero mock pins (``seccam_gpio``): no GPIO header on this machine.
"""

from __future__ import annotations

import pytest
import sensor_doubles
from gpiozero import DigitalInputDevice
from sensor_doubles import DOOR_PIN


@pytest.fixture
def server(seccam_gpio, seccam_live_server):
    server = seccam_live_server(sensor_doubles)
    server.http = server.client()
    server.gpio = seccam_gpio
    return server


def configure(server, **body):
    return server.http.post("/sensor/configure", json=body)


def settings_file(server):
    return (server.seccam.data_dir / "settings.json").read_bytes()


def test_configure_fills_the_seed_defaults(server):
    response = configure(server, type="test_door")
    assert response.status_code == 200, response.text
    assert response.json() == {"message": "Sensor configured", "config": {
        "type": "test_door", "gpio": DOOR_PIN, "enabled": True, "hold_seconds": 10,
        "invert_logic": False, "calibration": {}}}
    status = server.http.get("/sensor/status").json()
    assert status["armed"] is True and status["hold_seconds"] == 10


def test_a_pinless_type_is_stored_without_a_pin(server):
    response = configure(server, type="test_pinless", gpio=5)
    assert response.json()["config"]["gpio"] is None
    assert server.http.get("/sensor/status").json()["sensor"]["gpio"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({}, "type"),
    ({"type": 5}, "type"),
    ({"type": "test_door", "gpio": 28}, "gpio"),
    ({"type": "test_door", "gpio": -1}, "gpio"),
    ({"type": "test_door", "gpio": "abc"}, "gpio"),
    ({"type": "test_door", "gpio": 2.5}, "gpio"),
    ({"type": "test_door", "hold_seconds": -1}, "hold_seconds"),
    ({"type": "test_door", "hold_seconds": 86400}, "hold_seconds"),
    ({"type": "test_door", "hold_seconds": "10"}, "hold_seconds"),
    ({"type": "test_door", "enabled": "false"}, "enabled"),
    ({"type": "test_door", "invert_logic": 1}, "invert_logic"),
    ({"type": "test_door", "calibration": {"sensitivity": 50}}, "calibration.sensitivity"),
    ({"type": "test_door", "calibration": {"sensitivity": "high"}}, "calibration.sensitivity"),
    ({"type": "test_door", "calibration": {"colour": 1}}, "colour"),
    ({"type": "test_door", "calibration": [1]}, "calibration"),
    ({"type": "test_door", "pin": 4}, "pin"),
])
def test_bad_configure_is_a_400_naming_the_field_and_writes_nothing(server, body, field):
    before = settings_file(server)
    response = configure(server, **body)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]
    assert settings_file(server) == before
    assert server.http.get("/sensor/status").json()["config"]["type"] == "reed_switch"


def test_unknown_type_lists_the_installed_ones(server):
    before = settings_file(server)
    response = configure(server, type="laser_tripwire")
    assert response.status_code == 400
    assert response.json() == {"error": "Unknown sensor type: laser_tripwire",
                               "available": ["test_broken", "test_door", "test_pinless",
                                             "test_range"]}
    assert settings_file(server) == before


def test_a_pin_used_by_something_else_is_refused(server):
    configure(server, type="test_door")
    before = settings_file(server)
    other = DigitalInputDevice(5, pin_factory=server.gpio)  # another device holds GPIO5
    try:
        response = configure(server, type="test_door", gpio=5)
        assert response.status_code == 400
        assert response.json()["error"].startswith("gpio: GPIO5 is already used")
        assert settings_file(server) == before
        assert server.http.get("/sensor/status").json()["sensor"]["gpio"] == DOOR_PIN
    finally:
        other.close()


def test_reconfiguring_the_same_pin_is_allowed(server):
    configure(server, type="test_door")
    response = configure(server, type="test_door", hold_seconds=3)
    assert response.status_code == 200
    assert server.http.get("/sensor/status").json()["hold_seconds"] == 3


def test_types_lists_every_installed_declaration(server):
    types = {t["type"]: t for t in server.http.get("/sensor/types").json()}
    assert set(types) == {"test_broken", "test_door", "test_pinless", "test_range"}
    door = types["test_door"]
    assert door["default_gpio"] == DOOR_PIN and door["uses_gpio"] is True
    assert door["calibration_schema"]["properties"]["sensitivity"]["maximum"] == 10
    sliders = {s["key"]: s for s in door["calibration"]}
    assert sliders["sensitivity"] == {"key": "sensitivity", "name": "sensitivity",
                                      "type": "range", "min": 1, "max": 10, "default": 5,
                                      "step": 1, "description": ""}
    # Each calibration schema says its fields' declared order: the JSON answer sorts keys.
    for declared in sensor_doubles.seccam_sensor_types():
        order = list(declared.calibration_schema.get("properties", {}))
        assert types[declared.name]["calibration_schema"].get("x-order", []) == order
    assert types["test_door"]["calibration_schema"]["x-order"] == ["sensitivity", "bounce_time"]


def test_pin_test_reads_the_active_sensor_without_disturbing_it(server):
    configure(server, type="test_door", hold_seconds=0)
    pin = server.gpio.pin(DOOR_PIN)
    pin.drive_low()
    answer = server.http.post("/sensor/test", json={"type": "test_door"}).json()
    assert answer == {"value": False, "gpio": DOOR_PIN, "type": "test_door",
                      "source": "active_sensor"}
    pin.drive_high()
    assert server.http.post("/sensor/test", json={"type": "test_door",
                                                  "gpio": DOOR_PIN}).json()["value"] is True
    status = server.http.get("/sensor/status").json()
    assert status["armed"] is True and status["triggered"] is True


def test_pin_test_opens_another_pin_briefly(server):
    configure(server, type="test_door")
    answer = server.http.post("/sensor/test", json={"type": "test_door", "gpio": 9}).json()
    assert answer == {"value": True, "gpio": 9, "type": "test_door", "source": "probe"}
    again = DigitalInputDevice(9, pin_factory=server.gpio)  # the probe let the pin go
    again.close()
    assert server.http.get("/sensor/status").json()["sensor"]["gpio"] == DOOR_PIN


def test_pin_test_of_a_pinless_type_reads_nothing(server):
    answer = server.http.post("/sensor/test", json={"type": "test_pinless"}).json()
    assert answer["value"] is None and answer["gpio"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({}, "type"), ({"type": "nope"}, "Unknown sensor type"),
    ({"type": "test_door", "gpio": 40}, "gpio"),
])
def test_pin_test_bad_input(server, body, field):
    response = server.http.post("/sensor/test", json=body)
    assert response.status_code == 400 and field in response.json()["error"]


def test_pin_test_of_a_busy_pin_is_refused(server):
    other = DigitalInputDevice(7, pin_factory=server.gpio)
    try:
        response = server.http.post("/sensor/test", json={"type": "test_door", "gpio": 7})
        assert response.status_code == 400 and "GPIO7" in response.json()["error"]
    finally:
        other.close()


def test_enable_and_disable_are_saved(server):
    configure(server, type="test_door", enabled=False)
    assert server.http.post("/sensor/enable").status_code == 200
    assert server.http.get("/sensor/status").json()["armed"] is True
    assert server.http.post("/sensor/disable").json() == {"message": "Sensor disabled"}
    status = server.http.get("/sensor/status").json()
    assert (status["enabled"], status["armed"], status["sensor"]) == (False, False, None)
    assert server.http.get("/settings").json()["Sensor"]["enabled"] is False
