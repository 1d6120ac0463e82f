"""The sensor controller over HTTP and SSE: triggers, holds, presence, recordings, errors.

Pins are gpiozero mock pins (``seccam_gpio``); the recorder is the stand-in recorder
(no camera or ffmpeg on this machine's test path); presence is a switchable source.
"""

from __future__ import annotations

import time

import pytest
import sensor_doubles
from sensor_doubles import DOOR_PIN

from seccam_core.sensing.controller import SENSOR_CONTROLLER
from seccam_core.sensing.doubles import StandInRecorder, SwitchablePresence

SEED_STATUS_FIELDS = {"enabled", "armed", "triggered", "suppressed", "recording_from_sensor",
                      "hold_seconds", "config", "sensor", "error"}
STATUS_FIELDS = SEED_STATUS_FIELDS | {"sensors"}
STATE_FIELDS = {"sensor_id", "name", "enabled", "armed", "triggered", "suppressed",
                "suppressed_reason", "recording_from_sensor", "type", "gpio", "error",
                "incident_id"}


@pytest.fixture
def door(seccam_gpio, seccam_live_server):
    """A live server with the test door on a mock pin, a stand-in recorder and presence."""
    recorder, presence = StandInRecorder(), SwitchablePresence()
    server = seccam_live_server(sensor_doubles, recorder, presence)
    server.recorder, server.presence = recorder, presence
    server.pin = seccam_gpio.pin(DOOR_PIN)
    server.sse = server.events()
    server.http = server.client()
    return server


def configure(server, **fields):
    body = {"type": "test_door", "gpio": DOOR_PIN, "enabled": True, **fields}
    response = server.http.post("/sensor/configure", json=body)
    assert response.status_code == 200, response.text
    server.pin.drive_low()  # the door is closed (the pull-up left the pin HIGH)
    return response.json()


def open_door(server, request=None):
    """Open the door; with ``request``, first await the recording_request it publishes
    (the controller publishes the request before the state, so the recorder starts first)."""
    server.pin.drive_high()
    if request is not None:
        asked = server.sse.wait_for("recording_request",
                                    lambda d: {k: d[k] for k in request} == request).data
        assert asked["incident_id"].startswith("inc_")
    return server.sse.wait_for("sensor_state", lambda d: d["triggered"]).data


def close_door(server):
    server.pin.drive_low()
    return server.sse.wait_for("sensor_state", lambda d: not d["triggered"]).data


def test_status_has_the_seed_fields_and_seed_defaults(seccam_live_server):
    server = seccam_live_server()
    status = server.client().get("/sensor/status").json()
    assert set(status) == STATUS_FIELDS
    assert status["config"] == {"type": "reed_switch", "gpio": 22, "enabled": False,
                                "hold_seconds": 10, "invert_logic": False, "calibration": {}}
    assert (status["enabled"], status["armed"], status["sensor"]) == (False, False, None)


def test_trigger_records_until_hold_after_release(door):
    configure(door, hold_seconds=0.2)
    state = open_door(door, {"source": "sensor", "active": True, "sensor_type": "test_door"})
    assert set(state) == STATE_FIELDS
    assert state["armed"] and not state["suppressed"] and state["type"] == "test_door"
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    released = time.monotonic()
    close_door(door)
    door.sse.wait_for("recording_request", lambda d: d["active"] is False)
    door.sse.wait_for("sensor_state", lambda d: not d["recording_from_sensor"])
    assert time.monotonic() - released >= 0.2
    status = door.http.get("/sensor/status").json()
    assert status["sensor"] == {"type": "test_door", "name": "Test door", "gpio": DOOR_PIN,
                                "running": True}


def test_retrigger_inside_the_hold_extends_the_same_recording(door):
    configure(door, hold_seconds=0.5)
    open_door(door)
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    close_door(door)
    open_door(door)  # inside the hold
    close_door(door)
    door.sse.wait_for("sensor_state", lambda d: not d["recording_from_sensor"])
    assert [r["active"] for r in door.recorder.requests] == [True, False]


def test_someone_home_suppresses_the_trigger_and_starts_nothing(door):
    configure(door, hold_seconds=0)
    door.call(lambda: door.presence.set_home(True))
    assert door.sse.wait_for("sensor_state", lambda d: d["suppressed"]).data["armed"]
    state = open_door(door)
    assert state["suppressed"] is True and state["recording_from_sensor"] is False
    close_door(door)
    status = door.http.get("/sensor/status").json()
    assert status["recording_from_sensor"] is False
    assert door.recorder.requests == []
    door.call(lambda: door.presence.set_home(False))  # everyone left: suppression follows
    door.sse.wait_for("sensor_state", lambda d: not d["suppressed"])
    open_door(door, {"source": "sensor", "active": True, "sensor_type": "test_door"})


def test_unknown_presence_counts_as_nobody_home(door):
    configure(door)
    door.call(lambda: door.presence.set_home(None))
    assert open_door(door)["suppressed"] is False


