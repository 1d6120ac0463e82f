"""The event history: what is kept, its filters, its retention, the original's spellings,
health samples, and SSE replays longer than the bus's buffer."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime

import pytest
import sensor_doubles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sensor_doubles import DOOR_PIN

from seccam_core.catalogue.history import Classifier
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.events import Event
from seccam_core.incidents import Incident
from seccam_core.sensing.doubles import StandInRecorder, SwitchablePresence
from seccam_core.testing import assert_documented, wait_until


@pytest.fixture
def door(seccam_gpio, seccam_live_server):
    """A live server with the test door on a mock pin, a stand-in recorder and presence."""
    recorder, presence = StandInRecorder(), SwitchablePresence()
    server = seccam_live_server(sensor_doubles, recorder, presence)
    server.presence = presence
    server.pin = seccam_gpio.pin(DOOR_PIN)
    server.sse = server.events()
    server.http = server.client()
    body = {"type": "test_door", "gpio": DOOR_PIN, "enabled": True, "hold_seconds": 0}
    assert server.http.post("/sensor/configure", json=body).status_code == 200
    server.pin.drive_low()  # the door is closed
    return server


def _history(server, **query):
    response = server.http.get("/events/history", params=query)
    assert response.status_code == 200, response.text
    return assert_documented(server.app, "get", "/events/history", response)


def test_triggers_releases_and_presence_are_kept_with_their_event_ids(door):
    door.pin.drive_high()
    trigger = door.sse.wait_for("sensor_state", lambda d: d["triggered"])
    door.pin.drive_low()
    release = door.sse.wait_for("sensor_state", lambda d: not d["triggered"])
    door.call(lambda: door.presence.set_home(True))
    door.sse.wait_for("presence_state", lambda d: d["someone_home"])

    kept = _history(door, type="sensor_trigger,sensor_release,someone_home")
    assert [item["type"] for item in kept] == ["someone_home", "sensor_release",
                                               "sensor_trigger"]
    assert [item["id"] for item in kept[1:]] == [release.id, trigger.id]
    assert kept[2]["event"] == "sensor_state" and kept[2]["data"] == trigger.data
    assert kept[2]["severity"] == "warning"
    # The sensor as people read it (the seed's unnamed one by its type's label), then
    # where it is.
    assert kept[2]["detail"] == f"Test door (test_door on GPIO {DOOR_PIN}) triggered"
    # A state change that is neither a trigger nor a release is not history.
    assert len(_history(door, type="sensor_trigger")) == 1

    # The original's spellings: the last `hours`, and the same as CSV.
    original = assert_documented(door.app, "get", "/event_history",
                                 door.http.get("/event_history", params={"hours": 1}))
    assert [item for item in original if item["type"] in
            ("sensor_trigger", "sensor_release", "someone_home")] == kept
    # The recording the trigger asked for (the stand-in recorder's) is history too.
    assert {"recording_started", "recording_stopped"} <= {item["type"] for item in original}
    table = door.http.get("/event_history/csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0] == ["timestamp", "type", "severity", "detail"]
    assert ["sensor_trigger", "warning"] in [row[1:3] for row in rows[1:]]


def test_each_change_of_the_arm_mode_in_force_is_kept_with_its_cause(door):
    """Who armed or disarmed, and when: the manual switch and presence each leave a row,
    a repeated mode does not."""
    for mode in ("night", "night", "disarmed", "away"):
        answer = door.http.post("/arming", json={"mode": mode})
        assert answer.status_code == 200, answer.text
    since = answer.json()["since"]
    door.sse.wait_for("arming_state", lambda d: d["mode"] == "away" and d["since"] == since)
    door.call(lambda: door.presence.set_home(True))
    home = door.sse.wait_for("arming_state", lambda d: d["mode"] == "home")

    kept = _history(door, type="arm_mode")
    assert [item["detail"] for item in kept] == [
        "arm mode home (presence)", "arm mode away (manual)", "arm mode disarmed (manual)",
        "arm mode night (manual)", "arm mode away (manual)"]
    assert kept[0]["id"] == home.id and kept[0]["event"] == "arming_state"
    assert kept[0]["data"] == home.data and kept[0]["severity"] == "info"


def test_incident_and_media_rows_say_which_and_what_happened():
    """The incident tracker's own payloads (the tracker needs the media plugin, which the
    live servers of this file leave out; tests/ui/test_system_history.py sees the rows
    of a real camera's incident)."""
    incident = Incident(id="inc_20261129T101500_3f9a1c", sensor_type="reed_switch",
                        started_at=time.time(), suppressed=True)
    incident.joined("front-door", "Front door")
    classify = Classifier()
    details = [classify(_event("incident", incident.payload(state)))
               for state in ("new", "update")]
    incident.joined("hall", "Hall")
    incident.joined("front-door", "Front door")  # again: named once
    details.append(classify(_event("incident", incident.payload("end"))))
    assert details == [
        ("incident", "warning", f"incident {incident.id} started (suppressed): Front door"),
        ("incident", "warning", f"incident {incident.id} updated (suppressed): Front door"),
        ("incident", "warning", f"incident {incident.id} ended (suppressed): Front door, Hall")]
    saved = classify(_event("archive_updated", {
        "type": "snapshot", "path": "/var/lib/seccam/recordings/snapshot_20261129_101500.jpg"}))
    assert saved == ("snapshot_saved", "info", "snapshot saved: snapshot_20261129_101500.jpg")
    stopped = classify(_event("recording_state", {
        "recording": False, "reason": "manual",
        "path": "/var/lib/seccam/recordings/output_20261129_101500.mp4"}))
    assert stopped == ("recording_stopped", "info",
                       "manual recording stopped: output_20261129_101500.mp4")


