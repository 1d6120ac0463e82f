"""Two sensors on one camera: one recording per incident, its meta naming both.

Real parts: the reed switch and PIR plugins, the sensor controller, the recorder, the
ffmpeg test-pattern camera, a live server over HTTP and SSE. The door contact and the
PIR's output are gpiozero mock pins (no hardware here).
"""

from __future__ import annotations

import json
from pathlib import Path

from recording_kit import FAST_CAMERA, add_settings, camera_holds, events_until, of_type

from seccam_core.media.service import MEDIA

DOOR_PIN, HALL_PIN = 22, 23
HOLD = 1.0


def sensor(sensor_id, name, type_, gpio, calibration, modes=("away", "night")):
    return {"id": sensor_id, "name": name, "type": type_, "gpio": gpio, "enabled": True,
            "hold_seconds": HOLD, "invert_logic": False, "calibration": calibration,
            "modes": list(modes)}


def test_a_second_sensor_extends_the_first_ones_recording_and_each_records_alone(
        seccam_gpio, seccam_data_dir, seccam_live_server):
    add_settings(seccam_data_dir, {
        "Camera": {**FAST_CAMERA, "pre_roll_seconds": 1},
        "Sensors": {"sensors": [
            sensor("door", "Front door", "reed_switch", DOOR_PIN, {"bounce_time": 0}),
            sensor("hall", "Hall PIR", "pir", HALL_PIN,
                   {"warmup_seconds": 0, "retrigger_seconds": 0}),
        ]},
    })
    server = seccam_live_server(entry_points=True, media=True)
    door, hall = seccam_gpio.pin(DOOR_PIN), seccam_gpio.pin(HALL_PIN)
    door.drive_low()  # shut
    hall.drive_low()  # no motion
    sse, http = server.events(), server.client()
    listed = http.get("/sensors").json()["sensors"]
    assert [(s["id"], s["armed"], s["error"]) for s in listed] == [
        ("door", True, None), ("hall", True, None)]
    assert http.get("/sensor/status").json()["config"]["type"] == "reed_switch"  # primary
    camera_holds(server, 1)

    door.drive_high()  # the door opens: a recording starts
    seen = events_until(sse, "sensor_state", lambda d: d["recording_from_sensor"])
    started = of_type(seen, "recording_state")
    assert len(started) == 1 and started[0]["recording"] is True
    video = Path(started[0]["path"])
    hall.drive_high()  # motion in the hall while the door's recording runs
    seen = events_until(sse, "sensor_state",
                        lambda d: d["sensor_id"] == "hall" and d["triggered"])
    door.drive_low()
    hall.drive_low()
    seen += events_until(sse, "archive_updated", lambda d: d["type"] == "recording",
                         timeout=30)
    assert [r["recording"] for r in of_type(seen, "recording_state")] == [False]
    requests = of_type(seen, "recording_request")
    assert {k: v for k, v in requests[0].items() if k != "incident_id"} == {
        "source": "sensor", "active": True, "sensor_type": "pir", "sensor_id": "hall",
        "sensor_name": "Hall PIR", "sensors": ["door", "hall"]}
    assert requests[0]["incident_id"] == started[0]["incident_id"]  # the same incident
    meta = json.loads(video.with_name(video.stem + ".meta.json").read_text())
    assert meta["sensors"] == ["door", "hall"] and meta["duration_seconds"] > 0

    hall.drive_high()  # the PIR alone makes a recording of its own
    seen = events_until(sse, "sensor_state", lambda d: d["recording_from_sensor"])
    second = Path(of_type(seen, "recording_state")[0]["path"])
    hall.drive_low()
    events_until(sse, "archive_updated", lambda d: d["type"] == "recording", timeout=30)
    folder = server.seccam.require(MEDIA).layout.recordings_dir
    assert sorted(folder.glob("output_*.mp4")) == sorted([video, second])
    meta = json.loads(second.with_name(second.stem + ".meta.json").read_text())
    assert meta["sensors"] == ["hall"] and meta["sensor_type"] == "pir"