@pytest.mark.parametrize("how", ["disable", "reconfigure"])
def test_stopping_the_sensor_ends_its_recording(door, how):
    """Never an orphaned recording (the original's defect D1)."""
    configure(door, hold_seconds=600)
    open_door(door)
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    if how == "disable":
        assert door.http.post("/sensor/disable").json() == {"message": "Sensor disabled"}
    else:
        configure(door, gpio=23)
    door.sse.wait_for("recording_request", lambda d: d["active"] is False)
    state = door.sse.wait_for("sensor_state", lambda d: not d["recording_from_sensor"]).data
    assert state["triggered"] is False
    assert door.recorder.recording is False


def test_recording_flag_needs_a_running_recording(seccam_gpio, seccam_live_server):
    """Without a recorder nothing records, so the flag never claims one (defect D3)."""
    server = seccam_live_server(sensor_doubles)
    server.pin, server.sse = seccam_gpio.pin(DOOR_PIN), server.events()
    server.http = server.client()
    configure(server)
    open_door(server, {"source": "sensor", "active": True, "sensor_type": "test_door"})
    assert server.http.get("/sensor/status").json()["recording_from_sensor"] is False


def test_a_recording_stopped_by_hand_is_let_go(door):
    configure(door, hold_seconds=600)
    open_door(door)
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    door.call(door.recorder.stop_by_hand)
    door.sse.wait_for("sensor_state", lambda d: not d["recording_from_sensor"])
    close_door(door)
    open_door(door)  # the next trigger asks for a new recording
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    assert [r["active"] for r in door.recorder.requests] == [True, True]


class CameraDownRecorder(StandInRecorder):
    """Answers every request as the media recorder does while the camera is down."""

    async def _run(self, event, ctx):
        self.requests.append(dict(event.data))
        if event.data.get("active"):
            ctx.seccam.bus.publish("recording_state", {
                "recording": False, "reason": "sensor",
                "error": "cannot record: the camera is restarting"})


def test_a_recording_that_could_not_start_is_let_go(seccam_gpio, seccam_live_server):
    recorder = CameraDownRecorder()
    server = seccam_live_server(sensor_doubles, recorder, SwitchablePresence())
    server.recorder, server.pin = recorder, seccam_gpio.pin(DOOR_PIN)
    server.sse, server.http = server.events(), server.client()
    configure(server, hold_seconds=600)
    open_door(server)
    server.sse.wait_for("recording_state", lambda d: d.get("error"))
    close_door(server)
    open_door(server, request={"source": "sensor", "active": True,
                               "sensor_type": "test_door"})  # asks again, inside the hold
    # The recorder's answer comes after it took the request: await it, then count.
    server.sse.wait_for("recording_state", lambda d: d.get("error"))
    assert [r["active"] for r in recorder.requests] == [True, True]


def test_a_sensor_that_fails_to_start_is_reported_and_the_server_serves(door):
    body = configure(door, type="test_broken", gpio=6)
    assert "device not found" in body["error"]
    state = door.sse.wait_for("sensor_state", lambda d: d["error"]).data
    assert state["armed"] is False and state["type"] == "test_broken"
    status = door.http.get("/sensor/status").json()
    assert "device not found" in status["error"] and status["sensor"] is None
    configure(door)  # a good configuration clears the error
    assert door.http.get("/sensor/status").json()["error"] is None


def test_a_runtime_sensor_error_is_reported(door):
    configure(door, type="test_pinless", gpio=None)
    live = door.call(lambda: door.seccam.require(SENSOR_CONTROLLER).live_sensor)
    live.fire("error", "device gone")
    state = door.sse.wait_for("sensor_state", lambda d: d["error"]).data
    assert state["error"] == "device gone" and state["armed"] is False
    assert door.http.get("/sensor/status").json()["error"] == "device gone"


def test_settings_endpoint_changes_restart_the_sensor(door):
    configure(door)
    response = door.http.post("/settings", json={"Sensor": {"type": "test_pinless",
                                                            "gpio": None}})
    assert response.status_code == 200, response.text
    state = door.sse.wait_for("sensor_state", lambda d: d["type"] == "test_pinless").data
    assert state["armed"] is True and state["gpio"] is None


def test_enable_starts_the_configured_sensor(door):
    configure(door, enabled=False)
    assert door.http.get("/sensor/status").json()["armed"] is False
    assert door.http.post("/sensor/enable").json()["message"] == "Sensor enabled"
    state = door.sse.wait_for("sensor_state", lambda d: d["armed"]).data
    assert state["enabled"] is True
    assert door.http.get("/settings").json()["Sensor"]["enabled"] is True


def test_pin_factory_follows_the_environment(monkeypatch, seccam_live_server):
    """With no factory set yet, GPIOZERO_PIN_FACTORY=mock is what the controller installs."""
    from gpiozero import Device

    previous = Device.pin_factory
    Device.pin_factory = None
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    try:
        server = seccam_live_server()
        assert server.call(lambda: server.seccam.require(SENSOR_CONTROLLER).pin_factory_name) \
            == "MockFactory"
    finally:
        if Device.pin_factory is not None:
            Device.pin_factory.close()
        Device.pin_factory = previous


def test_enabling_an_enabled_sensor_leaves_its_recording_alone(door):
    configure(door, hold_seconds=600)
    open_door(door)
    door.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    assert door.http.post("/sensor/enable").status_code == 200
    status = door.http.get("/sensor/status").json()
    assert status["triggered"] is True and status["recording_from_sensor"] is True
    assert [r["active"] for r in door.recorder.requests] == [True]
