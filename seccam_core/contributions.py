"""The declarations plugins contribute through the hooks (sensor types live in sensing/types.py)."""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seccam_core.events import Event
    from seccam_core.runtime import Seccam


@dataclass(frozen=True)
class SettingsSection:
    """A section of the settings document, owned and validated by one plugin.

    ``schema`` is a JSON Schema (draft 2020-12) for the section's object; ``defaults``
    must validate against it. ``secret_fields`` are never returned by the API, and
    ``internal_fields`` cannot be set through ``POST /settings`` (the owner writes them).
    """

    name: str
    schema: Mapping[str, Any]
    defaults: Mapping[str, Any]
    secret_fields: frozenset[str] = frozenset()
    internal_fields: frozenset[str] = frozenset()
    description: str = ""


@dataclass(frozen=True)
class ActionContext:
    """What an action receives beside the event: the app facade and its own config."""

    seccam: Seccam
    action: ActionType


@dataclass(frozen=True)
class ActionType:
    """Something that reacts to events on the bus, such as "start recording".

    ``events`` names the event types it reacts to. ``run(event, ctx)`` is a coroutine
    function; the action runner calls it once per matching event, in publication order,
    cancelling it after ``timeout`` seconds.
    """

    name: str
    events: frozenset[str]
    run: Callable[[Event, ActionContext], Awaitable[None]]
    timeout: float = 30.0
    description: str = ""


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
