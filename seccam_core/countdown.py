"""A restartable one-shot timer for sensor logic that runs in gpiozero's threads."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Countdown:
    """Calls ``callback`` (in a timer thread) once ``seconds`` after the latest ``start``.

    ``start`` while running restarts the count; ``cancel`` and ``close`` make sure a
    countdown that was already due does not fire afterwards.
    """

    def __init__(self, callback: Callable[[], None], name: str = "seccam-countdown") -> None:
        self._callback = callback
        self._name = name
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._serial = 0
        self._closed = False

    @property
    def running(self) -> bool:
        return self._timer is not None

    def start(self, seconds: float) -> None:
        """(Re)start the count; ``seconds`` may be 0 (fires as soon as a thread can)."""
        with self._lock:
            if self._closed:
                return
            self._stop_timer()
            self._serial += 1
            timer = threading.Timer(max(0.0, seconds), self._fire, args=(self._serial,))
            timer.name = self._name
            timer.daemon = True
            self._timer = timer
            timer.start()

    def cancel(self) -> None:
        with self._lock:
            self._serial += 1
            self._stop_timer()

    def close(self) -> None:
        """Cancel for good: later ``start`` calls do nothing."""
        with self._lock:
            self._closed = True
            self._serial += 1
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, serial: int) -> None:
        with self._lock:
            if serial != self._serial or self._closed:
                return
            self._timer = None
        self._callback()