def _event(kind: str, data: dict) -> Event:
    return Event(1, kind, data, time.time(), b"")


def test_since_until_type_and_limit_filter_the_history(seccam_live_server):
    server = seccam_live_server()
    server.http = server.client()
    publish = server.seccam.bus.publish

    def alert(level: str) -> None:
        server.call(lambda: publish("system_alert", {
            "overall": level, "alerts": {"cpu_temp": level}, "values": {"cpu_temp": 70},
            "transitions": [{"metric": "cpu_temp", "from": "ok", "to": level}]}))

    alert("warning")
    time.sleep(0.05)  # two moments on the wall clock, for since/until to fall between
    middle = time.time()
    time.sleep(0.05)
    alert("critical")
    server.call(lambda: publish("presence_change", {"address": "AA:BB:CC:DD:EE:FF",
                                                    "name": "phone", "online": True}))

    everything = _history(server)
    assert [i["type"] for i in everything][:3] == ["presence_change", "health_alert",
                                                   "health_alert"]
    assert [i["severity"] for i in everything][:3] == ["info", "critical", "warning"]
    assert everything[1]["detail"] == "cpu_temp ok -> critical"
    iso_middle = datetime.fromtimestamp(middle, UTC).isoformat()
    later = _history(server, since=iso_middle, type="health_alert")
    assert [i["severity"] for i in later] == ["critical"]
    earlier = _history(server, until=str(middle), type="health_alert")  # epoch seconds
    assert [i["severity"] for i in earlier] == ["warning"]
    assert [i["type"] for i in _history(server, limit=1)] == ["presence_change"]
    assert _history(server, since=str(time.time() + 60)) == []

    for query, field in (({"since": "yesterday"}, "since"), ({"until": "1e400"}, "until"),
                         ({"type": "nonsense"}, "type"), ({"limit": "0"}, "limit"),
                         ({"since": str(middle + 1), "until": str(middle)}, "until")):
        response = server.http.get("/events/history", params=query)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"].startswith(field), response.text


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(
    st.sampled_from(["since", "until", "type", "limit", "hours"]),
    st.one_of(st.text(max_size=30), st.integers().map(str),
              st.floats(allow_nan=True).map(str),
              st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(
                  lambda d: d.isoformat()))))
def test_any_query_is_answered_or_refused_by_name_never_a_500(history_server, query):
    for path in ("/events/history", "/event_history", "/health_history"):
        response = history_server.http.get(path, params=query)
        assert response.status_code in (200, 400), (path, query, response.text)
        if response.status_code == 400:
            assert response.json()["error"].split(":")[0] in query, response.text


@pytest.fixture(scope="module")
def history_server(tmp_path_factory):
    from seccam_core.testing import LiveServer, make_app

    server = LiveServer(make_app(tmp_path_factory.mktemp("history-data"))).start()
    server.http = server.client()
    yield server
    server.stop()


async def _prune(catalogue) -> dict[str, int]:
    return await asyncio.wrap_future(catalogue.history.prune())


def test_old_and_oversized_history_is_pruned(seccam_live_server):
    """Months passing are stood in for by rows written with old timestamps."""
    server = seccam_live_server()
    server.http = server.client()
    catalogue = server.seccam.require(CATALOGUE)
    day = 86400
    for age_days in (400, 100, 1):
        server.call(lambda a=age_days: catalogue.db.run(lambda c: c.execute(
            "INSERT INTO events (event_id, ts, type, event, severity, detail, data, bytes) "
            "VALUES (?, ?, 'system_power', 'system_power', 'warning', 'reboot in 5 s', '{}', "
            "100)", (a, time.time() - a * day))))
    assert len(_history(server, type="system_power")) == 3
    written = server.http.post("/settings", json={"History": {"max_age_days": 30,
                                                              "max_mb": 1}})
    assert written.status_code == 200, written.text
    server.call(lambda: _prune(catalogue))
    assert [i["id"] for i in _history(server, type="system_power")] == [1]

    # Size: 3 MB of presence changes against a 1 MB limit keeps the newest, < 1 MB.
    name = "x" * 1000
    for i in range(1500):
        server.call(lambda i=i: server.seccam.bus.publish("presence_change", {
            "address": f"00:00:00:00:{i // 256:02X}:{i % 256:02X}", "name": name,
            "online": bool(i % 2)}))
    server.call(lambda: _prune(catalogue))
    kept = _history(server, type="presence_change", limit=10000)
    assert 300 < len(kept) < 1500
    assert kept[0]["data"]["address"] == "00:00:00:00:05:DB"  # the newest, number 1499
    assert "00:00:00:00:00:00" not in {item["data"]["address"] for item in kept}
    stored = server.call(lambda: catalogue.db.run(
        lambda c: c.execute("SELECT sum(bytes) FROM events").fetchone()[0]))
    assert stored <= 1024 * 1024


