"""Incidents end to end: one id from the trigger to the final clip (mock sensor, real media)."""

from __future__ import annotations

import json
from pathlib import Path

import seccam_sensor_mock
from recording_kit import FAST_CAMERA, add_settings, camera_holds, events_until

from seccam_core.testing import SwitchablePresence


def start(seccam_live_server, seccam_data_dir, *plugins, hold=0.3):
    add_settings(seccam_data_dir, {
        "Camera": {**FAST_CAMERA, "pre_roll_seconds": 1},
        "Sensor": {"type": "mock", "enabled": True, "hold_seconds": hold, "gpio": None},
    })
    server = seccam_live_server(seccam_sensor_mock, *plugins, media=True)
    camera_holds(server, 1)
    return server, server.client(), server.events()


def test_one_incident_ties_the_trigger_snapshot_recording_and_final_clip(
        seccam_live_server, seccam_data_dir):
    _, http, events = start(seccam_live_server, seccam_data_dir, hold=1.0)
    http.post("/sensor/mock/trigger").raise_for_status()
    http.post("/sensor/mock/release").raise_for_status()
    http.post("/sensor/mock/trigger").raise_for_status()  # inside the hold: same incident
    http.post("/sensor/mock/release").raise_for_status()
    seen = events_until(events, "incident", lambda d: d["state"] == "end", timeout=30)
    incidents = [e.data for e in seen if e.type == "incident"]
    assert [i["state"] for i in incidents] == ["new", "update", "end"]
    incident_id = incidents[0]["id"]
    assert {i["id"] for i in incidents} == {incident_id}
    for kind in ("recording_request", "recording_state"):
        tagged = [e.data for e in seen if e.type == kind]
        assert tagged and all(d["incident_id"] == incident_id for d in tagged), kind
    assert sum(1 for e in seen if e.type == "recording_request" and e.data["active"]) == 1
    recording = [e.data for e in seen if e.type == "archive_updated"
                 and e.data["type"] == "recording"]
    assert recording[0]["incident_id"] == incident_id
    end = incidents[-1]
    snapshot, clip = Path(end["snapshot"]), Path(end["clip"])
    assert snapshot.read_bytes().startswith(b"\xff\xd8")
    # Final when announced: the MP4 in place, no .part left, every sidecar written.
    assert clip.is_file() and not clip.with_name(clip.stem + ".part.mp4").exists()
    meta = json.loads(clip.with_name(clip.stem + ".meta.json").read_text())
    assert meta["incident_id"] == incident_id and meta["duration_seconds"] > 0
    assert clip.with_name(clip.stem + ".thumb.jpg").is_file()
    assert end["ended_at"] >= end["started_at"] and end["suppressed"] is False
    # Which sensor: the seed's unnamed sensor by its type's label, once however often
    # it re-triggered.
    assert (end["sensor_id"], end["sensor_name"]) == ("mock", "Mock sensor")
    assert end["sensors"] == [{"id": "mock", "name": "Mock sensor"}]


def test_a_trigger_while_someone_is_home_is_a_suppressed_incident_without_a_clip(
        seccam_live_server, seccam_data_dir):
    presence = SwitchablePresence()
    server, http, events = start(seccam_live_server, seccam_data_dir, presence)
    server.call(lambda: presence.set_home(True))
    http.post("/sensor/mock/trigger").raise_for_status()
    events_until(events, "incident", lambda d: d["state"] == "update")
    http.post("/sensor/mock/release").raise_for_status()
    seen = events_until(events, "incident", lambda d: d["state"] == "end")
    end = seen[-1].data
    assert end["suppressed"] is True and end["clip"] is None
    assert not any(e.type == "recording_request" for e in seen)
