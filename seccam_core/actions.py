"""The action runner: every action reacts to events on its own.

Each action gets its own queue and worker task. Events reach it in publication order;
each run has the action's timeout; an exception or a timeout is logged and the worker
goes on with the next event. One slow or failing action never delays another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from seccam_core.contributions import ActionContext, ActionType
from seccam_core.events import Event, EventBus

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000


class ActionRunner:
    """Feeds matching events to each action's worker task."""

    def __init__(
        self, bus: EventBus, actions: Iterable[ActionType], context_seccam: object
    ) -> None:
        self._bus = bus
        self._actions = list(actions)
        self._seccam = context_seccam
        self._queues: dict[str, asyncio.Queue[Event]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._remove_listener: Callable[[], None] | None = None
        self.failures: dict[str, int] = {action.name: 0 for action in self._actions}

    def start(self) -> None:
        for action in self._actions:
            queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
            self._queues[action.name] = queue
            self._workers.append(
                asyncio.create_task(self._work(action, queue), name=f"action:{action.name}")
            )
        self._remove_listener = self._bus.add_listener(self._dispatch)

    def _dispatch(self, event: Event) -> None:
        for action in self._actions:
            if event.type in action.events:
                try:
                    self._queues[action.name].put_nowait(event)
                except asyncio.QueueFull:
                    log.error("action %s is %d events behind: dropped %s",
                              action.name, QUEUE_LIMIT, event.type)

    async def _work(self, action: ActionType, queue: asyncio.Queue[Event]) -> None:
        context = ActionContext(self._seccam, action)  # type: ignore[arg-type]
        me = asyncio.current_task()
        while True:
            if me is not None and me.cancelling():
                # Python 3.11's wait_for swallows a cancel that arrives as the action
                # finishes; without this the worker waits on queue.get() forever.
                raise asyncio.CancelledError
            event = await queue.get()
            try:
                await asyncio.wait_for(action.run(event, context), action.timeout)
            except TimeoutError:
                self.failures[action.name] += 1
                log.error("action %s timed out after %ss on %s", action.name,
                          action.timeout, event.type)
            except Exception:
                self.failures[action.name] += 1
                log.exception("action %s failed on %s", action.name, event.type)
            finally:
                queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued event has been handled (tests, shutdown)."""
        for queue in self._queues.values():
            await queue.join()

    async def stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
