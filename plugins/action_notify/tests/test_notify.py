"""Push notifications over real HTTP: ntfy on a loopback receiver, real Apprise, real clips."""

from __future__ import annotations

import base64
import re
import subprocess
import time
from datetime import datetime

import httpx
import imageio_ffmpeg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notify_kit import Clock

from seccam_core.testing import wait_until


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "action_notify" in names


def test_a_trigger_sends_the_snapshot_at_once_and_the_clip_link_once_it_is_final(
        notify_server, seccam_receiver, tmp_path):
    apprise_receiver = seccam_receiver
    server = notify_server(link_base_url="", apprise_urls=[])
    server.http.post("/settings", json={"Notify": {
        "link_base_url": server.url, "apprise_urls": [f"json://127.0.0.1:{apprise_receiver.port}/push"],
        "ntfy": {"server": server.ntfy.url, "topic": "door", "tags": ["door"]}}}).raise_for_status()
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1, 30,
               "the camera's pre-roll")
    triggered = time.time()
    server.http.post("/sensor/mock/trigger").raise_for_status()
    first = server.ntfy.wait_for(1, timeout=10)[0]
    assert first.received_at - triggered < 5
    assert first.method == "PUT" and first.path == "/door"
    assert first.body.startswith(b"\xff\xd8") and first.header("filename") == "snapshot.jpg"
    # The seed's one sensor, never named, is called by its type's label.
    assert first.header("title") == "seccam: Mock sensor triggered"
    assert first.header("tags") == "door"
    pushed = apprise_receiver.wait_for(1, timeout=10)[0].json()
    assert pushed["title"] == "seccam: Mock sensor triggered"
    attachment = base64.b64decode(pushed["attachments"][0]["base64"])  # Apprise json://
    assert attachment.startswith(b"\xff\xd8")
    server.http.post("/sensor/mock/release").raise_for_status()
    second = server.ntfy.wait_for(2, timeout=30)[1]
    link = second.header("click")
    assert link.startswith(server.url + "/stream_video?video_path=output_")
    assert "signature=" in link and server.seccam.auth.token not in link
    expires = int(re.search(r"[?&]expires=(\d+)", link).group(1))
    assert 6.9 * 86400 < expires - time.time() <= 7 * 86400  # read the next days too
    # Tapped on a phone, with no token, the moment the message arrives: the clip is
    # final and plays.
    video = httpx.get(link, timeout=30)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(video.content)
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip),
                              "-f", "null", "-"], capture_output=True, text=True, check=False)
    assert decoded.returncode == 0 and not decoded.stderr, decoded.stderr
    assert len(server.ntfy.requests) == 2  # one incident: the snapshot and the clip


def test_messages_name_the_sensors_as_their_owner_named_them(notify_server):
    """Two mock sensors named by their owner; the second triggers inside the first's
    incident. The snapshot message names the sensor that began it, the clip message
    every sensor that triggered in it."""
    server = notify_server(cooldown_seconds=0, max_per_hour=0)
    renamed = server.http.put("/sensors/mock", json={"name": "Front door", "hold_seconds": 2})
    assert renamed.status_code == 200, renamed.text
    added = server.http.post("/sensors", json={"type": "mock", "name": "Hall", "gpio": None,
                                               "enabled": True, "hold_seconds": 0.3})
    assert added.status_code == 201, added.text
    hall = added.json()["id"]
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1, 30,
               "the camera's pre-roll")
    server.http.post("/sensor/mock/trigger").raise_for_status()
    first = server.ntfy.wait_for(1, timeout=10)[0]
    assert first.header("title") == "seccam: Front door triggered"
    server.http.post("/sensor/mock/trigger", json={"sensor_id": hall}).raise_for_status()
    for sensor in ("mock", hall):
        server.http.post("/sensor/mock/release", json={"sensor_id": sensor}).raise_for_status()
    second = server.ntfy.wait_for(2, timeout=30)[1]
    assert second.body.decode().startswith("The recording of Front door and Hall at ")


