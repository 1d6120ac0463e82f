"""Delivering an action's messages: retries with backoff, the gate, the delivery log.

The action runner uses these for every action; plugins only raise
:class:`TransientError` for a failure worth retrying and read their settings.

* :class:`Backoff`: exponential delays with full jitter, so many cameras whose receiver
  comes back do not all retry in the same second.
* :class:`Gate`: decides whether a message may go now: snooze, quiet hours, the
  cooldown counted from the last message actually sent, the per-hour cap, and one
  message per incident (the incident's later events follow the first decision).
* :class:`DeliveryLog`: the last 100 attempts, for ``GET /actions/<name>/deliveries``.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from seccam_core import quiet_hours

LOG_SIZE = 100
REMEMBERED_INCIDENTS = 256


class TransientError(Exception):
    """A failure that may pass (network down, timeout, 5xx): the runner retries it.

    Any other exception from an action's ``run`` is final for that event.
    """


@dataclass(frozen=True)
class Backoff:
    """Delays of ``base * factor**n``, capped at ``cap`` seconds, with full jitter."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 30.0

    def delay(self, retry: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * self.factor ** (retry - 1))
        return ceiling * (0.5 + 0.5 * rng())


@dataclass(frozen=True)
class DeliveryRecord:
    """One message's fate: sent, failed (after its attempts), skipped or dropped."""

    time: str
    event: str
    event_id: int | None
    incident_id: str | None
    outcome: str
    attempts: int
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DeliveryLog:
    """The newest :data:`LOG_SIZE` records, newest first when listed."""

    def __init__(self, size: int = LOG_SIZE) -> None:
        self._records: collections.deque[DeliveryRecord] = collections.deque(maxlen=size)

    def add(self, record: DeliveryRecord) -> None:
        self._records.append(record)

    def listing(self) -> list[dict[str, Any]]:
        return [record.as_dict() for record in reversed(self._records)]


def incident_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The incident an event belongs to (``incident`` events carry it as ``id``)."""
    value = data.get("id") if event_type == "incident" else data.get("incident_id")
    return str(value) if value else None


class Gate:
    """Whether a message may go now, from the action's settings and what it already sent.

    The settings read are the common action fields: ``cooldown_seconds``,
    ``max_per_hour`` (0: no cap), ``quiet_hours`` and ``snoozed_until`` (epoch seconds).
    """

    def __init__(self) -> None:
        self._last_sent: float | None = None
        self._sent: collections.deque[float] = collections.deque()
        self._incidents: collections.OrderedDict[str, str | None] = collections.OrderedDict()
        self._counted: collections.OrderedDict[str, None] = collections.OrderedDict()

    def check(self, settings: Mapping[str, Any], now: datetime, incident: str | None, *,
              updates: bool, urgent: bool = False) -> str | None:
        """``None`` when the message may go, else why not (recorded for its incident)."""
        if incident is not None and incident in self._incidents:
            first = self._incidents[incident]
            if first is not None:
                return first
            if not updates and incident in self._counted:
                return "one message per incident"
            return None
        reason = self._reason(settings, now, urgent)
        if incident is not None:
            self._incidents[incident] = reason
            while len(self._incidents) > REMEMBERED_INCIDENTS:
                self._incidents.popitem(last=False)
        return reason

    def _reason(self, settings: Mapping[str, Any], now: datetime, urgent: bool) -> str | None:
        stamp = now.timestamp()
        snoozed_until = settings.get("snoozed_until")
        if snoozed_until and stamp < float(snoozed_until):
            return "snoozed"
        if quiet_hours.is_quiet(settings.get("quiet_hours") or [], now) and not (
                urgent and settings.get("urgent_bypasses_quiet_hours")):
            return "quiet hours"
        cooldown = float(settings.get("cooldown_seconds") or 0)
        if self._last_sent is not None and stamp - self._last_sent < cooldown:
            return "cooldown"
        cap = int(settings.get("max_per_hour") or 0)
        while self._sent and stamp - self._sent[0] >= 3600:
            self._sent.popleft()
        if cap and len(self._sent) >= cap:
            return "hourly cap"
        return None

    def sent(self, now: datetime, incident: str | None) -> None:
        """Count a message actually sent; an incident's later messages share its first one's."""
        if incident is not None:
            if incident in self._counted:
                return
            self._counted[incident] = None
            while len(self._counted) > REMEMBERED_INCIDENTS:
                self._counted.popitem(last=False)
        self._last_sent = now.timestamp()
        self._sent.append(self._last_sent)
