"""A tracked phone at home stands the camera down; once it has left, a trigger records.

Runs in the ``integration`` env: the mock sensor plugin and seccam-presence-bt are
installed as users install them, and the builtin recorder records from its test-pattern
camera (real ffmpeg). BlueZ is python-dbusmock's ``bluez5`` template on a private system
bus (``seccam_presence_bt.testing``). The template has no notion of radio range, so
the phone leaving is mocked: its ``Device1.Connect`` fails as after a page timeout.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

from recording_kit import add_settings
from seccam_presence_bt.testing import bluez, system_bus  # noqa: F401 (fixtures)

PHONE = "AA:BB:CC:DD:EE:01"
SETTINGS = {
    "Presence": {"poll_interval_seconds": 0.2, "away_after_seconds": 1,
                 "probe_timeout_seconds": 2},
    "Camera": {"pre_roll_seconds": 1, "test_pattern_size": "160x120", "test_pattern_fps": 10},
}


def events_until(reader: Any, event_type: str, predicate: Callable[[Any], bool],
                 timeout: float = 20.0) -> list[Any]:
    """Every event read up to and including the first ``event_type`` matching ``predicate``."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            event = reader.next(max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event is None:
            raise ConnectionError("the event stream closed")
        seen.append(event)
        if event.type == event_type and predicate(event.data):
            return seen
    raise TimeoutError(f"no matching {event_type} within {timeout} s")


def test_a_trigger_while_the_phone_is_home_is_suppressed_and_one_after_it_left_records(
        bluez, seccam_live_server, seccam_data_dir):  # noqa: F811 (fixtures)
    bluez.add_adapter()
    bluez.add_device(PHONE, "Anna's phone")
    add_settings(seccam_data_dir, SETTINGS)  # merged: keeps the captive portal's netns seed
    server = seccam_live_server(entry_points=True, media=True)
    client = server.client()
    events = server.events()
    configured = client.post("/sensor/configure", json={"type": "mock", "hold_seconds": 0})
    assert configured.status_code == 200, configured.text

    # The phone is paired and tracked: someone is home, the sensor stands down.
    assert client.post("/devices/bt/add", json={"address": PHONE}).status_code == 200
    before = events_until(events, "sensor_state", lambda d: d["armed"] and d["suppressed"])
    assert client.post("/sensor/mock/trigger").status_code == 200
    before += events_until(events, "sensor_state", lambda d: d["triggered"])
    assert before[-1].data["suppressed"] is True
    assert client.post("/sensor/mock/release").status_code == 200
    before += events_until(events, "sensor_state", lambda d: not d["triggered"])

    # The phone leaves: after the away delay the sensor is armed again.
    bluez.leave(PHONE)
    before += events_until(events, "sensor_state", lambda d: not d["suppressed"])
    assert any(e.type == "presence_state" and not e.data["someone_home"] for e in before)
    assert not [e for e in before if e.type in ("recording_request", "recording_state")
                and (e.data.get("active") or e.data.get("recording"))], \
        "a trigger while the phone was home started a recording"
    assert client.get("/sensor/status").json()["recording_from_sensor"] is False

    assert client.post("/sensor/mock/trigger").status_code == 200
    after = events_until(events, "recording_state",
                         lambda d: d["recording"] and d.get("reason") == "sensor")
    request = next(e for e in after if e.type == "recording_request")
    assert request.data == {"source": "sensor", "active": True, "sensor_type": "mock",
                            "sensor_id": "reed-switch", "sensor_name": "Mock sensor",
                            "sensors": ["reed-switch"],
                            "incident_id": request.data["incident_id"]}
    assert request.data["incident_id"].startswith("inc_")
    assert client.post("/sensor/mock/release").status_code == 200
    events_until(events, "recording_state", lambda d: not d["recording"])