def publish_incident(server, number, *, clip=True, suppressed=False):
    incident = f"inc_test_{number}"
    common = {"id": incident, "sensor_type": "door", "started_at": "2026-01-01T00:00:00Z",
              "suppressed": suppressed, "snapshot": None, "ended_at": None, "clip": None}
    bus = server.seccam.bus
    server.call(lambda: bus.publish("incident", {**common, "state": "new"}))
    server.call(lambda: bus.publish("incident", {**common, "state": "update"}))
    server.call(lambda: bus.publish("incident", {
        **common, "state": "end", "clip": "/x/output_20260101_000000.mp4" if clip else None}))
    server.call(server.seccam.action_runner.drain)


def ntfy_titles(server):
    return [r.header("title") for r in server.ntfy.requests]


def test_twenty_incidents_inside_the_cooldown_give_exactly_what_the_settings_allow(
        notify_server):
    """Incidents are published on the bus (as the tracker would) with an injected clock,
    10 s apart: cooldown 60 s admits t=0, 60, 120, 180; the cap of 3 per hour stops the
    fourth. Each admitted incident sends its snapshot message and its clip follow-up."""
    server = notify_server(cooldown_seconds=60, max_per_hour=3)
    clock = Clock(datetime(2026, 1, 7, 12, 0).astimezone())
    server.seccam.action_runner.clock = clock
    for number in range(20):
        publish_incident(server, number)
        clock.advance(seconds=10)
    titles = ntfy_titles(server)
    assert len(titles) == 6
    assert titles[::2] == ["seccam: door triggered"] * 3
    skipped = [d for d in server.http.get("/actions/notify/deliveries").json()["deliveries"]
               if d["outcome"] == "skipped"]
    reasons = {d["error"] for d in skipped}
    assert reasons == {"cooldown", "hourly cap"}
    listed = {a["name"]: a for a in server.http.get("/actions").json()["actions"]}["notify"]
    assert listed["sent"] == 6 and listed["skipped"] == 34  # 17 incidents x (update, end)


def test_twenty_real_mock_triggers_inside_the_cooldown_notify_once(notify_server):
    """20 trigger/release pairs of the mock sensor (hold 0: 20 incidents, 20 recordings),
    10 s apart on the injected clock, with a cooldown of 300 s: one incident is notified
    (its snapshot, then its clip), the 19 others are skipped for the cooldown."""
    server = notify_server(cooldown_seconds=300, max_per_hour=0)
    server.http.post("/sensor/configure", json={"type": "mock", "enabled": True,
                                                "hold_seconds": 0}).raise_for_status()
    clock = Clock(datetime(2026, 1, 7, 12, 0).astimezone())
    server.seccam.action_runner.clock = clock
    events = server.events()
    wait_until(lambda: server.http.get("/camera/status").json()["state"] == "running", 30,
               "the camera")
    for _ in range(20):
        server.http.post("/sensor/mock/trigger").raise_for_status()
        server.http.post("/sensor/mock/release").raise_for_status()
        events.wait_for("incident", lambda d: d["state"] == "end", timeout=30)
        clock.advance(seconds=10)
    server.call(server.seccam.action_runner.drain)
    assert [r.method for r in server.ntfy.requests] == ["PUT", "POST"]
    notify = {a["name"]: a for a in server.http.get("/actions").json()["actions"]}["notify"]
    assert notify["sent"] == 2 and notify["skipped"] == 38  # 19 x (update, end)


