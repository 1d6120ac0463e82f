"""Test doubles for sensor tests: a stand-in recorder and a presence source you switch.

Register them like any plugin object::

    recorder, presence = StandInRecorder(), SwitchablePresence()
    server = seccam_live_server(my_sensor_plugin, recorder, presence)
    server.call(lambda: presence.set_home(True))   # on the server's loop
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from seccam_core import hookimpl
from seccam_core.contributions import ActionContext, ActionType, PresenceSource
from seccam_core.events import Event
from seccam_core.runtime import Seccam


class StandInRecorder:
    """Stands in for the media recorder (no camera, no ffmpeg): answers every sensor
    ``recording_request`` with the ``recording_state`` a recorder would publish. The
    test kit leaves the builtin media plugin out wherever it is used.

    It "records" from ``active: true`` until ``active: false``; ``requests`` keeps every
    request it saw, in order. ``stop_by_hand()`` ends a recording as a manual stop would.
    """

    seccam_plugin_name = "stand_in_recorder"
    seccam_stands_in_for = ("builtin.media",)

    def __init__(self) -> None:
        self.recording = False
        self.requests: list[dict[str, Any]] = []
        self._seccam: Seccam | None = None

    @hookimpl
    def seccam_actions(self) -> list[ActionType]:
        """The action answering ``recording_request``."""
        return [ActionType(name="stand_in_recorder", events=frozenset({"recording_request"}),
                           run=self._run, timeout=5.0,
                           description="test double of the media recorder")]

    @hookimpl
    def seccam_startup(self, seccam: Seccam) -> None:
        """Remember the bus for ``stop_by_hand``."""
        self._seccam = seccam

    async def _run(self, event: Event, ctx: ActionContext) -> None:
        self.requests.append(dict(event.data))
        if event.data.get("active") and not self.recording:
            self.recording = True
            ctx.seccam.bus.publish("recording_state", {
                "recording": True, "reason": "sensor",
                "started_at": dt.datetime.now(dt.UTC).isoformat(),
            })
        elif not event.data.get("active") and self.recording:
            self.recording = False
            ctx.seccam.bus.publish("recording_state", {"recording": False, "reason": "sensor"})

    def stop_by_hand(self) -> None:
        """End the recording as ``POST /toggle_recording`` would (call on the loop)."""
        assert self._seccam is not None
        self.recording = False
        self._seccam.bus.publish("recording_state", {"recording": False, "reason": "manual"})


class SwitchablePresence(PresenceSource):
    """A presence source the test switches: ``set_home(True)`` means someone is at home."""

    name = "switchable_presence"
    seccam_plugin_name = "switchable_presence"

    def __init__(self) -> None:
        self.home: bool | None = None
        self._seccam: Seccam | None = None

    def someone_home(self) -> bool | None:
        return self.home

    @hookimpl
    def seccam_presence_sources(self) -> list[PresenceSource]:
        """This source."""
        return [self]

    @hookimpl
    def seccam_startup(self, seccam: Seccam) -> None:
        """Remember the bus, to publish ``presence_state`` on changes."""
        self._seccam = seccam

    def set_home(self, home: bool | None) -> None:
        """Change the answer and publish ``presence_state`` (call on the server's loop)."""
        self.home = home
        if self._seccam is not None:
            self._seccam.bus.publish("presence_state", {"someone_home": home is True,
                                                        "devices": []})


class EdgeRecorder:
    """An ``emit`` for unit tests of a live sensor: keeps every edge, lets a test await them.

    ``sensor = my_type.factory(config, edges)``; ``edges.wait_for(2)`` returns once two
    edges arrived (from any thread), ``edges.edges`` is the list so far.
    """

    def __init__(self) -> None:
        self.edges: list[str] = []
        self.details: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, edge: str, detail: str = "") -> None:
        with self._changed:
            self.edges.append(edge)
            self.details.append(detail)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[str]:
        """The edges once there are at least ``count`` (``TimeoutError`` after ``timeout``)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.edges) >= count, timeout):
                raise TimeoutError(f"{len(self.edges)} edges after {timeout} s: {self.edges}")
            return list(self.edges)
