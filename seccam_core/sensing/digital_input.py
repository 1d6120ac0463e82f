"""Live sensors on one digital input: the building block of most sensor plugins.

The plugin creates the gpiozero input device (only sensor plugins create devices) and
hands it to :class:`DigitalInputSensor`, which debounces its edges in software and
reports settled levels. :class:`LevelSensor` maps those levels to trigger and release.
"""

from __future__ import annotations

import abc
from typing import Any

from seccam_core.sensing.debounce import Debouncer
from seccam_core.sensing.types import Emit, LiveSensor


class DigitalInputSensor(LiveSensor):
    """Base of a sensor on one gpiozero input device the plugin built.

    ``device`` is a gpiozero ``DigitalInputDevice`` (or anything with ``is_active``,
    ``when_activated``, ``when_deactivated``, ``pin`` and ``close``), created with
    ``bounce_time=None``: debouncing is done here, the same on every pin factory.
    :meth:`on_level` receives each settled level, ``True`` meaning *active* in
    gpiozero's terms (LOW with a pull-up, HIGH without).
    """

    def __init__(self, device: Any, emit: Emit, *, bounce_time: float) -> None:
        self.device = device
        self.emit = emit
        self._closed = False
        self._debouncer = Debouncer(
            bounce_time,
            read_level=lambda: bool(device.is_active),
            on_change=self.on_level,
            initial_level=bool(device.is_active),
            on_error=self._read_failed,
        )
        device.when_activated = self._debouncer.poke
        device.when_deactivated = self._debouncer.poke

    def _read_failed(self, exc: Exception) -> None:
        self.emit("error", f"reading the input failed: {type(exc).__name__}: {exc}")

    @abc.abstractmethod
    def on_level(self, active: bool) -> None:
        """A settled level change (called in gpiozero's or a timer's thread)."""

    @property
    def active(self) -> bool:
        """The last settled level."""
        return self._debouncer.level

    @property
    def raw_value(self) -> bool | None:
        if self._closed:
            return None
        return bool(self.device.pin.state)

    def close(self) -> None:
        self._closed = True
        self._debouncer.close()
        self.device.close()


class LevelSensor(DigitalInputSensor):
    """Triggers on one settled level and releases on the other (reed, hall, light gate).

    ``trigger_when_active`` chooses which: a reed switch with a pull-up triggers when the
    door opens (the contact opens, the pin goes HIGH: *inactive*), a hall sensor when the
    magnet comes (the output pulls LOW: *active*).
    """

    def __init__(self, device: Any, emit: Emit, *, bounce_time: float,
                 trigger_when_active: bool) -> None:
        self.trigger_when_active = trigger_when_active
        super().__init__(device, emit, bounce_time=bounce_time)

    def on_level(self, active: bool) -> None:
        self.emit("trigger" if active == self.trigger_when_active else "release")