@pytest.mark.parametrize(("weekday_time", "quiet"), [
    ((5, 21, 59), False),   # Friday 21:59
    ((5, 22, 0), True),     # Friday 22:00
    ((5, 23, 59), True),
    ((6, 0, 0), True),      # past midnight, into Saturday
    ((6, 6, 59), True),
    ((6, 7, 0), False),     # Saturday 07:00
    ((1, 3, 0), True),      # Monday 03:00: Sunday's window
])
def test_quiet_hours_hold_across_midnight(notify_server, weekday_time, quiet):
    day, hour, minute = weekday_time
    server = notify_server(cooldown_seconds=0,
                           quiet_hours=[{"start": "22:00", "end": "07:00"}])
    # 2026-01-05 is a Monday.
    server.seccam.action_runner.clock = Clock(
        datetime(2026, 1, 4 + day, hour, minute).astimezone())
    publish_incident(server, 1, clip=False)
    assert len(server.ntfy.requests) == (0 if quiet else 1)


def alert(to):
    return {"overall": to, "alerts": {"cpu_temp": to}, "values": {},
            "transitions": [{"metric": "cpu_temp", "from": "ok", "to": to}]}


@pytest.mark.parametrize("bypass", [True, False])
def test_a_critical_alert_goes_out_in_quiet_hours_only_when_allowed(notify_server, bypass):
    server = notify_server(quiet_hours=[{"start": "22:00", "end": "07:00"}],
                           urgent_bypasses_quiet_hours=bypass, alert_levels=["warn", "critical"])
    server.seccam.action_runner.clock = Clock(datetime(2026, 1, 7, 23, 30).astimezone())
    bus = server.seccam.bus
    server.call(lambda: bus.publish("system_alert", alert("warn")))
    server.call(lambda: bus.publish("system_alert", alert("critical")))
    server.call(server.seccam.action_runner.drain)
    assert ntfy_titles(server) == (["seccam health: critical"] if bypass else [])


def test_alerts_below_the_chosen_levels_leave_no_line_in_the_delivery_log(notify_server):
    """The default levels are critical only: a warning and the return to ok are neither
    sent nor logged, so the last 100 deliveries stay about what was sent."""
    server = notify_server(cooldown_seconds=0)
    bus = server.seccam.bus
    for level in ("warn", "ok", "critical"):
        server.call(lambda level=level: bus.publish("system_alert", alert(level)))
    server.call(server.seccam.action_runner.drain)
    # (No Pi here, so no real alert is about cpu_temp; a real one on a loaded machine
    # may be sent beside ours.)
    ours = [r.body.decode() for r in server.ntfy.requests if b"cpu_temp" in r.body]
    assert ours == ["cpu_temp: ok -> critical"]
    deliveries = server.http.get("/actions/notify/deliveries").json()["deliveries"]
    assert deliveries and {(d["event"], d["outcome"]) for d in deliveries} == {
        ("system_alert", "sent")}


def test_snooze_holds_notifications_until_it_ends(notify_server):
    server = notify_server(cooldown_seconds=0)
    clock = Clock(datetime(2026, 1, 7, 12, 0).astimezone())
    server.seccam.action_runner.clock = clock
    answer = server.http.post("/notify/snooze", json={"minutes": 30})
    assert answer.status_code == 200
    assert answer.json()["snoozed_until"] == clock.now.timestamp() + 1800
    publish_incident(server, 1, clip=False)
    clock.advance(minutes=29)
    publish_incident(server, 2, clip=False)
    assert server.ntfy.requests == []
    assert {a["name"]: a for a in server.http.get("/actions").json()["actions"]}[
        "notify"]["state"] == "snoozed"
    clock.advance(minutes=2)
    publish_incident(server, 3, clip=False)
    assert len(server.ntfy.requests) == 1
    assert server.http.post("/notify/snooze", json={"minutes": -1}).status_code == 400


@pytest.mark.parametrize("when_home", [False, True])
def test_nothing_while_someone_is_home_unless_asked(notify_server, when_home):
    server = notify_server(cooldown_seconds=0, notify_when_home=when_home)
    publish_incident(server, 1, clip=False, suppressed=True)
    assert len(server.ntfy.requests) == (1 if when_home else 0)


