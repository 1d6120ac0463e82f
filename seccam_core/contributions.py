"""The declarations plugins contribute through the hooks (sensor types live in sensing/types.py)."""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seccam_core.delivery import Backoff

if TYPE_CHECKING:
    from seccam_core.events import Event
    from seccam_core.runtime import Seccam


@dataclass(frozen=True)
class SettingsSection:
    """A section of the settings document, owned and validated by one plugin.

    ``schema`` is a JSON Schema (draft 2020-12) for the section's object; ``defaults``
    must validate against it. ``secret_fields`` are never returned by the API, and
    ``internal_fields`` cannot be set through ``POST /settings`` (the owner writes them).
    ``write_only_fields`` are paths (``token``, ``ntfy.token``, ``endpoints[].secret``)
    of secrets a client may set through ``POST /settings`` but never read back: a read
    shows ``<field>_set: true|false`` instead (see :mod:`seccam_core.write_only`).
    ``check(section)`` is for rules a JSON Schema cannot say (overlapping windows): it
    returns ``"field: problem"`` or ``None``, and a problem is a 400 naming the field.
    """

    name: str
    schema: Mapping[str, Any]
    defaults: Mapping[str, Any]
    secret_fields: frozenset[str] = frozenset()
    internal_fields: frozenset[str] = frozenset()
    description: str = ""
    write_only_fields: frozenset[str] = frozenset()
    check: Callable[[Mapping[str, Any]], str | None] | None = None


@dataclass(frozen=True)
class ActionContext:
    """What an action receives beside the event.

    ``seccam`` is the app facade and ``action`` its own declaration. ``delivery_id`` is
    the same on every attempt at one message (``msg_<event id>``; use it as an
    idempotency key, e.g. the webhook-id), ``attempt`` counts from 1, and ``memo`` is a
    dict kept across the attempts at one message (e.g. which endpoints already took it).
    ``settings`` is a copy of the action's settings section (empty without one).
    """

    seccam: Seccam
    action: ActionType
    delivery_id: str = ""
    attempt: int = 1
    memo: dict[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionType:
    """Something that reacts to events on the bus, such as "start recording" or "notify".

    ``events`` names the event types it reacts to; ``wants(event)`` may narrow that
    further, or ``wants(event, settings)`` given the action's current settings section
    (``{}`` without one), for a choice its owner makes (the webhook's endpoints each name
    their events). An event not wanted takes no place in the queue and no line in the
    delivery log. ``run(event, ctx)`` is a coroutine function; the action runner calls it
    once per matching event, in publication order, from the action's own bounded queue
    (``queue_size``; when full, the oldest waiting event is dropped and counted). Each
    attempt is cancelled after ``timeout`` seconds. A :class:`TransientError` or a
    timeout is retried up to ``retries`` times with ``backoff``; any other exception is
    final for that event. ``run`` may return ``False`` to say nothing was sent.

    With ``section`` (the name of the action's settings section, built with
    :func:`seccam_core.action_section`) the runner also honours its common fields:
    ``enabled``, ``cooldown_seconds``, ``max_per_hour``, ``quiet_hours``, snooze, and
    ``urgent_bypasses_quiet_hours`` for events ``urgent(event)`` says are urgent. The
    first event of an incident decides for the whole incident; with ``updates=False``
    only that first message is sent. ``status(seccam)``, if given, returns a small JSON
    object of the action's own state (a connection, its counters), shown as ``details``
    in ``GET /actions``.
    """

    name: str
    events: frozenset[str]
    run: Callable[[Event, ActionContext], Awaitable[bool | None]]
    timeout: float = 30.0
    description: str = ""
    section: str | None = None
    retries: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    updates: bool = True
    wants: Callable[[Event], bool] | Callable[[Event, Mapping[str, Any]], bool] | None = None
    urgent: Callable[[Event], bool] | None = None
    queue_size: int = 100
    status: Callable[[Seccam], Mapping[str, Any] | None] | None = None


class PresenceSource(abc.ABC):
    """Knows whether someone is at home (a tracked phone, say).

    ``someone_home()`` is called on the event loop for every sensor trigger: answer from
    cached state, never by doing I/O. ``None`` means "unknown", which counts as nobody.
    """

    name: str = ""

    @abc.abstractmethod
    def someone_home(self) -> bool | None:
        """Whether this source currently sees someone at home."""


class AlertLevel(enum.StrEnum):
    """The level of a health metric; ``unavailable`` when the machine has no such source."""

    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"
    UNAVAILABLE = "unavailable"

    @property
    def rank(self) -> int:
        """Severity for computing the overall level (unavailable counts as ok)."""
        return {"ok": 0, "unavailable": 0, "warn": 1, "critical": 2}[self.value]


@dataclass(frozen=True)
class MetricReading:
    """One sample of a metric: its level and the raw value behind it."""

    level: AlertLevel
    value: Any = None
    detail: str = ""


@dataclass(frozen=True)
class AlertMetric:
    """A health metric (``cpu_temp``, ``storage`` ...) with its own thresholds.

    ``read()`` returns a :class:`MetricReading`; it runs in a worker thread, so it may
    read files but must not touch the event loop.
    """

    name: str
    read: Callable[[], MetricReading]
    label: str = ""


@dataclass(frozen=True)
class CleanupReport:
    """What a storage policy did: files deleted and bytes freed."""

    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)


class StoragePolicy(abc.ABC):
    """Keeps the media storage from filling up."""

    name: str = ""

    @abc.abstractmethod
    async def enforce(self, seccam: Seccam) -> CleanupReport:
        """Delete what the policy allows until storage is within its limit."""
