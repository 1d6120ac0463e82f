"""The PIR sensor: declaration, warm-up, re-trigger gap, and end to end over HTTP.

The pin is a gpiozero mock pin (``seccam_gpio``): there is no PIR on this machine.
"""

from __future__ import annotations

import jsonschema
import pytest
import seccam_sensor_pir
from seccam_sensor_pir import PIR

from seccam_core import SensorConfig, calibration_defaults
from seccam_core.testing import EdgeRecorder

PIN = 17


def build(factory, **calibration):
    edges = EdgeRecorder()
    values = {**calibration_defaults(PIR.calibration_schema), **calibration}
    sensor = PIR.factory(SensorConfig(gpio=PIN, calibration=values, pin_factory=factory), edges)
    return sensor, edges


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "sensor_pir" in names


def test_declaration_wiring_and_calibration_bounds():
    declaration = PIR.declaration()
    assert declaration["default_gpio"] == PIN
    assert any("5V" in w["connect"] for w in declaration["wiring"] if w["role"] == "power")
    defaults = calibration_defaults(PIR.calibration_schema)
    assert defaults == {"warmup_seconds": 60, "retrigger_seconds": 2, "bounce_time": 0}
    validator = jsonschema.Draft202012Validator(PIR.calibration_schema)
    assert validator.is_valid(defaults)
    for bad in ({"warmup_seconds": -1}, {"warmup_seconds": 301}, {"retrigger_seconds": 61},
                {"sensitivity": 7}):
        assert not validator.is_valid(bad), bad


def test_not_armed_during_warmup_and_edges_ignored(seccam_gpio):
    sensor, edges = build(seccam_gpio, warmup_seconds=0.3, retrigger_seconds=0)
    pin = seccam_gpio.pin(PIN)
    assert sensor.armed is False
    pin.drive_high()  # the module's output is meaningless while it settles
    pin.drive_low()
    assert edges.wait_for(1) == ["ready"]
    assert sensor.armed is True
    pin.drive_high()
    pin.drive_low()
    assert edges.wait_for(3) == ["ready", "trigger", "release"]
    sensor.close()


def test_motion_inside_the_retrigger_gap_continues_the_trigger(seccam_gpio):
    sensor, edges = build(seccam_gpio, warmup_seconds=0, retrigger_seconds=0.2)
    pin = seccam_gpio.pin(PIN)
    assert pin.pull == "floating"  # the module drives its output
    for _ in range(4):  # one movement, the output dropping between detections
        pin.drive_high()
        pin.drive_low()
    assert edges.edges == ["trigger"]
    assert edges.wait_for(2) == ["trigger", "release"]  # 0.2 s after the last LOW
    sensor.close()


def test_no_release_while_motion_goes_on(seccam_gpio):
    sensor, edges = build(seccam_gpio, warmup_seconds=0, retrigger_seconds=0.05)
    pin = seccam_gpio.pin(PIN)
    pin.drive_high()
    with pytest.raises(TimeoutError):
        edges.wait_for(2, timeout=0.3)  # still HIGH: no release however long we wait
    pin.drive_low()
    assert edges.wait_for(2) == ["trigger", "release"]
    sensor.close()


def test_warmup_shows_in_sensor_state(seccam_gpio, seccam_live_server):
    server = seccam_live_server(seccam_sensor_pir)
    events = server.events()
    response = server.client().post("/sensor/configure", json={
        "type": "pir", "calibration": {"warmup_seconds": 0.3, "retrigger_seconds": 0}})
    assert response.status_code == 200, response.text
    warming = events.wait_for("sensor_state", lambda d: d["type"] == "pir").data
    assert warming["enabled"] is True and warming["armed"] is False
    events.wait_for("sensor_state", lambda d: d["armed"])
    seccam_gpio.pin(PIN).drive_high()
    assert events.wait_for("sensor_state", lambda d: d["triggered"]).data["gpio"] == PIN