def test_the_token_and_apprise_urls_are_write_only(notify_server, seccam_receiver,
                                                   seccam_data_dir):
    server = notify_server()
    events = server.events()
    token = "tk_" + "s3cr3t" * 5
    apprise_url = f"json://user:pa55word@127.0.0.1:{seccam_receiver.port}/x"
    server.http.post("/settings", json={"Notify": {
        "ntfy": {"server": server.ntfy.url, "topic": "door", "token": token},
        "apprise_urls": [apprise_url]}}).raise_for_status()
    shown = server.http.get("/settings").json()["Notify"]
    assert shown["ntfy"] == {"server": server.ntfy.url, "topic": "door", "token_set": True}
    assert shown["apprise_urls_set"] is True and "apprise_urls" not in shown
    server.http.post("/settings", json={"Notify": {"ntfy": {
        "server": server.ntfy.url, "topic": "hall"}}}).raise_for_status()
    assert server.http.post("/actions/notify/test").json()["outcome"] == "sent"
    request = server.ntfy.wait_for(1)[0]
    assert request.path == "/hall" and request.header("authorization") == f"Bearer {token}"
    for path in ("/settings", "/settings/export", "/actions", "/actions/notify/deliveries"):
        text = server.http.get(path).text
        assert token not in text and "pa55word" not in text, path
    server.stop()
    seen = list(iter(lambda: events.next(5), None))
    assert token not in "".join(str(e.data) for e in seen)
    logs = "".join(p.read_text() for p in (seccam_data_dir / "logs").rglob("*.log*"))
    assert token not in logs and "pa55word" not in logs


BAD = [
    ({"ntfy": {"server": "ftp://127.0.0.1", "topic": "door"}}, "Notify.ntfy.server"),
    ({"ntfy": {"server": "http://127.0.0.1:9", "topic": ""}}, "Notify.ntfy.topic"),
    ({"link_base_url": "javascript:alert(1)"}, "Notify.link_base_url"),
    ({"apprise_urls": ["nosuchservice://x"]}, "Notify.apprise_urls.0"),
    ({"quiet_hours": [{"start": "22:00", "end": "07:00"}, {"start": "06:30", "end": "08:00"}]},
     "Notify.quiet_hours.1"),
    ({"quiet_hours": [{"start": "7pm", "end": "07:00"}]}, "Notify.quiet_hours.0.start"),
    ({"quiet_hours": [{"start": "07:00", "end": "07:00"}]}, "Notify.quiet_hours.0"),
    ({"cooldown_seconds": 86401}, "Notify.cooldown_seconds"),
    ({"max_per_hour": -1}, "Notify.max_per_hour"),
]


@pytest.fixture
def plain_server(seccam_live_server):
    import seccam_action_notify

    server = seccam_live_server(seccam_action_notify)
    server.http = server.client()
    return server


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(plain_server, change,
                                                                   field):
    before = plain_server.http.get("/settings").json()["Notify"]
    answer = plain_server.http.post("/settings", json={"Notify": change})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(field), answer.text
    assert plain_server.http.get("/settings").json()["Notify"] == before


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["cooldown_seconds", "max_per_hour"]),
       value=st.one_of(st.integers(max_value=-1), st.integers(min_value=86401),
                       st.text(max_size=5), st.floats(allow_nan=False, allow_infinity=False)))
def test_out_of_bounds_numbers_are_refused_and_nothing_is_stored(plain_server, field, value):
    if isinstance(value, float) and value.is_integer():
        value += 0.5  # 3.0 is an integer to JSON Schema
    before = plain_server.http.get("/settings").json()["Notify"]
    answer = plain_server.http.post("/settings", json={"Notify": {field: value}})
    assert answer.status_code == 400 and answer.json()["error"].startswith(f"Notify.{field}")
    assert plain_server.http.get("/settings").json()["Notify"] == before
