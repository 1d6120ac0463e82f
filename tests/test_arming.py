"""Arm modes: schedules across midnight and DST (an injected clock), over HTTP, restarts.

The schedule tests drive :class:`ArmingState` with explicit moments (no waiting); the
HTTP tests use a live server with the test door and a stand-in recorder.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sensor_doubles
from hypothesis import given, settings
from hypothesis import strategies as st

from seccam_core.errors import InvalidValue
from seccam_core.sensing.arming import ArmingState
from seccam_core.sensing.doubles import StandInRecorder
from seccam_core.sensing.schedule import DAYS, check_windows

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = [{"days": list(DAYS), "start": "22:00", "end": "07:00", "mode": "night"}]


def at(*args: int) -> float:
    """Epoch seconds of a wall-clock time in Berlin."""
    return dt.datetime(*args, tzinfo=BERLIN).timestamp()


def utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%m-%d %H:%M")


class Clock:
    """An injected clock: the state is advanced step by step, as the service's timer does."""

    def __init__(self, start: float, windows=NIGHT) -> None:
        self.now = start
        self.windows = windows
        self.state = ArmingState("away", "manual", start, "away")

    def to(self, moment: float) -> tuple[str, str]:
        self.state.advance(self.windows, BERLIN, self.now, moment)
        self.now = moment
        return self.state.mode, self.state.source


@pytest.mark.parametrize(("day", "evening_utc", "morning_utc", "hours"), [
    ((2026, 3, 28), "03-28 21:00", "03-29 05:00", 8),   # spring forward: a short night
    ((2026, 10, 24), "10-24 20:00", "10-25 06:00", 10),  # fall back: a long night
    ((2026, 6, 13), "06-13 20:00", "06-14 05:00", 9),   # an ordinary summer night
])
def test_a_night_window_switches_at_both_edges_across_midnight_and_dst(
        day, evening_utc, morning_utc, hours):
    clock = Clock(at(*day, 12, 0))
    assert clock.to(at(*day, 21, 59, 59)) == ("away", "manual")
    assert clock.to(at(*day, 22, 0)) == ("night", "schedule")
    assert utc(clock.state.since) == evening_utc
    next_day = dt.date(*day) + dt.timedelta(days=1)
    assert clock.to(at(next_day.year, next_day.month, next_day.day, 6, 59)) == (
        "night", "schedule")
    assert clock.to(at(next_day.year, next_day.month, next_day.day, 7, 0)) == (
        "away", "schedule")
    assert utc(clock.state.since) == morning_utc
    assert clock.state.since - at(*day, 22, 0) == hours * 3600


def test_a_manual_change_holds_until_the_next_window_starts():
    clock = Clock(at(2026, 5, 4, 12, 0))
    clock.to(at(2026, 5, 4, 23, 0))
    clock.state.set_manual("disarmed", at(2026, 5, 4, 23, 0))  # up late, disarms by hand
    assert clock.to(at(2026, 5, 5, 7, 30)) == ("disarmed", "manual")  # the end leaves it
    assert clock.state.next_change(NIGHT, BERLIN, clock.now) == {
        "at": "2026-05-05T20:00:00Z", "mode": "night"}
    assert clock.to(at(2026, 5, 5, 22, 0)) == ("night", "schedule")
    assert clock.to(at(2026, 5, 6, 7, 0)) == ("disarmed", "schedule")  # back to before


def test_a_long_jump_applies_every_edge_in_order():
    """A restart after a day down: the edges passed are replayed, not lost."""
    clock = Clock(at(2026, 5, 4, 12, 0))
    assert clock.to(at(2026, 5, 6, 3, 0)) == ("night", "schedule")
    assert clock.to(at(2026, 5, 8, 9, 0)) == ("away", "schedule")


def test_weekday_windows_only_start_on_their_days():
    windows = [{"days": ["fri"], "start": "18:00", "end": "02:00", "mode": "away"},
               {"days": ["mon", "tue"], "start": "09:00", "end": "17:00", "mode": "home"}]
    clock = Clock(at(2026, 5, 4, 8, 0), windows)  # a Monday
    clock.state.set_manual("night", clock.now)
    assert clock.to(at(2026, 5, 4, 9, 0)) == ("home", "schedule")
    assert clock.to(at(2026, 5, 4, 17, 0)) == ("night", "schedule")
    assert clock.to(at(2026, 5, 6, 12, 0)) == ("night", "schedule")  # Wednesday: nothing
    assert clock.to(at(2026, 5, 8, 18, 0)) == ("away", "schedule")  # Friday evening
    assert clock.to(at(2026, 5, 9, 2, 0)) == ("night", "schedule")


