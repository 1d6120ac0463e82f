"""The third-party path, end to end over HTTP: every plugin installed as a user would.

Runs in the ``integration`` tox env, where the five sensor plugins and the example
``seccam-sensor-lightgate`` (kept under ``examples/``) are pip-installed, not imported
from the repository. Pins are gpiozero mock pins (``seccam_gpio``).
"""

from __future__ import annotations

GATE_PIN = 6


def test_installed_types_are_served(seccam_gpio, seccam_live_server):
    server = seccam_live_server(entry_points=True)
    types = {t["type"]: t for t in server.client().get("/sensor/types").json()}
    assert {"reed_switch", "pir", "vibration", "hall_digital", "mock", "light_gate"} <= set(types)
    gate = types["light_gate"]
    assert gate["module"] == "KY-010" and gate["default_gpio"] == GATE_PIN
    assert gate["calibration_schema"]["properties"]["min_blocked_seconds"]["maximum"] == 5


def test_light_gate_is_validated_by_its_own_schema_and_triggers(seccam_gpio, seccam_live_server):
    server = seccam_live_server(entry_points=True)
    client = server.client()
    bad = client.post("/sensor/configure", json={
        "type": "light_gate", "calibration": {"min_blocked_seconds": 9}})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("calibration.min_blocked_seconds:")
    assert client.get("/sensor/status").json()["config"]["type"] == "reed_switch"

    events = server.events()
    good = client.post("/sensor/configure", json={
        "type": "light_gate", "calibration": {"min_blocked_seconds": 0, "bounce_time": 0}})
    assert good.status_code == 200, good.text
    assert good.json()["config"]["gpio"] == GATE_PIN
    events.wait_for("sensor_state", lambda d: d["type"] == "light_gate" and d["armed"])
    pin = seccam_gpio.pin(GATE_PIN)
    pin.drive_low()   # beam clear
    pin.drive_high()  # something blocks the beam
    state = events.wait_for("sensor_state", lambda d: d["triggered"]).data
    assert state["type"] == "light_gate" and state["gpio"] == GATE_PIN
    assert state["error"] is None


def test_mock_plugin_routes_are_served_with_everything_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    client = server.client()
    assert client.post("/sensor/mock/trigger").status_code == 400
    assert client.post("/sensor/configure", json={"type": "mock"}).status_code == 200
    events = server.events()
    assert client.post("/sensor/mock/trigger").status_code == 200
    events.wait_for("sensor_state", lambda d: d["triggered"] and d["type"] == "mock")


ALL_TYPES = ["reed_switch", "pir", "vibration", "hall_digital", "mock", "light_gate"]


def test_every_installed_type_configures_reports_and_reads_its_pin(
        seccam_gpio, seccam_live_server):
    """The seed's sensor endpoints for every type, with each type's own defaults."""
    server = seccam_live_server(entry_points=True)
    client = server.client()
    declarations = {t["type"]: t for t in client.get("/sensor/types").json()}
    for name in ALL_TYPES:
        declaration = declarations[name]
        response = client.post("/sensor/configure", json={"type": name, "hold_seconds": 1})
        assert response.status_code == 200, (name, response.text)
        config = response.json()["config"]
        assert config["gpio"] == declaration["default_gpio"], name
        status = client.get("/sensor/status").json()
        assert status["error"] is None, (name, status)
        assert status["sensor"] == {"type": name, "name": declaration["name"],
                                    "gpio": declaration["default_gpio"], "running": True}
        assert status["hold_seconds"] == 1 and status["config"] == config
        reading = client.post("/sensor/test", json={"type": name}).json()
        if declaration["uses_gpio"]:
            assert reading["source"] == "active_sensor" and isinstance(reading["value"], bool)
        else:
            assert reading["value"] is None
        assert client.post("/sensor/disable").status_code == 200
        assert client.get("/sensor/status").json()["sensor"] is None
        assert client.post("/sensor/enable").status_code == 200
        assert client.get("/sensor/status").json()["sensor"]["type"] == name
