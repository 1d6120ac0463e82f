"""Quiet hours: weekly windows, in local time, that may span midnight.

A window is ``{"start": "22:00", "end": "07:00", "days": ["mon", ...]}``. ``days`` are
the days a window *starts* on (all seven when left out); a window whose end is not after
its start runs into the next day, so ``22:00-07:00`` on ``fri`` covers Friday 22:00 to
Saturday 07:00. Windows may not overlap, and start and end may not be equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")

WINDOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "start": {"type": "string", "pattern": _TIME.pattern,
                  "description": "local time HH:MM the window begins"},
        "end": {"type": "string", "pattern": _TIME.pattern,
                "description": "local time HH:MM it ends (next day when not after start)"},
        "days": {"type": "array", "items": {"enum": list(DAYS)}, "uniqueItems": True,
                 "minItems": 1, "description": "the days it starts on (default: every day)"},
    },
    "required": ["start", "end"],
    "additionalProperties": False,
}
QUIET_HOURS_SCHEMA: dict[str, Any] = {
    "type": "array", "items": WINDOW_SCHEMA, "maxItems": 28,
    "description": "weekly windows in local time in which nothing is sent; "
                   "22:00-07:00 spans midnight",
}


def _minutes(text: str) -> int:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time HH:MM")
    return int(match.group(1)) * 60 + int(match.group(2))


def spans(window: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The minutes of the week ``[from, to)`` a window covers (to may pass the week's end)."""
    start, end = _minutes(window["start"]), _minutes(window["end"])
    if start == end:
        raise ValueError("start and end are equal")
    length = (end - start) % (24 * 60)
    days = window.get("days") or DAYS
    return [(DAYS.index(day) * 24 * 60 + start, DAYS.index(day) * 24 * 60 + start + length)
            for day in days]


def problem(windows: Sequence[Mapping[str, Any]], field: str = "quiet_hours") -> str | None:
    """``"quiet_hours.1: ..."`` for a malformed or overlapping window, else ``None``."""
    covered: list[tuple[int, int, int]] = []
    for index, window in enumerate(windows):
        try:
            for begin, finish in spans(window):
                covered.append((begin, finish, index))
        except (ValueError, KeyError, TypeError) as exc:
            return f"{field}.{index}: {exc}"
    for position, (begin, finish, index) in enumerate(covered):
        for other_begin, other_finish, other in covered[position + 1:]:
            if other == index:
                continue
            for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES):
                if begin < other_finish + shift and other_begin + shift < finish:
                    return f"{field}.{max(index, other)}: overlaps {field}.{min(index, other)}"
    return None


def is_quiet(windows: Sequence[Mapping[str, Any]], now: datetime) -> bool:
    """Whether ``now`` (local time) falls in one of the windows."""
    minute = now.weekday() * 24 * 60 + now.hour * 60 + now.minute
    for window in windows:
        for begin, finish in spans(window):
            if begin <= minute < finish or begin <= minute + WEEK_MINUTES < finish:
                return True
    return False