@settings(max_examples=80, deadline=None)
@given(start=st.integers(0, 1439), length=st.integers(1, 1439),
       steps=st.lists(st.integers(60, 20 * 3600), min_size=1, max_size=30))
def test_stepping_the_clock_gives_the_same_mode_as_one_jump(start, length, steps):
    window = [{"days": ["mon", "wed", "sat"], "start": f"{start // 60:02}:{start % 60:02}",
               "end": f"{(start + length) % 1440 // 60:02}:{(start + length) % 60:02}",
               "mode": "night"}]
    begin = at(2026, 3, 26, 0, 0)  # the week of the spring DST change
    stepped, jumped = Clock(begin, window), Clock(begin, window)
    for step in steps:
        stepped.to(stepped.now + step)
    jumped.to(stepped.now)
    assert (stepped.state.mode, stepped.state.since) == (jumped.state.mode, jumped.state.since)


@pytest.mark.parametrize(("windows", "field"), [
    ([NIGHT[0], {"days": ["tue"], "start": "06:00", "end": "08:00", "mode": "away"}],
     "schedules[1]"),
    ([{"days": ["sun"], "start": "22:00", "end": "07:00", "mode": "night"},
      {"days": ["mon"], "start": "05:00", "end": "06:00", "mode": "home"}], "schedules[1]"),
    ([{"days": ["sun"], "start": "22:00", "end": "22:00", "mode": "night"}],
     "schedules[0].end"),
])
def test_windows_that_disagree_or_are_empty_are_refused(windows, field):
    with pytest.raises(InvalidValue, match=field.replace("[", r"\[").replace("]", r"\]")):
        check_windows(windows)


def test_overlapping_windows_of_one_mode_are_fine():
    check_windows([NIGHT[0], {"days": ["sat"], "start": "20:00", "end": "23:00",
                              "mode": "night"}])


# --- over HTTP ------------------------------------------------------------------------


@pytest.fixture
def armed(seccam_gpio, seccam_live_server):
    server = seccam_live_server(sensor_doubles, StandInRecorder())
    server.http, server.sse = server.client(), server.events()
    return server


def test_get_and_post_arming(armed):
    state = armed.http.get("/arming").json()
    assert (state["mode"], state["source"], state["set_mode"]) == ("away", "manual", "away")
    assert "next_change" not in state  # no schedules
    answer = armed.http.post("/arming", json={"mode": "night"}).json()
    assert (answer["mode"], answer["source"]) == ("night", "manual")
    event = armed.sse.wait_for("arming_state", lambda d: d["mode"] == "night").data
    assert event["since"] == answer["since"]


@pytest.mark.parametrize("body", [{"mode": "vacation"}, {}, {"mode": "night", "x": 1}])
def test_a_bad_mode_is_a_400_and_changes_nothing(armed, body):
    response = armed.http.post("/arming", json=body)
    assert response.status_code == 400 and response.json()["error"]
    assert armed.http.get("/arming").json()["mode"] == "away"


def test_schedules_are_validated_when_saved(armed):
    before = (armed.seccam.data_dir / "settings.json").read_bytes()
    bad = armed.http.post("/settings", json={"Arming": {"schedules": [
        NIGHT[0], {"days": ["tue"], "start": "06:00", "end": "08:00", "mode": "away"}]}})
    assert bad.status_code == 400 and "Arming.schedules[1]" in bad.json()["error"]
    assert (armed.seccam.data_dir / "settings.json").read_bytes() == before
    good = armed.http.post("/settings", json={"Arming": {"schedules": NIGHT}})
    assert good.status_code == 200, good.text
    assert armed.http.get("/arming").json()["next_change"]["mode"] in ("night", "away")


def test_the_mode_survives_a_restart(seccam_gpio, seccam_data_dir, seccam_live_server):
    first = seccam_live_server(sensor_doubles, StandInRecorder())
    set_at = first.client().post("/arming", json={"mode": "disarmed"}).json()["since"]
    first.stop()
    second = seccam_live_server(sensor_doubles, StandInRecorder())
    state = second.client().get("/arming").json()
    assert (state["mode"], state["source"], state["since"]) == ("disarmed", "manual", set_at)
