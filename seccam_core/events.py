"""The event bus: one publisher API, fan-out to SSE subscribers and in-process listeners.

Every event gets a monotonic id. Ids start at the wall-clock milliseconds of the
process start, so they keep growing across restarts and a client reconnecting with an
old ``Last-Event-ID`` is replayed everything still buffered (and, by ``GET /events``,
what the event history kept from before the buffer). Each SSE subscriber owns a
bounded queue; a subscriber that falls that far behind is disconnected (it reconnects
and is replayed from the buffer) instead of slowing the publisher or growing memory.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    """One published event. ``frame`` is its SSE encoding, built once for all clients."""

    id: int
    type: str
    data: dict[str, Any]
    ts: float
    frame: bytes = field(repr=False, compare=False)


def encode_frame(event_id: int, event_type: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, separators=(",", ":"), default=str)
    return f"id: {event_id}\nevent: {event_type}\ndata: {payload}\n\n".encode()


class Subscription:
    """A bounded queue of frames for one SSE client."""

    _CLOSED = b""
    _IDLE = b": idle"  # put by the heartbeat timer; never sent (identity, not equality)

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize)
        self.closed = False
        self.close_reason = ""
        self._timer: asyncio.TimerHandle | None = None
        self._heartbeat = 0.0
        self._last_frame = 0.0

    def offer(self, frame: bytes) -> None:
        if self.closed:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close("client too slow; reconnect with Last-Event-ID to catch up")

    def close(self, reason: str = "closed") -> None:
        """End the stream; the reader sees ``None`` once it has drained nothing more."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(self._CLOSED)
        self._bus._discard(self)

    async def next_frame(self, timeout: float) -> bytes | None:
        """The next frame, ``b""`` after ``timeout`` seconds of silence, ``None`` once closed.

        The silence is watched by one timer per subscription that fires once per
        ``timeout`` (not a timeout armed and cancelled around every wait): on the fan-out's
        hot path, 200 clients then cost 200 queue reads and nothing else.
        """
        if self._timer is None and not self.closed:
            self._heartbeat = timeout
            self._last_frame = asyncio.get_running_loop().time()
            self._arm()
        if self._queue.empty():
            frame = await self._queue.get()
        else:
            frame = self._queue.get_nowait()
        if frame is self._IDLE:
            return b""
        self._last_frame = self._now()
        return None if frame is self._CLOSED else frame

    async def next_frames(self, timeout: float) -> bytes | None:
        """Every frame queued now, joined (one write for a burst), like :meth:`next_frame`."""
        first = await self.next_frame(timeout)
        if not first or self._queue.empty():
            return first
        # close() empties the queue before its marker, so a burst never contains it.
        frames = [first]
        while not self._queue.empty():
            frame = self._queue.get_nowait()
            if frame is not self._IDLE:
                frames.append(frame)
        return b"".join(frames)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_at(self._last_frame + self._heartbeat, self._tick)

    def _tick(self) -> None:
        if self.closed:
            return
        now = self._now()
        if now - self._last_frame >= self._heartbeat * 0.999:
            if self._queue.empty():
                self._queue.put_nowait(self._IDLE)
            self._last_frame = now
        self._arm()


class EventBus:
    """Publishes events to SSE subscribers, keeps a replay buffer, calls listeners."""

    def __init__(self, *, replay_size: int = 500, queue_size: int = 512) -> None:
        self._next_id = int(time.time() * 1000)
        self._replay: collections.deque[Event] = collections.deque(maxlen=replay_size)
        self._subscribers: set[Subscription] = set()
        self._listeners: list[Listener] = []
        self._queue_size = queue_size

    # --- publishing -----------------------------------------------------------------

    def publish(self, event_type: str, data: dict[str, Any] | None = None) -> Event:
        """Publish on the event loop's thread. Never blocks, never raises for a listener."""
        data = dict(data or {})
        self._next_id += 1
        event = Event(
            self._next_id, event_type, data, time.time(),
            encode_frame(self._next_id, event_type, data),
        )
        self._replay.append(event)
        for subscription in list(self._subscribers):
            subscription.offer(event.frame)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, event_type)
        return event

    # --- consuming -----------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event, on the loop. Returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def subscribe(self, last_event_id: int | None = None) -> Subscription:
        """A new SSE subscription, pre-filled with the buffered events after the given id."""
        subscription = Subscription(self, self._queue_size)
        if last_event_id is not None:
            for event in self.events_after(last_event_id):
                subscription.offer(event.frame)
        self._subscribers.add(subscription)
        return subscription

    def events_after(self, last_event_id: int) -> Iterable[Event]:
        return [event for event in self._replay if event.id > last_event_id]

    def continue_after(self, event_id: int) -> None:
        """Hand out ids above ``event_id`` from now on (the last one a previous run kept:
        a run that published faster than one event per millisecond ends ahead of the
        clock this run's ids started from)."""
        self._next_id = max(self._next_id, event_id)

    def gap_before_buffer(self, last_event_id: int) -> int | None:
        """If events after ``last_event_id`` are no longer buffered, the first id that is
        (``last_id + 1`` when nothing is): the replay must start elsewhere (the history)."""
        first = self._replay[0].id if self._replay else self._next_id + 1
        return first if first > last_event_id + 1 else None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def last_id(self) -> int:
        return self._next_id

    def close_all(self, reason: str) -> None:
        """Disconnect every SSE subscriber (token regenerated, server stopping)."""
        for subscription in list(self._subscribers):
            subscription.close(reason)

    def _discard(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
