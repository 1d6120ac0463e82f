"""What every action gets from the core: queue, retries, gate, secrets, the /actions API."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

from seccam_core import (
    ActionType,
    Backoff,
    TransientError,
    action_section,
    hookimpl,
)
from seccam_core.actions import ActionRunner
from seccam_core.events import EventBus
from seccam_core.testing import assert_documented


class Facade:
    """The part of the Seccam facade the runner reads: settings of one section."""

    def __init__(self, **section):
        self.section = {"enabled": True, **section}
        outer = self

        class Settings:
            def get(self, name):
                return dict(outer.section)

            def snapshot(self, name):
                return dict(outer.section)

            def value(self, name, key, default=None):
                return outer.section.get(key, default)

            def secret_values(self):
                return ["hunter2"]

        self.settings = Settings()


async def test_a_full_queue_drops_the_oldest_waiting_event_and_counts_it():
    bus, gate, seen = EventBus(), asyncio.Event(), []

    async def slow(event, ctx):
        seen.append(event.data["n"])
        await gate.wait()

    runner = ActionRunner(bus, [ActionType("slow", frozenset({"door"}), slow, queue_size=3)],
                          None)
    runner.start()
    bus.publish("door", {"n": 0})
    await asyncio.sleep(0)  # the worker takes event 0 and waits in it
    for n in range(1, 6):
        bus.publish("door", {"n": n})
    gate.set()
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    assert seen == [0, 3, 4, 5]
    listed = runner.listing()[0]
    assert listed["dropped"] == 2 and listed["sent"] == 4
    outcomes = [d["outcome"] for d in runner.states["slow"].deliveries.listing()]
    assert outcomes.count("dropped") == 2


async def test_transient_failures_are_retried_with_growing_delays_and_one_delivery_id():
    bus, attempts, delays = EventBus(), [], []

    async def flaky(event, ctx):
        attempts.append((ctx.attempt, ctx.delivery_id))
        ctx.memo.setdefault("tries", 0)
        ctx.memo["tries"] += 1
        if ctx.memo["tries"] < 4:
            raise TransientError("receiver down (password hunter2)")
        return True

    async def no_wait(seconds):
        delays.append(seconds)

    action = ActionType("flaky", frozenset({"door"}), flaky, retries=5,
                        backoff=Backoff(base=1, factor=2, cap=3))
    runner = ActionRunner(bus, [action], Facade())
    runner.sleep = no_wait
    runner.start()
    event = bus.publish("door", {})
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    assert attempts == [(n, f"msg_{event.id}") for n in (1, 2, 3, 4)]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 1.5 <= delays[2] <= 3
    record = runner.states["flaky"].deliveries.listing()[0]
    assert record["outcome"] == "sent" and record["attempts"] == 4


async def test_a_final_failure_is_logged_without_secrets():
    bus = EventBus()

    async def broken(event, ctx):
        raise TransientError("bad password hunter2")

    async def no_wait(seconds):
        pass

    runner = ActionRunner(bus, [ActionType("broken", frozenset({"door"}), broken, retries=1)],
                          Facade())
    runner.sleep = no_wait
    runner.start()
    bus.publish("door", {})
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    record = runner.states["broken"].deliveries.listing()[0]
    assert record == {**record, "outcome": "failed", "attempts": 2,
                      "error": "bad password [redacted]"}
    assert runner.listing()[0]["last_error"] == "bad password [redacted]"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 1, 7, 12, 0).astimezone()

    def __call__(self):
        return self.now


@pytest.mark.parametrize("updates", [False, True])
async def test_one_message_per_incident_unless_the_action_asks_for_updates(updates):
    bus, sent = EventBus(), []

    async def note(event, ctx):
        sent.append(event.data["state"])

    action = ActionType("note", frozenset({"incident"}), note, section="Note",
                        updates=updates)
    runner = ActionRunner(bus, [action], Facade(cooldown_seconds=600), clock=Clock())
    runner.start()
    for state in ("new", "update", "end"):
        bus.publish("incident", {"id": "inc_1", "state": state})
    bus.publish("incident", {"id": "inc_2", "state": "new"})  # inside the cooldown
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    assert sent == (["new", "update", "end"] if updates else ["new"])
    skipped = [d["error"] for d in runner.states["note"].deliveries.listing()
               if d["outcome"] == "skipped"]
    assert "cooldown" in skipped


async def test_the_hourly_cap_counts_sent_messages_in_a_sliding_hour():
    bus, sent, clock = EventBus(), [], Clock()

    async def note(event, ctx):
        sent.append(event.data["id"])

    runner = ActionRunner(bus, [ActionType("note", frozenset({"incident"}), note,
                                           section="Note")],
                          Facade(max_per_hour=2), clock=clock)
    runner.start()
    for n in range(5):
        bus.publish("incident", {"id": f"inc_{n}", "state": "new"})
        await asyncio.wait_for(runner.drain(), 5)
        clock.now += timedelta(minutes=20)
    await runner.stop()
    # 12:00 and 12:20 are sent; 12:40 is capped (two in the last hour); at 13:00 the
    # 12:00 message has left the hour, at 13:20 the 12:20 one: both are sent.
    assert sent == ["inc_0", "inc_1", "inc_3", "inc_4"]


async def test_wants_may_read_the_actions_settings_and_what_it_refuses_leaves_no_trace():
    """A two-parameter ``wants`` gets the section as it is now: a flood of unwanted
    events neither fills the queue (the incident after it is not dropped) nor the
    delivery log; a one-parameter ``wants`` works as before."""
    bus, sent = EventBus(), []

    async def note(event, ctx):
        sent.append(event.type)

    def by_settings(event, settings):
        return event.type in settings["kinds"]

    facade = Facade(kinds=["incident"])
    runner = ActionRunner(bus, [
        ActionType("note", frozenset({"incident", "sensor_state"}), note, section="Note",
                   wants=by_settings, queue_size=10),
        ActionType("plain", frozenset({"incident", "sensor_state"}), note,
                   wants=lambda event: event.type == "sensor_state", queue_size=1000),
    ], facade, clock=Clock())
    runner.start()
    for n in range(50):
        bus.publish("sensor_state", {"n": n})
    bus.publish("incident", {"id": "inc_1", "state": "new"})
    await asyncio.wait_for(runner.drain(), 5)
    note_log = runner.states["note"].deliveries.listing()
    assert [d["event"] for d in note_log] == ["incident"]
    assert runner.states["note"].counters["dropped"] == 0
    assert len(runner.states["plain"].deliveries.listing()) == 50
    facade.section["kinds"] = ["sensor_state"]  # the owner changes the settings
    bus.publish("sensor_state", {"n": 50})
    bus.publish("incident", {"id": "inc_2", "state": "new"})
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    assert [d["event"] for d in runner.states["note"].deliveries.listing()] == [
        "sensor_state", "incident"]


def test_backoff_is_exponential_capped_and_jittered():
    backoff = Backoff(base=1, factor=2, cap=30)
    assert [backoff.delay(n, rng=lambda: 1.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert [backoff.delay(n, rng=lambda: 0.0) for n in range(1, 4)] == [0.5, 1, 2]


# --- a plugin with a secret, over HTTP -------------------------------------------------


class Pager:
    """A small action plugin for these tests: posts each ``door`` event to a URL."""

    seccam_plugin_name = "pager"

    def __init__(self):
        self.section = action_section(
            "Pager",
            properties={"url": {"type": "string", "pattern": "^https?://"},
                        "token": {"type": ["string", "null"]},
                        "targets": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"url": {"type": "string"},
                                           "key": {"type": ["string", "null"]}}}}},
            defaults={"url": "http://127.0.0.1:9/", "token": None, "targets": []},
            write_only={"token", "targets[].key"},
        )

    async def run(self, event, ctx):
        async with httpx.AsyncClient() as client:
            headers = {"x-token": ctx.settings.get("token") or ""}
            (await client.post(ctx.settings["url"], json=event.data, headers=headers)
             ).raise_for_status()
        return True

    @hookimpl
    def seccam_settings_sections(self):
        return [self.section]

    async def note(self, event, ctx):
        return True

    @hookimpl
    def seccam_actions(self):
        return [ActionType("pager", frozenset({"door"}), self.run, section="Pager"),
                ActionType("pager_note", frozenset({"door"}), self.note)]


def test_write_only_fields_are_set_through_the_api_and_never_read_back(
        seccam_live_server, seccam_receiver, seccam_data_dir):
    receiver = seccam_receiver
    server = seccam_live_server(Pager())
    http = server.client()
    events = server.events()
    token, key = "tok-" + "x1y2" * 6, "key-" + "q9w8" * 6
    answer = http.post("/settings", json={"Pager": {
        "enabled": True, "url": receiver.url, "token": token,
        "targets": [{"url": "http://a.example/", "key": key}, {"url": "http://b.example/"}]}})
    assert answer.status_code == 200, answer.text
    shown = http.get("/settings").json()["Pager"]
    assert shown["token_set"] is True and "token" not in shown
    assert shown["targets"] == [{"url": "http://a.example/", "key_set": True},
                                {"url": "http://b.example/", "key_set": False}]
    # Posting back what GET showed, reordered, keeps both secrets (items match by url);
    # snoozed_until is the action's own (internal) field.
    shown.pop("snoozed_until")
    http.post("/settings", json={"Pager": {**shown, "targets": shown["targets"][::-1]}}
              ).raise_for_status()
    stored = server.seccam.settings.get("Pager")
    assert stored["token"] == token and stored["targets"][1]["key"] == key
    assert http.post("/actions/pager/test").json()["outcome"] == "sent"
    assert receiver.wait_for(1)[0].header("x-token") == token
    for path in ("/settings", "/settings/export", "/openapi.json", "/actions",
                 "/actions/pager/deliveries"):
        text = http.get(path).text
        assert token not in text and key not in text, path
    # null clears a secret.
    http.post("/settings", json={"Pager": {"token": None}}).raise_for_status()
    assert http.get("/settings").json()["Pager"]["token_set"] is False
    server.stop()
    seen = list(iter(lambda: events.next(5), None))
    assert token not in str([e.data for e in seen])
    logs = "".join(p.read_text() for p in (seccam_data_dir / "logs").rglob("*.log*"))
    assert token not in logs and key not in logs


def test_the_actions_api_answers_as_documented(seccam_live_server, seccam_receiver):
    receiver = seccam_receiver
    server = seccam_live_server(Pager())
    http = server.client()
    http.post("/settings", json={"Pager": {"enabled": True, "url": receiver.url}}
              ).raise_for_status()
    tested = assert_documented(server.app, "post", "/actions/{name}/test",
                               http.post("/actions/pager/test"))
    assert tested == {"outcome": "sent", "attempts": 1, "error": None}
    snoozed = assert_documented(server.app, "post", "/actions/{name}/snooze",
                                http.post("/actions/pager/snooze", json={"minutes": 5}))
    assert snoozed["snoozed_until"] > 0
    listed = assert_documented(server.app, "get", "/actions", http.get("/actions"))
    pager = {a["name"]: a for a in listed["actions"]}["pager"]
    assert pager["state"] == "snoozed" and pager["sent"] == 1
    assert {a["name"] for a in listed["actions"]} == {"pager", "pager_note"}
    deliveries = assert_documented(server.app, "get", "/actions/{name}/deliveries",
                                   http.get("/actions/pager/deliveries"))["deliveries"]
    assert deliveries[0]["event"] == "test" and deliveries[0]["outcome"] == "sent"
    missing = http.get("/actions/nope/deliveries")
    assert missing.status_code == 404 and "pager" in missing.json()["available"]
    assert http.post("/actions/pager_note/snooze", json={"minutes": 5}).status_code == 400
    assert http.post("/actions/pager/snooze", json={"minutes": "x"}).status_code == 400


def test_a_disabled_action_gets_nothing(seccam_live_server, seccam_receiver):
    receiver = seccam_receiver
    server = seccam_live_server(Pager())
    http = server.client()
    http.post("/settings", json={"Pager": {"url": receiver.url}}).raise_for_status()
    server.call(lambda: server.seccam.bus.publish("door", {"n": 1}))
    server.call(server.seccam.action_runner.drain)
    pager = {a["name"]: a for a in http.get("/actions").json()["actions"]}["pager"]
    assert pager["state"] == "disabled" and pager["sent"] == 0 and receiver.requests == []


async def test_the_delivery_log_keeps_the_last_100_newest_first():
    bus = EventBus()

    async def note(event, ctx):
        return True

    runner = ActionRunner(bus, [ActionType("note", frozenset({"door"}), note, queue_size=200)],
                          None)
    runner.start()
    events = [bus.publish("door", {}) for _ in range(150)]
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    listed = runner.states["note"].deliveries.listing()
    assert [d["event_id"] for d in listed] == [e.id for e in reversed(events[-100:])]
