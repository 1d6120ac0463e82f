"""Quiet hours: weekly windows that may span midnight, checked against a minute-by-minute model."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from seccam_core import quiet_hours
from seccam_core.quiet_hours import DAYS

TIMES = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15,
                                                                                       30, 59]))
WINDOWS = st.fixed_dictionaries(
    {"start": TIMES, "end": TIMES},
    optional={"days": st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True)},
).filter(lambda w: w["start"] != w["end"])
MONDAY = datetime(2026, 1, 5)  # a Monday


def covered_minutes(window):
    """The model: walk minute by minute from each start day's start until the end time."""
    start_h, start_m = map(int, window["start"].split(":"))
    end = window["end"]
    minutes = set()
    for day in window.get("days") or DAYS:
        at = MONDAY + timedelta(days=DAYS.index(day), hours=start_h, minutes=start_m)
        while True:
            minutes.add(int((at - MONDAY).total_seconds() // 60) % (7 * 24 * 60))
            at += timedelta(minutes=1)
            if at.strftime("%H:%M") == end:
                break
    return minutes


@settings(max_examples=60, deadline=None)
@given(window=WINDOWS, minute=st.integers(0, 7 * 24 * 60 - 1))
def test_is_quiet_agrees_with_the_minute_model(window, minute):
    now = MONDAY + timedelta(minutes=minute)
    assert quiet_hours.is_quiet([window], now) == (minute in covered_minutes(window))


@settings(max_examples=60, deadline=None)
@given(windows=st.lists(WINDOWS, min_size=2, max_size=3))
def test_overlap_is_reported_exactly_when_windows_share_a_minute(windows):
    covers = [covered_minutes(w) for w in windows]
    overlapping = any(covers[i] & covers[j] for i in range(len(covers))
                      for j in range(i + 1, len(covers)))
    problem = quiet_hours.problem(windows)
    assert (problem is not None) == overlapping, problem
    if problem:
        assert "overlaps quiet_hours." in problem


def test_22_to_07_spans_midnight_into_the_next_day():
    window = [{"start": "22:00", "end": "07:00", "days": ["fri"]}]
    friday = MONDAY + timedelta(days=4)
    assert not quiet_hours.is_quiet(window, friday.replace(hour=21, minute=59))
    assert quiet_hours.is_quiet(window, friday.replace(hour=22))
    assert quiet_hours.is_quiet(window, friday + timedelta(days=1, hours=6, minutes=59))
    assert not quiet_hours.is_quiet(window, friday + timedelta(days=1, hours=7))
    # Sunday's window reaches Monday morning across the end of the week.
    sunday = [{"start": "23:00", "end": "01:00", "days": ["sun"]}]
    assert quiet_hours.is_quiet(sunday, MONDAY.replace(hour=0, minute=30))


def test_malformed_windows_are_named():
    assert quiet_hours.problem([{"start": "07:00", "end": "07:00"}]) == (
        "quiet_hours.0: start and end are equal")
    assert quiet_hours.problem([{"start": "22:00", "end": "07:00"},
                                {"start": "24:00", "end": "01:00"}]).startswith("quiet_hours.1")
