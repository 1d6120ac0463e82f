"""Several sensors: ``/sensors`` over HTTP, one recording request per incident, bad input.

Pins are gpiozero mock pins (``seccam_gpio``); the recorder is the stand-in recorder
(no camera here; the real recorder's meta is checked in the integration env).
"""

from __future__ import annotations

import json

import pytest
import sensor_doubles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.sensing.doubles import StandInRecorder, SwitchablePresence
from seccam_core.testing import wait_until

DOOR, HALL = 22, 23


@pytest.fixture
def house(seccam_gpio, seccam_live_server):
    """A live server with a door (primary, pin 22) and a hall sensor (pin 23)."""
    recorder, presence = StandInRecorder(), SwitchablePresence()
    server = seccam_live_server(sensor_doubles, recorder, presence)
    server.recorder, server.presence = recorder, presence
    server.http, server.sse = server.client(), server.events()
    server.gpio = seccam_gpio
    door = server.http.post("/sensor/configure", json={"type": "test_door", "gpio": DOOR,
                                                       "hold_seconds": 0.3})
    assert door.status_code == 200, door.text
    hall = server.http.post("/sensors", json={"type": "test_door", "gpio": HALL,
                                              "name": "Hall", "hold_seconds": 0.3})
    assert hall.status_code == 201, hall.text
    assert hall.json()["id"] == "hall" and hall.json()["modes"] == ["away", "night"]
    for pin in (DOOR, HALL):
        seccam_gpio.pin(pin).drive_low()  # closed
    return server


def stored(server):
    return json.loads((server.seccam.data_dir / "settings.json").read_text())


def fire(server, pin, sensor_id):
    server.gpio.pin(pin).drive_high()
    return server.sse.wait_for("sensor_state",
                               lambda d: d["sensor_id"] == sensor_id and d["triggered"]).data


def calm(server, pin, sensor_id):
    server.gpio.pin(pin).drive_low()
    return server.sse.wait_for("sensor_state",
                               lambda d: d["sensor_id"] == sensor_id and not d["triggered"]).data


def test_the_list_and_the_primary(house):
    sensors = house.http.get("/sensors").json()["sensors"]
    assert [(s["id"], s["gpio"], s["armed"]) for s in sensors] == [
        ("reed-switch", DOOR, True), ("hall", HALL, True)]
    status = house.http.get("/sensor/status").json()
    assert status["config"]["gpio"] == DOOR  # the seed's endpoints act on the primary
    assert [s["id"] for s in status["sensors"]] == ["reed-switch", "hall"]
    assert house.http.get("/sensors/hall").json()["name"] == "Hall"
    assert house.http.get("/sensors/nope").status_code == 404
    document = stored(house)
    assert document["Sensor"]["gpio"] == DOOR and len(document["Sensors"]["sensors"]) == 2


def test_one_recording_per_incident_across_sensors(house):
    fire(house, DOOR, "reed-switch")
    house.sse.wait_for("sensor_state", lambda d: d["recording_from_sensor"])
    fire(house, HALL, "hall")  # joins the door's recording
    calm(house, DOOR, "reed-switch")
    calm(house, HALL, "hall")
    wait_until(lambda: len(house.recorder.requests) == 3, 10, "the recorder saw the end")
    assert [(r["active"], r["sensor_id"], r["sensors"]) for r in house.recorder.requests] == [
        (True, "reed-switch", ["reed-switch"]),
        (True, "hall", ["reed-switch", "hall"]),
        (False, "reed-switch", ["reed-switch", "hall"]),
    ]

    fire(house, HALL, "hall")  # the hall alone: a new incident
    wait_until(lambda: len(house.recorder.requests) == 4, 10, "the recorder saw the request")
    assert house.recorder.requests[3]["sensors"] == ["hall"]


def test_the_incident_lasts_until_the_last_hold_ends(house):
    house.http.put("/sensors/hall", json={"hold_seconds": 600})
    house.gpio.pin(HALL).drive_low()  # restarted: its pull-up left the pin HIGH
    fire(house, DOOR, "reed-switch")
    fire(house, HALL, "hall")
    calm(house, HALL, "hall")  # the hall holds for ten minutes
    calm(house, DOOR, "reed-switch")
    assert house.http.get("/sensors/hall").json()["in_incident"] is True  # its hold
    assert house.http.get("/sensor/status").json()["recording_from_sensor"] is True
    house.http.post("/sensors/hall/disable")  # disabling it ends its part: the incident ends
    wait_until(lambda: len(house.recorder.requests) == 3, 10, "the recorder saw the end")
    assert [r["active"] for r in house.recorder.requests] == [True, True, False]


def test_disarmed_suppresses_with_the_reason_and_records_nothing(house):
    assert house.http.post("/arming", json={"mode": "disarmed"}).json()["mode"] == "disarmed"
    state = fire(house, HALL, "hall")
    assert state["suppressed"] is True
    assert "disarmed" in state["suppressed_reason"] and "away, night" in state["suppressed_reason"]
    assert house.http.get("/sensors/hall").json()["suppressed_reason"] == state["suppressed_reason"]
    calm(house, HALL, "hall")
    assert house.recorder.requests == []


