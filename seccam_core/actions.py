"""The action runner: every action reacts to events on its own.

Each action gets its own bounded queue and worker task. Events reach it in publication
order; when its queue is full the oldest waiting event is dropped and counted, so a slow
action never delays another (nor the recorder, which is an action too) and never grows
memory. Each attempt has the action's timeout; transient failures are retried with
backoff (:mod:`seccam_core.delivery`); actions with a settings section go through the
gate (enabled, snooze, quiet hours, cooldown, hourly cap, one message per incident).
Every outcome lands in the action's delivery log.

Each attempt runs under ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11
``wait_for`` can swallow a cancellation that arrives as the inner call finishes, and the
worker then waited for its next event forever, so ``stop()`` never returned.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from seccam_core.contributions import ActionContext, ActionType
from seccam_core.delivery import DeliveryLog, DeliveryRecord, Gate, TransientError, incident_of
from seccam_core.events import Event, EventBus

log = logging.getLogger(__name__)

STOP_TIMEOUT = 3.0
TEST_EVENT = "test"


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class ActionState:
    """One action's queue, worker, gate, log and counters."""

    action: ActionType
    queue: collections.deque[Event] = field(default_factory=collections.deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    gate: Gate = field(default_factory=Gate)
    deliveries: DeliveryLog = field(default_factory=DeliveryLog)
    busy: bool = False
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("sent", "failed", "skipped", "dropped", "retries"), 0))
    last_error: str | None = None
    wants_settings: bool = False

    def __post_init__(self) -> None:
        # wants(event, settings): an action whose choice depends on its settings (the
        # webhook's endpoints each name their events). Decided here, once.
        wants = self.action.wants
        self.wants_settings = wants is not None and takes_two_arguments(wants)

    def wanted(self, event: Event,
               settings_of: Callable[[ActionType], Mapping[str, Any]]) -> bool:
        """The action's ``wants`` for this event (settings read only if it takes them)."""
        if self.action.wants is None:
            return True
        if self.wants_settings:
            two = cast(Callable[[Event, Mapping[str, Any]], bool], self.action.wants)
            return two(event, settings_of(self.action))
        return cast(Callable[[Event], bool], self.action.wants)(event)


