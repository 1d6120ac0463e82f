"""The mock sensor and its own endpoints, over HTTP and SSE."""

from __future__ import annotations

import pytest
import seccam_sensor_mock
from seccam_sensor_mock import MOCK

from seccam_core.testing import StandInRecorder


@pytest.fixture
def server(seccam_live_server):
    recorder = StandInRecorder()
    server = seccam_live_server(seccam_sensor_mock, recorder)
    server.recorder = recorder
    server.http = server.client()
    return server


def use_mock(server, **fields):
    response = server.http.post("/sensor/configure", json={"type": "mock", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "sensor_mock" in names


def test_declaration_has_no_pin_and_no_calibration():
    declaration = MOCK.declaration()
    assert declaration["uses_gpio"] is False and declaration["default_gpio"] is None
    assert declaration["calibration"] == [] and declaration["wiring"] == []


@pytest.mark.parametrize("action", ["trigger", "release"])
def test_mock_routes_refuse_when_the_mock_is_not_active(server, action):
    response = server.http.post(f"/sensor/mock/{action}")
    assert response.status_code == 400
    assert response.json() == {"error": "Mock sensor is not active"}


def test_mock_routes_refuse_when_disabled(server):
    use_mock(server, enabled=False)
    assert server.http.post("/sensor/mock/trigger").status_code == 400


def test_trigger_and_release_drive_the_controller(server):
    config = use_mock(server, hold_seconds=0)["config"]
    assert config["gpio"] is None
    events = server.events()
    answer = server.http.post("/sensor/mock/trigger")
    assert answer.status_code == 200 and answer.json() == {"message": "Mock sensor triggered"}
    events.wait_for("sensor_state", lambda d: d["triggered"] and d["type"] == "mock")
    events.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    assert server.http.post("/sensor/mock/release").status_code == 200
    events.wait_for("sensor_state", lambda d: not d["recording_from_sensor"])
    assert [r["active"] for r in server.recorder.requests] == [True, False]


def test_invert_logic_applies_to_the_mock(server):
    use_mock(server, invert_logic=True)
    server.http.post("/sensor/mock/release")
    assert server.http.get("/sensor/status").json()["triggered"] is True


def test_pin_test_of_the_mock_reads_nothing(server):
    answer = server.http.post("/sensor/test", json={"type": "mock"}).json()
    assert answer["value"] is None and "no pin" in answer["message"]
