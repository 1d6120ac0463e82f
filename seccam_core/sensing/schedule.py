"""Weekly arming windows: ``{days, start, end, mode}``, in the Pi's local time.

A window may span midnight (``22:00``-``07:00`` starts on each of its days and ends the
next morning). Times are wall-clock times in a :class:`zoneinfo.ZoneInfo` zone, so a
window keeps its local times across a DST change (the night is an hour shorter or
longer); an edge is an absolute moment (epoch seconds). A local time that does not
exist (the spring-forward gap) falls where :mod:`zoneinfo` puts it (``fold=0``: the
offset before the change, i.e. an hour later on the clock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from seccam_core.errors import InvalidValue

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"

WINDOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "days": {"type": "array", "items": {"enum": list(DAYS)}, "minItems": 1,
                 "uniqueItems": True, "description": "The days it starts on (mon..sun)."},
        "start": {"type": "string", "pattern": TIME_PATTERN,
                  "description": "Local start time, HH:MM."},
        "end": {"type": "string", "pattern": TIME_PATTERN,
                "description": "Local end time, HH:MM; earlier than start: the next day."},
        "mode": {"enum": ["disarmed", "home", "away", "night"],
                 "description": "The arm mode while it lasts."},
    },
    "required": ["days", "start", "end", "mode"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Edge:
    """A window starting (``start``) or ending at ``at`` (epoch seconds)."""

    at: float
    kind: str
    mode: str
    window: int


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _span(window: Mapping[str, Any]) -> int:
    """The window's length in minutes (across midnight when end <= start)."""
    return (_minutes(window["end"]) - _minutes(window["start"])) % (24 * 60)


def check_windows(windows: Sequence[Mapping[str, Any]]) -> None:
    """:class:`InvalidValue` naming the field for an empty window or two that overlap
    with different modes (overlapping windows of the same mode are fine)."""
    spans: list[tuple[int, int, int, str]] = []
    for index, window in enumerate(windows):
        if _span(window) == 0:
            raise InvalidValue(f"schedules[{index}].end: equals start; a window needs a length")
        for day in window["days"]:
            begin = DAYS.index(day) * 1440 + _minutes(window["start"])
            spans.append((index, begin, begin + _span(window), window["mode"]))
    for a_index, a_begin, a_end, a_mode in spans:
        for b_index, b_begin, b_end, b_mode in spans:
            if b_index <= a_index or a_mode == b_mode:
                continue
            for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES):
                if a_begin < b_end + shift and b_begin + shift < a_end:
                    raise InvalidValue(
                        f"schedules[{b_index}]: overlaps schedules[{a_index}] with another "
                        f"mode ({b_mode} against {a_mode})")


def edges(windows: Sequence[Mapping[str, Any]], zone: dt.tzinfo,
          after: float, until: float) -> Iterator[Edge]:
    """Every edge with ``after < at <= until``, in time order (ends before starts at
    the same moment, so back-to-back windows hand over cleanly)."""
    first = dt.datetime.fromtimestamp(after, zone).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(until, zone).date()
    found: list[Edge] = []
    day = first
    while day <= last:
        name = DAYS[day.weekday()]
        for index, window in enumerate(windows):
            if name not in window["days"]:
                continue
            start_minutes = _minutes(window["start"])
            start = dt.datetime.combine(day, dt.time(start_minutes // 60, start_minutes % 60),
                                        tzinfo=zone)
            end_day = day + dt.timedelta(days=1) if _span(window) + start_minutes >= 1440 else day
            end_minutes = _minutes(window["end"])
            end = dt.datetime.combine(end_day, dt.time(end_minutes // 60, end_minutes % 60),
                                      tzinfo=zone)
            for moment, kind in ((start, "start"), (end, "end")):
                at = moment.timestamp()
                if after < at <= until:
                    found.append(Edge(at, kind, window["mode"], index))
        day += dt.timedelta(days=1)
    found.sort(key=lambda edge: (edge.at, edge.kind != "end"))
    yield from found


def local_zone(name: str = "") -> dt.tzinfo:
    """The named zone, else the Pi's own (``TZ``, ``/etc/timezone``, ``/etc/localtime``),
    else UTC."""
    candidates = [name, os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for candidate in candidates:
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return dt.UTC


def schedule_check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
    """The ``Arming`` section's rule beyond its schema (a settings check)."""
    try:
        check_windows(new.get("schedules") or [])
    except InvalidValue as exc:
        return f"Arming.{exc.message}"
    return None