def test_a_sensor_armed_only_in_away_is_quiet_at_night(house):
    house.http.put("/sensors/hall", json={"modes": ["away"]})
    house.gpio.pin(HALL).drive_low()  # restarted: its pull-up left the pin HIGH
    house.http.post("/arming", json={"mode": "night"})
    assert fire(house, HALL, "hall")["suppressed"] is True
    state = fire(house, DOOR, "reed-switch")  # the door is armed at night
    assert state["suppressed"] is False
    wait_until(lambda: house.recorder.requests, 10, "the recorder saw the request")
    assert house.recorder.requests[0]["sensors"] == ["reed-switch"]


def test_presence_turns_away_into_home(house):
    house.call(lambda: house.presence.set_home(True))
    arming = house.sse.wait_for("arming_state", lambda d: d["source"] == "presence").data
    assert (arming["mode"], arming["set_mode"]) == ("home", "away")
    assert "someone is at home" in fire(house, DOOR, "reed-switch")["suppressed_reason"]
    assert house.recorder.requests == []


def test_enable_disable_delete_and_test(house):
    assert house.http.post("/sensors/hall/disable").json()["enabled"] is False
    assert house.http.get("/sensors/hall").json()["sensor"] is None
    assert house.http.post("/sensors/hall/enable").json()["armed"] is True
    house.gpio.pin(HALL).drive_high()
    assert house.http.post("/sensors/hall/test").json() == {
        "value": True, "gpio": HALL, "type": "test_door", "source": "active_sensor"}
    assert house.http.delete("/sensors/hall").status_code == 200
    assert [s["id"] for s in house.http.get("/sensors").json()["sensors"]] == ["reed-switch"]
    last = house.http.delete("/sensors/reed-switch")
    assert last.status_code == 409 and "disable it instead" in last.json()["error"]


def test_a_type_with_two_pins_and_a_measurement(house):
    added = house.http.post("/sensors", json={"type": "test_range", "gpio": 5,
                                              "calibration": {"echo_gpio": 6}})
    assert added.status_code == 201, added.text
    assert added.json()["measurement"] == {"distance_cm": 42.0}
    # its echo pin is taken: no other sensor may use it
    clash = house.http.put("/sensors/hall", json={"gpio": 6})
    assert clash.status_code == 400 and "GPIO6 is already used" in clash.json()["error"]
    own = house.http.put("/sensors/test-range", json={"calibration": {"echo_gpio": 5}})
    assert own.status_code == 400
    assert "calibration.echo_gpio: must differ from gpio" in own.json()["error"]


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("post", "/sensors", {"type": "test_door", "gpio": 24, "id": "hall"}, "id"),
    ("post", "/sensors", {"type": "test_door", "gpio": DOOR}, "sensors[2].gpio"),
    ("post", "/sensors", {"type": "test_door", "gpio": 24, "modes": ["vacation"]}, "modes"),
    ("post", "/sensors", {"type": "test_door", "gpio": 24, "modes": []}, "modes"),
    ("post", "/sensors", {"type": "test_door", "gpio": 24, "id": "Not A Slug"}, "id"),
    ("put", "/sensors/hall", {"gpio": DOOR}, "sensors[1].gpio"),
    ("put", "/sensors/hall", {"id": "other"}, "id"),
    ("put", "/sensors/hall", {"modes": []}, "modes"),
    ("post", "/sensor/configure", {"type": "test_door", "gpio": HALL}, "gpio"),
    ("post", "/settings", {"Sensors": {"sensors": [
        {"id": "a", "name": "A", "type": "test_door", "gpio": 4, "enabled": False,
         "hold_seconds": 1, "invert_logic": False, "calibration": {}, "modes": []},
        {"id": "a", "name": "B", "type": "test_door", "gpio": 5, "enabled": False,
         "hold_seconds": 1, "invert_logic": False, "calibration": {}, "modes": []}]}},
     "Sensors.sensors[1].id"),
    ("post", "/settings", {"Sensor": {"gpio": HALL}}, "gpio"),
])
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(house, method, path, body,
                                                                 field):
    before = (house.seccam.data_dir / "settings.json").read_bytes()
    response = getattr(house.http, method)(path, json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]
    assert (house.seccam.data_dir / "settings.json").read_bytes() == before


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(
    st.sampled_from(["id", "name", "type", "gpio", "enabled", "hold_seconds", "modes",
                     "calibration", "invert_logic"]),
    st.one_of(st.none(), st.integers(-5, 40), st.text(max_size=8), st.booleans(),
              st.lists(st.sampled_from(["away", "night", "home", "x"]), max_size=3))))
def test_any_new_sensor_body_is_stored_whole_or_refused_with_a_4xx(house, body):
    before = house.http.get("/sensors").json()["sensors"]
    response = house.http.post("/sensors", json=body)
    assert response.status_code in (201, 400), response.text
    after = house.http.get("/sensors").json()["sensors"]
    if response.status_code == 400:
        assert response.json()["error"] and [s["id"] for s in after] == [
            s["id"] for s in before]
    else:
        assert after[-1]["id"] == response.json()["id"]
        house.http.delete(f"/sensors/{response.json()['id']}")
