"""What the notify tests share: the injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """The action runner's injected clock: local time that only moves when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
