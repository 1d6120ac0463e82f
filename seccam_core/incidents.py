"""Incidents: one id for what a person thinks of as one event.

The sensor controller gives each trigger that is not a re-trigger inside the hold a new
``incident_id``; ``recording_request``, ``sensor_state``, ``recording_state``,
``archive_updated`` and ``recording_failed`` carry it. The tracker turns those into
``incident`` events::

    {"id", "state": "new"|"update"|"end", "sensor_type", "sensor_id", "sensor_name",
     "sensors", "started_at", "ended_at", "suppressed", "snapshot", "clip"}

``sensor_id`` and ``sensor_name`` are the sensor whose trigger began the incident;
``sensors`` lists every sensor that triggered in it so far, ``[{"id", "name"}]`` in order.

* ``new`` at the trigger;
* ``update`` once the snapshot taken at the trigger exists (``snapshot`` is its path,
  ``null`` if the camera could not give one);
* ``end`` once the request is over and the clip with its sidecars is final (``clip``
  is the recording's path; ``null`` when nothing was recorded, such as a trigger
  suppressed while someone was home). Never earlier, so a clip link in it works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seccam_core.events import Event, EventBus
from seccam_core.services import ServiceKey

log = logging.getLogger(__name__)

EVENT = "incident"
SNAPSHOT_TIMEOUT = 15.0


def new_incident_id() -> str:
    """``inc_20260128T221501_3f9a1c``: sortable by time, unique."""
    return f"inc_{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}_{secrets.token_hex(3)}"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


@dataclass
class Incident:
    """What the tracker knows of one open incident."""

    id: str
    sensor_type: str | None
    started_at: float
    suppressed: bool
    sensors: list[dict[str, str | None]] = field(default_factory=list)
    snapshot: str | None = None
    clip: str | None = None
    recording: str | None = None
    request_over: bool = False
    awaiting_recording: bool = False
    snapshot_task: asyncio.Task[None] | None = field(default=None, repr=False)
    ended: bool = False

    def joined(self, sensor_id: Any, name: Any) -> None:
        """Note a sensor that triggered in this incident (once each)."""
        if sensor_id is None or any(s["id"] == sensor_id for s in self.sensors):
            return
        self.sensors.append({"id": str(sensor_id),
                             "name": str(name) if name is not None else str(sensor_id)})

    def payload(self, state: str, ended_at: float | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "state": state, "sensor_type": self.sensor_type,
            "sensor_id": self.sensors[0]["id"] if self.sensors else None,
            "sensor_name": self.sensors[0]["name"] if self.sensors else None,
            "sensors": [dict(sensor) for sensor in self.sensors],
            "started_at": _iso(self.started_at),
            "ended_at": _iso(ended_at) if ended_at is not None else None,
            "suppressed": self.suppressed, "snapshot": self.snapshot, "clip": self.clip,
        }


class IncidentTracker:
    """Follows the bus and publishes ``incident`` events; ``snapshot()`` takes the JPEG."""

    def __init__(self, bus: EventBus, snapshot: Any) -> None:
        self._bus = bus
        self._snapshot = snapshot
        self.open: dict[str, Incident] = {}
        self._remove: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self._remove = self._bus.add_listener(self._on_event)

    async def stop(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _on_event(self, event: Event) -> None:
        data = event.data
        incident_id = data.get("incident_id")
        if event.type == "sensor_state":
            for other in list(self.open.values()):
                if other.suppressed and incident_id != other.id:
                    other.request_over = True  # released: a suppressed incident is over
                    self._maybe_end(other)
        if not incident_id:
            return
        incident = self.open.get(incident_id)
        if event.type == "recording_request":
            if data.get("active") and incident is None:
                self._begin(incident_id, data, suppressed=False)
            elif data.get("active") and incident is not None:
                incident.joined(data.get("sensor_id"), data.get("sensor_name"))
            elif not data.get("active") and incident is not None:
                incident.request_over = True
                self._maybe_end(incident)
        elif event.type == "sensor_state" and incident is None and data.get("suppressed") \
                and data.get("triggered"):
            self._begin(incident_id, {"sensor_type": data.get("type"),
                                      "sensor_id": data.get("sensor_id"),
                                      "sensor_name": data.get("name")}, suppressed=True)
        elif incident is None:
            return
        elif event.type == "sensor_state" and data.get("triggered"):
            incident.joined(data.get("sensor_id"), data.get("name"))
        elif event.type == "recording_state" and data.get("recording"):
            incident.recording = str(data.get("path"))
            incident.awaiting_recording = False
        elif event.type == "archive_updated" and data.get("type") == "recording":
            incident.clip = str(data.get("path"))
            incident.recording = None
            self._maybe_end(incident)
        elif event.type in ("recording_failed", "recording_state") and (
                event.type == "recording_failed" or data.get("error")):
            incident.recording = None
            incident.awaiting_recording = False
            self._maybe_end(incident)

    def _begin(self, incident_id: str, by: dict[str, Any], *, suppressed: bool) -> None:
        """``by``: the triggering sensor's ``sensor_type``, ``sensor_id`` and ``sensor_name``."""
        incident = Incident(incident_id, by.get("sensor_type"), time.time(), suppressed,
                            awaiting_recording=not suppressed)
        incident.joined(by.get("sensor_id"), by.get("sensor_name"))
        self.open[incident_id] = incident
        self._bus.publish(EVENT, incident.payload("new"))
        incident.snapshot_task = self._spawn(self._take_snapshot(incident))

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _take_snapshot(self, incident: Incident) -> None:
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                path = await self._snapshot()
            incident.snapshot = str(path)
        except Exception as exc:
            log.warning("incident %s: no snapshot (%s)", incident.id, exc)
        if not incident.ended:
            self._bus.publish(EVENT, incident.payload("update"))

    def _maybe_end(self, incident: Incident) -> None:
        if (incident.ended or not incident.request_over or incident.awaiting_recording
                or incident.recording is not None):
            return
        incident.ended = True
        self._spawn(self._end(incident))

    async def _end(self, incident: Incident) -> None:
        # The recording that belonged to this incident is final (or there was none).
        if incident.snapshot_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(incident.snapshot_task)
        self.open.pop(incident.id, None)
        self._bus.publish(EVENT, incident.payload("end", time.time()))


INCIDENTS: ServiceKey[IncidentTracker] = ServiceKey(
    "incidents", "the media plugin (builtin.media)")
