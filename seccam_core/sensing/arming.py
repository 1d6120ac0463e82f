"""Arm modes: ``disarmed``, ``home``, ``away``, ``night`` (Home Assistant's names).

The mode in force comes from three places:

* **manual**: ``POST /arming``. It holds until the next schedule window *starts*
  (a window's end leaves a manual mode alone).
* **schedule**: a weekly window (``sensing/schedule.py``) sets its mode when it starts;
  when it ends, the mode in force before it comes back, unless a manual change came in
  between.
* **presence**: while someone is at home and the mode is ``away``, the effective mode
  is ``home`` (the ``Arming.presence_home`` rule, on by default).

A sensor starts recordings only in the modes it lists (its ``modes``); any other
trigger is suppressed, with the reason. The state (mode, source, since, the mode to
come back to) is kept in the ``Arming`` section, so it survives a restart; edges passed
while the server was down are applied at start. Every change of the effective mode or
its source publishes ``arming_state``.

:class:`ArmingState` is the pure part (a clock passed in as ``now``); :class:`Arming`
is the service that runs it on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seccam_core.contributions import SettingsSection
from seccam_core.events import Event
from seccam_core.runtime import Seccam
from seccam_core.sensing.config import ARM_MODES
from seccam_core.sensing.schedule import WINDOW_SCHEMA, edges, local_zone

log = logging.getLogger(__name__)

SECTION = "Arming"
EVENT = "arming_state"
CATCH_UP_SECONDS = 8 * 24 * 3600  # edges older than a week and a day change nothing now
MAX_SLEEP_SECONDS = 60.0  # re-check at least this often: the wall clock may jump

STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "mode": {"enum": list(ARM_MODES)},
        "source": {"enum": ["manual", "schedule"]},
        "since": {"type": "number"},
        "resume": {"enum": list(ARM_MODES)},
    },
    "required": ["mode", "source", "since", "resume"],
    "additionalProperties": False,
}
ARMING_SECTION = SettingsSection(
    name=SECTION,
    description="Arm modes: weekly schedules, the presence rule and the mode in force.",
    schema={
        "type": "object",
        "properties": {
            "schedules": {"type": "array", "items": WINDOW_SCHEMA, "maxItems": 64,
                          "description": "Weekly windows; may span midnight."},
            "presence_home": {"type": "boolean",
                              "description": "While someone is at home, away counts as home."},
            "timezone": {"type": "string", "maxLength": 64,
                         "description": "IANA zone of the schedules; empty: the Pi's own."},
            "state": STATE_SCHEMA,
        },
        "required": ["schedules", "presence_home", "timezone", "state"],
        "additionalProperties": False,
    },
    defaults={
        "schedules": [],
        "presence_home": True,
        "timezone": "",
        "state": {"mode": "away", "source": "manual", "since": 0, "resume": "away"},
    },
    internal_fields=frozenset({"state"}),
)


def iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class ArmingState:
    """The set mode, where it came from, since when, and the mode a window returns to."""

    mode: str
    source: str
    since: float
    resume: str

    def advance(self, windows: list[Mapping[str, Any]], zone: dt.tzinfo,
                checked: float, now: float) -> bool:
        """Apply every window edge in ``(checked, now]``; whether the mode changed."""
        before = (self.mode, self.source)
        for edge in edges(windows, zone, max(checked, now - CATCH_UP_SECONDS), now):
            if edge.kind == "start":
                if self.source != "schedule":
                    self.resume = self.mode
                self.mode, self.source, self.since = edge.mode, "schedule", edge.at
            elif self.source == "schedule" and self.mode == edge.mode:
                self.mode, self.since = self.resume, edge.at
        return (self.mode, self.source) != before

    def set_manual(self, mode: str, now: float) -> None:
        """A manual change: it holds until the next window starts."""
        self.mode, self.source, self.since, self.resume = mode, "manual", now, mode

    def next_change(self, windows: list[Mapping[str, Any]], zone: dt.tzinfo,
                    now: float) -> dict[str, Any] | None:
        """The next edge that changes the mode (within 8 days): ``{at, mode}``."""
        probe = ArmingState(self.mode, self.source, self.since, self.resume)
        for edge in edges(windows, zone, now, now + CATCH_UP_SECONDS):
            mode = probe.mode
            probe.advance(windows, zone, edge.at - 0.001, edge.at)
            if probe.mode != mode:
                return {"at": iso(edge.at), "mode": probe.mode}
        return None


class Arming:
    """The arm mode service: its state, schedules, presence rule and ``arming_state``.

    ``clock`` (epoch seconds) is injectable for tests. Use it from the event loop.
    """

    def __init__(self, seccam: Seccam, clock: Callable[[], float] = time.time) -> None:
        self._seccam = seccam
        self._clock = clock
        section = seccam.settings.get(SECTION)
        stored = section["state"]
        self.state = ArmingState(stored["mode"], stored["source"], float(stored["since"]),
                                 stored["resume"])
        self._checked = self.state.since or clock()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._last: dict[str, Any] | None = None
        self._remove: Callable[[], None] | None = None

    # --- reading ------------------------------------------------------------------------

    def _section(self) -> dict[str, Any]:
        return self._seccam.settings.get(SECTION)

    def effective(self) -> tuple[str, str]:
        """The mode in force and why (the controller's mode rule)."""
        if (self.state.mode == "away"
                and self._seccam.settings.value(SECTION, "presence_home", True)
                and self._seccam.someone_home()):
            return "home", "someone is at home"
        return self.state.mode, self.state.source

    def status(self) -> dict[str, Any]:
        """``GET /arming`` and the ``arming_state`` event."""
        mode, _why = self.effective()
        source = "presence" if mode != self.state.mode else self.state.source
        section = self._section()
        answer: dict[str, Any] = {
            "mode": mode, "source": source,
            "since": iso(self.state.since or self._checked),
            "set_mode": self.state.mode,
        }
        upcoming = self.state.next_change(section["schedules"], local_zone(section["timezone"]),
                                          self._clock())
        if upcoming is not None:
            answer["next_change"] = upcoming
        return answer

    # --- changing -----------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up on edges passed while down, then follow the schedule and presence."""
        self._remove = self._seccam.bus.add_listener(self._on_event)
        await self.tick()
        self._task = asyncio.create_task(self._run(), name="arming-schedule")

    async def stop(self) -> None:
        if self._remove is not None:
            self._remove()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def set_mode(self, mode: str) -> None:
        """A manual change (``POST /arming``), stored before it is answered."""
        self.state.set_manual(mode, self._clock())
        self._checked = self._clock()
        await self._save()
        self._publish()
        self._wake.set()

    async def tick(self) -> None:
        """Apply the schedule edges passed since the last tick (and store the result)."""
        now = self._clock()
        section = self._section()
        changed = self.state.advance(section["schedules"], local_zone(section["timezone"]),
                                     self._checked, now)
        self._checked = now
        if changed:
            log.info("arm mode %s (schedule)", self.state.mode)
            await self._save()
        self._publish()

    async def _save(self) -> None:
        state = {"mode": self.state.mode, "source": self.state.source,
                 "since": self.state.since, "resume": self.state.resume}
        await self._seccam.settings.save(SECTION, {"state": state}, trusted=True)

    async def _run(self) -> None:
        while True:
            section = self._section()
            now = self._clock()
            upcoming = next(edges(section["schedules"], local_zone(section["timezone"]),
                                  now, now + MAX_SLEEP_SECONDS), None)
            delay = MAX_SLEEP_SECONDS if upcoming is None else max(0.0, upcoming.at - now)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay + 0.01)
            try:
                await self.tick()
            except Exception:
                log.exception("applying the arming schedule failed")

    def _on_event(self, event: Event) -> None:
        if event.type == "presence_state":
            self._publish()
        elif event.type == "settings_changed" and SECTION in event.data.get("sections", ()):
            self._wake.set()  # schedules changed: re-plan the next edge

    def _publish(self) -> None:
        status = self.status()
        key = {k: v for k, v in status.items() if k != "next_change"}
        if key != self._last:
            self._last = key
            self._seccam.bus.publish(EVENT, status)

