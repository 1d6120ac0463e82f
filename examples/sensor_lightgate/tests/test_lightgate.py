"""The light gate's own tests, written with seccam's test kit (``seccam_core.testing``).

The pin is a gpiozero mock pin (``seccam_gpio``): no KY-010 is attached.
"""

from __future__ import annotations

import logging
import re

import jsonschema
import pytest
import seccam_sensor_lightgate
from seccam_sensor_lightgate import LIGHT_GATE

from seccam_core import SensorConfig, calibration_defaults
from seccam_core.testing import EdgeRecorder, wait_until

PIN = 6


def build(factory, **calibration):
    edges = EdgeRecorder()
    values = {**calibration_defaults(LIGHT_GATE.calibration_schema), "bounce_time": 0,
              **calibration}
    config = SensorConfig(gpio=PIN, calibration=values, pin_factory=factory)
    return LIGHT_GATE.factory(config, edges), edges


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "lightgate" in names


def test_calibration_defaults_and_bounds():
    defaults = calibration_defaults(LIGHT_GATE.calibration_schema)
    assert defaults == {"min_blocked_seconds": 0, "bounce_time": 0.01}
    validator = jsonschema.Draft202012Validator(LIGHT_GATE.calibration_schema)
    assert validator.is_valid(defaults)
    assert not validator.is_valid({"min_blocked_seconds": 6})
    assert not validator.is_valid({"bounce_time": -1})


def test_blocking_the_beam_triggers_and_clearing_releases(seccam_gpio):
    gate, edges = build(seccam_gpio)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()   # beam clear
    pin.drive_high()  # blocked
    pin.drive_low()   # clear
    assert edges.wait_for(2) == ["trigger", "release"]
    gate.close()


def test_a_short_block_is_ignored(seccam_gpio):
    gate, edges = build(seccam_gpio, min_blocked_seconds=0.2)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pin.drive_high()  # a moth
    pin.drive_low()
    with pytest.raises(TimeoutError):
        edges.wait_for(1, timeout=0.4)
    pin.drive_high()  # the cat, staying in the beam
    assert edges.wait_for(1) == ["trigger"]
    gate.close()


def test_the_passage_log_follows_its_settings_section(seccam_gpio, seccam_live_server, caplog):
    """The plugin's own ``LightGate`` section: off by default; once on, each passage (a
    trigger and its release) is one log line, in the words the owner chose."""
    server = seccam_live_server(seccam_sensor_lightgate)
    http, events = server.client(), server.events()
    answer = http.post("/sensor/configure", json={
        "type": "light_gate", "gpio": PIN, "enabled": True, "hold_seconds": 0,
        "calibration": {"min_blocked_seconds": 0, "bounce_time": 0}})
    assert answer.status_code == 200, answer.text
    assert http.get("/settings").json()["LightGate"] == {
        "log_passages": False, "passage_words": "something passed"}
    pin = seccam_gpio.pin(PIN)
    caplog.set_level(logging.INFO, logger="seccam_sensor_lightgate")

    def passage() -> None:
        pin.drive_high()  # blocked
        events.wait_for("sensor_state", lambda d: d["triggered"])
        pin.drive_low()   # clear
        events.wait_for("sensor_state", lambda d: not d["triggered"])

    pin.drive_low()
    passage()
    assert not [r for r in caplog.records if r.name == "seccam_sensor_lightgate"]

    refused = http.post("/settings", json={"LightGate": {"passage_words": "a" * 41}})
    assert refused.status_code == 400 and "LightGate.passage_words" in refused.json()["error"]
    saved = http.post("/settings", json={"LightGate": {"log_passages": True,
                                                       "passage_words": "post arrived"}})
    assert saved.status_code == 200, saved.text
    passage()
    lines = wait_until(lambda: [r.getMessage() for r in caplog.records
                                if r.name == "seccam_sensor_lightgate"], 5, "the log line")
    assert len(lines) == 1
    assert re.fullmatch(r"light gate [a-z0-9-]+: post arrived \(beam blocked \d+\.\d s\)",
                        lines[0])
