"""The alert sampler: reads every health metric periodically, publishes level changes.

Metric reads run in a worker thread, never on the event loop. ``system_alert`` is
published only when a metric's level changes, never on every sample. The first sample
is the baseline: it is published only if a metric already warns or is critical then
(a metric that is merely ``unavailable`` off a Pi is not news).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from seccam_core.contributions import AlertLevel, AlertMetric, MetricReading

log = logging.getLogger(__name__)

EMPTY_STATE: dict[str, Any] = {"overall": "ok", "alerts": {}, "values": {}}


def overall_level(levels: Mapping[str, AlertLevel]) -> AlertLevel:
    """The worst level; ``unavailable`` counts as ``ok``."""
    worst = AlertLevel.OK
    for level in levels.values():
        if level.rank > worst.rank:
            worst = level
    return worst


class AlertSampler:
    """Samples the registered metrics every ``interval()`` seconds and keeps the state.

    ``state`` is what ``GET /system_alert_state`` answers: ``{overall, alerts, values}``.
    ``extra_values`` adds raw figures that are not metrics (the original's ``load``).
    """

    def __init__(
        self,
        metrics: Mapping[str, AlertMetric],
        publish: Callable[[str, dict[str, Any]], Any],
        interval: Callable[[], float],
        extra_values: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self._metrics = dict(metrics)
        self._publish = publish
        self._interval = interval
        self._extra_values = extra_values
        self._levels: dict[str, AlertLevel] = {}
        self._failing: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = dict(EMPTY_STATE)
        self.samples = 0
        self.published = 0

    # --- reading (worker thread) ---------------------------------------------------------

    def read_all(self) -> tuple[dict[str, MetricReading], dict[str, Any]]:
        """Every metric's reading; a metric that raises reads as ``unavailable``."""
        readings: dict[str, MetricReading] = {}
        for name, metric in self._metrics.items():
            try:
                reading = metric.read()
                if not isinstance(reading, MetricReading):
                    raise TypeError(f"read() returned {type(reading).__name__}")
                self._failing.discard(name)
            except Exception as exc:
                if name not in self._failing:
                    log.warning("health metric %s failed: %s", name, exc, exc_info=True)
                self._failing.add(name)
                reading = MetricReading(AlertLevel.UNAVAILABLE, None, f"error: {exc}")
            readings[name] = reading
        values = {name: reading.value for name, reading in readings.items()}
        if self._extra_values is not None:
            values.update(self._extra_values(values))
        return readings, values

    # --- applying (event loop) -------------------------------------------------------------

    def apply(
        self, readings: Mapping[str, MetricReading], values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Update the state; publish and return ``system_alert`` data if a level changed."""
        transitions = []
        for name, reading in readings.items():
            level = AlertLevel(reading.level)
            baseline = name not in self._levels
            previous = self._levels.get(name, AlertLevel.OK)
            changed = level != previous and (not baseline or level.rank > 0)
            if changed:
                transitions.append({"metric": name, "from": previous.value, "to": level.value})
            self._levels[name] = level
        self.samples += 1
        alerts = {name: level.value for name, level in self._levels.items()}
        overall = overall_level(self._levels).value
        self.state = {"overall": overall, "alerts": alerts, "values": values}
        if not transitions:
            return None
        data = {
            "overall": overall,
            "alerts": alerts,
            "transitions": transitions,
            "values": values,
            "ts": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.published += 1
        self._publish("system_alert", data)
        return data

    async def sample_once(self) -> dict[str, Any] | None:
        """Read every metric in a thread, then apply; returns the published data, if any."""
        readings, values = await asyncio.to_thread(self.read_all)
        return self.apply(readings, values)

    # --- the background task --------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self.sample_once()
            except Exception:
                log.exception("the health sampler failed; it tries again next interval")
            await asyncio.sleep(max(0.05, float(self._interval())))

    def start(self) -> None:
        """Start sampling now and every interval (on the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="seccam-health-sampler"
            )

    async def stop(self) -> None:
        """Stop the background task."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait() neither raises the task's cancellation nor swallows our own.
            await asyncio.wait([task])
