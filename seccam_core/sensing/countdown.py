"""A restartable one-shot timer for sensor logic that runs in gpiozero's threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Countdown:
    """Calls ``callback`` (in the countdown's own thread) ``seconds`` after the latest ``start``.

    ``start`` while running restarts the count; after ``cancel`` or ``close`` a countdown
    that was due does not fire. One long-lived thread per countdown waits for the
    deadline, so ``start`` (called on every debounced edge) costs a notify, not the
    creation of a thread.
    """

    def __init__(self, callback: Callable[[], None], name: str = "seccam-countdown") -> None:
        self._callback = callback
        self._condition = threading.Condition()
        self._deadline: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def start(self, seconds: float) -> None:
        """(Re)start the count; ``seconds`` may be 0 (fires as soon as the thread runs)."""
        with self._condition:
            if self._closed:
                return
            self._deadline = time.monotonic() + max(0.0, seconds)
            self._condition.notify()

    def cancel(self) -> None:
        with self._condition:
            self._deadline = None
            self._condition.notify()

    def close(self) -> None:
        """Cancel for good and let the thread end: later ``start`` calls do nothing."""
        with self._condition:
            self._closed = True
            self._deadline = None
            self._condition.notify()

    def _run(self) -> None:
        with self._condition:
            while not self._closed:
                if self._deadline is None:
                    self._condition.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._condition.wait(remaining)
                    continue
                self._deadline = None
                self._condition.release()
                try:
                    self._callback()
                except Exception:
                    log.exception("countdown callback %r failed", self._callback)
                finally:
                    self._condition.acquire()