def test_a_replay_longer_than_the_buffer_comes_from_the_history(seccam_live_server,
                                                                 seccam_data_dir):
    server = seccam_live_server()
    publish = server.seccam.bus.publish
    first = server.call(lambda: publish("presence_change", {
        "address": "AA:BB:CC:DD:EE:01", "name": "phone", "online": True}))
    for i in range(600):  # more than the bus buffers (500), none of them history
        server.call(lambda i=i: publish("settings_changed", {"sections": [f"S{i}"]}))
    second = server.call(lambda: publish("presence_change", {
        "address": "AA:BB:CC:DD:EE:01", "name": "phone", "online": False}))

    reader = server.events(last_event_id=first.id - 1)
    replayed = reader.next()
    assert (replayed.id, replayed.type, replayed.data) == (first.id, "presence_change",
                                                          first.data)
    following = reader.next()
    assert following.type == "settings_changed" and following.id > first.id + 100
    ids = [replayed.id, following.id]
    while ids[-1] != second.id:
        ids.append(reader.next().id)
    assert ids == sorted(set(ids)), "no event twice, none out of order"
    reader.close()
    # A burst faster than one event per millisecond puts the ids ahead of the clock.
    server.call(lambda: [publish("settings_changed", {"sections": ["S"]}) for _ in range(5000)])
    third = server.call(lambda: publish("presence_change", {
        "address": "AA:BB:CC:DD:EE:01", "name": "phone", "online": True}))
    server.stop()

    # After a restart the ids go on after the last kept one; the history replays it.
    restarted = seccam_live_server()
    reader = restarted.events(last_event_id=second.id)
    event = reader.next()
    assert (event.id, event.type, event.data) == (third.id, "presence_change", third.data)
    restarted.call(lambda: restarted.seccam.bus.publish("presence_change", {
        "address": "AA:BB:CC:DD:EE:01", "name": "phone", "online": False}))
    assert reader.wait_for("presence_change").id > third.id


def test_health_samples_are_kept_for_health_history(seccam_live_server, seccam_data_dir):
    server = seccam_live_server()
    server.http = server.client()
    written = server.http.post("/settings", json={
        "History": {"health_sample_minutes": 0.05}, "System": {"alert_interval_seconds": 0.5}})
    assert written.status_code == 200, written.text
    samples = wait_until(lambda: server.http.get("/health_history").json(), 60,
                         "a health sample")
    sample = assert_documented(server.app, "get", "/health_history",
                               server.http.get("/health_history", params={"hours": 1000}))[0]
    assert sample["status"] in ("ok", "warning", "critical")
    assert set(sample["alerts"]) >= {"cpu_temp", "throttle"}
    assert samples[0]["timestamp"].endswith("Z")
    assert server.http.get("/health_history", params={"hours": 0}).status_code == 400


FORMULA_LIKE = st.text(min_size=1, max_size=40).map(lambda t: t.replace("\x00", "")) | \
    st.sampled_from(["=", "+", "-", "@", "\t", "\r"]).flatmap(
        lambda start: st.text(max_size=40).map(lambda rest: start + rest))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(FORMULA_LIKE, min_size=1, max_size=5))
async def test_the_csv_never_hands_a_spreadsheet_a_formula(seccam_client, names):
    """Device names come from outside (a phone's Bluetooth name), and a detail starts
    with one: whatever the name, no CSV cell starts like a formula, and the cell is the
    detail itself, marked as text where needed."""
    bus = seccam_client.seccam.bus
    for number, name in enumerate(names):
        bus.publish("presence_change", {"address": f"00:00:00:00:00:{number:02X}",
                                        "name": name, "online": True})
    kept = await (await seccam_client.get("/events/history?type=presence_change")).get_json()
    table = await (await seccam_client.get("/event_history/csv")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(table, newline="")))[1:]
    cells = {row[3] for row in rows if row[1] == "presence_change"}
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert cells == {("'" if item["detail"][:1] in "=+-@\t\r" else "") + item["detail"]
                     for item in kept}
