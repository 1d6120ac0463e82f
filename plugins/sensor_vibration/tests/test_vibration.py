"""The vibration sensor: pulse trains, the pulse window, and that it always releases.

The pin is a gpiozero mock pin (``seccam_gpio``): there is no SW-420 on this machine.
"""

from __future__ import annotations

import jsonschema
import pytest
import seccam_sensor_vibration
from seccam_sensor_vibration import VIBRATION

from seccam_core import SensorConfig, calibration_defaults
from seccam_core.testing import EdgeRecorder

PIN = 5


def build(factory, **calibration):
    edges = EdgeRecorder()
    values = {**calibration_defaults(VIBRATION.calibration_schema), "bounce_time": 0,
              **calibration}
    config = SensorConfig(gpio=PIN, calibration=values, pin_factory=factory)
    return VIBRATION.factory(config, edges), edges


def pulse(pin, times=1):
    for _ in range(times):
        pin.drive_high()  # the switch opens under vibration
        pin.drive_low()


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "sensor_vibration" in names


def test_declaration_wiring_and_calibration_bounds():
    assert VIBRATION.declaration()["default_gpio"] == PIN
    defaults = calibration_defaults(VIBRATION.calibration_schema)
    assert defaults == {"pulse_count": 1, "pulse_window": 5, "bounce_time": 0.05}
    validator = jsonschema.Draft202012Validator(VIBRATION.calibration_schema)
    assert validator.is_valid({"pulse_count": 3, "pulse_window": 5})  # the seed's example
    for bad in ({"pulse_count": 0}, {"pulse_count": 21}, {"pulse_count": 2.5},
                {"pulse_window": 0}, {"pulse_window": 31}):
        assert not validator.is_valid(bad), bad


def test_one_pulse_triggers_with_the_default_count(seccam_gpio):
    sensor, edges = build(seccam_gpio, pulse_window=0.2)
    seccam_gpio.pin(PIN).drive_low()
    pulse(seccam_gpio.pin(PIN))
    assert edges.edges == ["trigger"]
    assert edges.wait_for(2) == ["trigger", "release"]  # a quiet window later
    sensor.close()


def test_fewer_pulses_than_the_count_do_not_trigger(seccam_gpio):
    sensor, edges = build(seccam_gpio, pulse_count=3, pulse_window=5)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pulse(pin, 2)
    assert edges.edges == []
    pulse(pin)  # the third inside the window
    assert edges.edges == ["trigger"]
    sensor.close()


def test_pulses_spread_wider_than_the_window_do_not_add_up(seccam_gpio):
    sensor, edges = build(seccam_gpio, pulse_count=2, pulse_window=0.1)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pulse(pin)
    with pytest.raises(TimeoutError):
        edges.wait_for(1, timeout=0.25)  # let the first pulse age out of the window
    pulse(pin)
    assert edges.edges == []
    pulse(pin)
    assert edges.edges == ["trigger"]
    sensor.close()


def test_a_pulse_count_above_one_still_releases(seccam_gpio):
    """The original never released in this mode (defect D4)."""
    sensor, edges = build(seccam_gpio, pulse_count=3, pulse_window=0.2)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pulse(pin, 3)
    assert edges.wait_for(2) == ["trigger", "release"]
    pulse(pin, 3)  # and it can trigger again
    assert edges.wait_for(4) == ["trigger", "release", "trigger", "release"]
    sensor.close()


def test_continuous_vibration_holds_the_trigger(seccam_gpio):
    sensor, edges = build(seccam_gpio, pulse_window=0.1)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pin.drive_high()  # shaking so hard the switch stays open
    with pytest.raises(TimeoutError):
        edges.wait_for(2, timeout=0.35)
    pin.drive_low()
    assert edges.wait_for(2) == ["trigger", "release"]
    sensor.close()


def test_chatter_counts_as_one_pulse(seccam_gpio):
    """MockPin ignores bounce_time, so this exercises the plugin's own debouncing."""
    sensor, edges = build(seccam_gpio, pulse_count=2, pulse_window=5, bounce_time=0.1)
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()  # at rest (this level change opens a bounce window of its own)
    with pytest.raises(TimeoutError):
        edges.wait_for(1, timeout=0.2)  # wait the window out
    pulse(pin, 4)  # one knock, chattering inside the bounce time
    assert edges.edges == []  # four raw pulses, but only one counted: no trigger
    with pytest.raises(TimeoutError):
        edges.wait_for(1, timeout=0.3)  # the chatter settles, at rest
    pulse(pin)  # the second real pulse reaches the count of 2
    assert edges.edges == ["trigger"]
    sensor.close()


def test_seed_example_configures_and_triggers(seccam_gpio, seccam_live_server):
    server = seccam_live_server(seccam_sensor_vibration)
    client = server.client()
    response = client.post("/sensor/configure", json={
        "type": "vibration", "gpio": PIN, "enabled": True,
        "calibration": {"pulse_count": 3, "pulse_window": 5, "bounce_time": 0}})
    assert response.status_code == 200, response.text
    bad = client.post("/sensor/configure", json={
        "type": "vibration", "calibration": {"pulse_count": 50}})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("calibration.pulse_count:")
    events = server.events()
    pin = seccam_gpio.pin(PIN)
    pin.drive_low()
    pulse(pin, 3)
    assert events.wait_for("sensor_state", lambda d: d["triggered"]).data["type"] == "vibration"
