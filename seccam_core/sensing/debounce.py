"""Software debouncing of a digital input: clean level changes out of a bouncing contact.

The first edge is reported at once (no added latency); edges during the following
``bounce_time`` seconds are ignored; when the window ends the level is read again and
reported if it differs, so the level the contact settles on is never lost. This is done
in software so that it behaves the same on every pin factory: gpiozero's MockFactory
ignores ``bounce_time``, and RPi.GPIO's own debounce can drop the final level.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from seccam_core.sensing.countdown import Countdown


class Debouncer:
    """Feed it every edge with :meth:`poke`; it calls ``on_change(level)`` once per settled change.

    ``read_level`` returns the input's current level; if it raises, ``on_error(exc)`` is
    called instead (when given). ``on_change`` is called with the
    debouncer's lock held (so changes are reported in order): keep it quick and do not
    call back into the debouncer from it.
    """

    def __init__(
        self,
        bounce_time: float,
        read_level: Callable[[], bool],
        on_change: Callable[[bool], None],
        initial_level: bool,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._bounce_time = max(0.0, float(bounce_time))
        self._read_level = read_level
        self._on_change = on_change
        self._on_error = on_error
        self._level = bool(initial_level)
        self._settling = False
        self._closed = False
        self._lock = threading.RLock()
        self._window = Countdown(self._settled, name="seccam-debounce")

    @property
    def level(self) -> bool:
        """The last level reported."""
        return self._level

    def poke(self) -> None:
        """An edge happened (any direction): report it unless inside a bounce window."""
        with self._lock:
            if self._closed or self._settling:
                return
            self._report_if_changed()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._window.close()

    def _report_if_changed(self) -> None:
        try:
            level = bool(self._read_level())
        except Exception as exc:  # the device went away under us
            if self._on_error is None:
                raise
            self._on_error(exc)
            return
        if level == self._level:
            return
        self._level = level
        if self._bounce_time > 0:
            self._settling = True
            self._window.start(self._bounce_time)
        self._on_change(level)

    def _settled(self) -> None:
        with self._lock:
            self._settling = False
            if not self._closed:
                self._report_if_changed()