def takes_two_arguments(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


class ActionRunner:
    """Feeds matching events to each action's worker task."""

    def __init__(
        self, bus: EventBus, actions: Iterable[ActionType], context_seccam: Any,
        *, clock: Callable[[], datetime] = local_now,
    ) -> None:
        self._bus = bus
        self._seccam = context_seccam
        self.states: dict[str, ActionState] = {a.name: ActionState(a) for a in actions}
        self._workers: list[asyncio.Task[None]] = []
        self._remove_listener: Callable[[], None] | None = None
        self.clock = clock
        self.sleep: Callable[[float], Any] = asyncio.sleep

    @property
    def failures(self) -> dict[str, int]:
        return {name: state.counters["failed"] for name, state in self.states.items()}

    def start(self) -> None:
        for state in self.states.values():
            state.idle.set()
            self._workers.append(asyncio.create_task(
                self._work(state), name=f"action:{state.action.name}"))
        self._remove_listener = self._bus.add_listener(self._dispatch)

    # --- settings ------------------------------------------------------------------------

    def settings_of(self, action: ActionType) -> dict[str, Any]:
        if action.section is None or self._seccam is None:
            return {}
        return self._seccam.settings.get(action.section)

    def settings_view(self, action: ActionType) -> Mapping[str, Any]:
        """The section shared read-only, for ``wants`` on every event: no copy per call."""
        if action.section is None or self._seccam is None:
            return {}
        return self._seccam.settings.snapshot(action.section)

    def enabled(self, action: ActionType) -> bool:
        if action.section is None or self._seccam is None:
            return True
        return bool(self._seccam.settings.value(action.section, "enabled", False))

    def _redact(self, text: str) -> str:
        if self._seccam is None:
            return text
        for secret in self._seccam.settings.secret_values():
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    # --- queueing ------------------------------------------------------------------------

    def _dispatch(self, event: Event) -> None:
        for state in self.states.values():
            action = state.action
            if event.type not in action.events or not self.enabled(action):
                continue
            if not state.wanted(event, self.settings_view):
                continue
            state.queue.append(event)
            state.idle.clear()
            if len(state.queue) > action.queue_size:
                dropped = state.queue.popleft()
                state.counters["dropped"] += 1
                self._record(state, dropped, "dropped", 0, "the action's queue was full")
                log.error("action %s is %d events behind: dropped the oldest (%s)",
                          action.name, action.queue_size, dropped.type)
            state.wakeup.set()

    async def _work(self, state: ActionState) -> None:
        while True:
            while not state.queue:
                state.wakeup.clear()
                await state.wakeup.wait()
            event = state.queue.popleft()
            state.busy = True
            try:
                await self._handle(state, event)
            except Exception:  # a bug in the gate or log must not end the worker
                log.exception("action %s: handling %s failed", state.action.name, event.type)
            finally:
                state.busy = False
                if not state.queue:
                    state.idle.set()

    async def _handle(self, state: ActionState, event: Event) -> None:
        action = state.action
        incident = incident_of(event.type, event.data)
        settings = self.settings_of(action)
        if action.section is not None:
            urgent = bool(action.urgent and action.urgent(event))
            reason = state.gate.check(settings, self.clock(), incident,
                                      updates=action.updates, urgent=urgent)
            if reason is not None:
                state.counters["skipped"] += 1
                self._record(state, event, "skipped", 0, reason)
                return
        outcome, _, _ = await self._deliver(state, event, settings)
        if outcome == "sent":
            state.gate.sent(self.clock(), incident)

    # --- delivering ------------------------------------------------------------------------

    async def _deliver(self, state: ActionState, event: Event,
                       settings: dict[str, Any]) -> tuple[str, int, str | None]:
        action = state.action
        memo: dict[str, Any] = {}
        attempt = 0
        while True:
            attempt += 1
            context = ActionContext(self._seccam, action, delivery_id=f"msg_{event.id}",
                                    attempt=attempt, memo=memo, settings=settings)
            transient = False
            try:
                async with asyncio.timeout(action.timeout):
                    result = await action.run(event, context)
            except TimeoutError:
                transient, error = True, f"timed out after {action.timeout} s"
            except TransientError as exc:
                transient, error = True, str(exc) or type(exc).__name__
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("action %s failed on %s", action.name, event.type)
            else:
                outcome = "nothing sent" if result is False else "sent"
                if outcome == "sent":
                    state.counters["sent"] += 1
                self._record(state, event, outcome, attempt, None)
                return outcome, attempt, None
            error = self._redact(error)
            if transient and attempt <= action.retries:
                state.counters["retries"] += 1
                delay = action.backoff.delay(attempt)
                log.warning("action %s: attempt %d on %s failed (%s); retrying in %.1f s",
                            action.name, attempt, event.type, error, delay)
                await self.sleep(delay)
                continue
            state.counters["failed"] += 1
            state.last_error = error
            log.error("action %s gave up on %s after %d attempt(s): %s",
                      action.name, event.type, attempt, error)
            self._record(state, event, "failed", attempt, error)
            return "failed", attempt, error

    def _record(self, state: ActionState, event: Event, outcome: str, attempts: int,
                error: str | None) -> None:
        state.deliveries.add(DeliveryRecord(
            time=self.clock().isoformat(timespec="milliseconds"),
            event=event.type,
            event_id=event.id or None,
            incident_id=incident_of(event.type, event.data),
            outcome=outcome,
            attempts=attempts,
            error=error,
        ))

    # --- the API's verbs -----------------------------------------------------------------

    async def send_test(self, name: str) -> dict[str, Any]:
        """Send a test message through ``name`` now (no gate), with its retries."""
        state = self.states[name]
        event = Event(0, TEST_EVENT, {"message": "This is a test message from seccam."},
                      time.time(), b"")
        outcome, attempts, error = await self._deliver(state, event,
                                                       self.settings_of(state.action))
        return {"outcome": outcome, "attempts": attempts, "error": error}

    async def snooze(self, name: str, minutes: float) -> float | None:
        """Hold ``name``'s messages for ``minutes`` (0 ends a snooze); returns the end."""
        action = self.states[name].action
        section = self._seccam.settings.sections.get(action.section) if action.section else None
        if section is None or "snoozed_until" not in section.schema.get("properties", {}):
            raise LookupError(f"{name} cannot be snoozed (its section has no snooze)")
        until = self.clock().timestamp() + minutes * 60 if minutes > 0 else None
        await self._seccam.settings.save(action.section, {"snoozed_until": until}, trusted=True)
        return until

    def listing(self) -> list[dict[str, Any]]:
        """``GET /actions``: each action with its state and counters."""
        answer = []
        for name, state in sorted(self.states.items()):
            action = state.action
            settings = self.settings_of(action)
            snoozed = settings.get("snoozed_until")
            if snoozed is not None and snoozed <= self.clock().timestamp():
                snoozed = None
            status = ("disabled" if not self.enabled(action) else "busy" if state.busy
                      else "snoozed" if snoozed else "idle")
            answer.append({
                "name": name,
                "description": action.description,
                "events": sorted(action.events),
                "section": action.section,
                "state": status,
                "queued": len(state.queue),
                "snoozed_until": snoozed,
                "last_error": state.last_error,
                **state.counters,
                "details": self._details(action),
            })
        return answer

    def _details(self, action: ActionType) -> dict[str, Any] | None:
        if action.status is None:
            return None
        try:
            details = action.status(self._seccam)
        except Exception:  # a broken status must not break GET /actions
            log.exception("action %s: status() failed", action.name)
            return None
        return dict(details) if details is not None else None

    # --- stopping --------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests)."""
        for state in self.states.values():
            await state.idle.wait()

    async def stop(self) -> None:
        """Stop listening and end every worker, even one stuck in an action."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for worker in self._workers:
            worker.cancel()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=STOP_TIMEOUT)
            for worker in pending:
                log.error("action worker %s did not stop within %s s", worker.get_name(),
                          STOP_TIMEOUT)
        self._workers.clear()
