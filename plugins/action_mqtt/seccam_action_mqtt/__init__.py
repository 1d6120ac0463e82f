"""``mqtt``: the camera on your MQTT broker, discovered by Home Assistant as one device.

State topics under ``<base_topic>/<device_id>/`` are retained; commands arrive on
``.../set`` and are never acted on when found retained. Availability is
``<base_topic>/<device_id>/availability`` (``online``; the last will and a clean stop
say ``offline``). Incidents go to ``.../incidents`` as ``new``/``update``/``end``.
Disabling the section removes the device from Home Assistant. See docs/mqtt.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from seccam_action_mqtt.bridge import SENSORS_SECTION, Bridge
from seccam_action_mqtt.settings import MQTT_SECTION, SECTION
from seccam_core import (
    ActionContext,
    ActionType,
    Event,
    Seccam,
    ServiceKey,
    SettingsSection,
    hookimpl,
)

log = logging.getLogger(__name__)

MQTT: ServiceKey[Bridge] = ServiceKey("mqtt", "the action_mqtt plugin")
EVENTS = frozenset({"sensor_state", "recording_state", "presence_state", "incident",
                    "archive_updated", "system_alert", "arming_state", "settings_changed"})


def wanted(event: Event) -> bool:
    """Settings changes only when they change the sensor list (the entities follow it)."""
    return event.type != "settings_changed" or SENSORS_SECTION in event.data.get("sections", ())


async def run(event: Event, ctx: ActionContext) -> bool:
    """Hand the event to the bridge (never waits for the broker)."""
    bridge = ctx.seccam.get(MQTT) if ctx.seccam is not None else None
    if bridge is None:
        return False
    return await bridge.handle(event)


def status(seccam: Seccam) -> Mapping[str, Any] | None:
    """The connection: connected, last_error, messages_sent, overflow, ..."""
    bridge = seccam.get(MQTT) if seccam is not None else None
    return bridge.status() if bridge is not None else None


MQTT_ACTION = ActionType(
    name="mqtt",
    events=EVENTS,
    wants=wanted,
    run=run,
    timeout=10.0,
    description="The camera's state on your MQTT broker, with Home Assistant discovery.",
    section=SECTION,
    queue_size=1000,
    status=status,
)


class Supervisor:
    """Starts, restarts and stops the bridge as the ``Mqtt`` section changes."""

    def __init__(self, seccam: Seccam, bridge: Bridge) -> None:
        self.seccam = seccam
        self.bridge = bridge
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._applied: dict[str, Any] | None = None

    def on_event(self, event: Event) -> None:
        if event.type == "settings_changed" and SECTION in event.data.get("sections", ()):
            task = asyncio.ensure_future(self.apply())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def apply(self) -> None:
        """Bring the bridge in line with the stored section."""
        async with self._lock:
            settings = self.seccam.settings.get(SECTION)
            if settings == self._applied and self.bridge.running == bool(settings["enabled"]):
                return
            if not settings["enabled"]:
                await self.bridge.stop(clear=True)
            elif self.bridge.running:
                await self.bridge.restart()
            else:
                await self.bridge.start()
            self._applied = settings

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._lock:
            await self.bridge.stop()


_SUPERVISORS: dict[int, tuple[Supervisor, Any]] = {}


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Connect when the section is enabled, and follow its changes."""
    bridge = Bridge(seccam)
    seccam.provide(MQTT, bridge)
    supervisor = Supervisor(seccam, bridge)
    remove = seccam.bus.add_listener(supervisor.on_event)
    _SUPERVISORS[id(seccam)] = (supervisor, remove)
    await supervisor.apply()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Say ``offline`` (retained) and disconnect."""
    found = _SUPERVISORS.pop(id(seccam), None)
    if found is not None:
        supervisor, remove = found
        remove()
        await supervisor.close()
    seccam.withdraw(MQTT)


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Mqtt`` section."""
    return [MQTT_SECTION]


@hookimpl
def seccam_actions() -> list[ActionType]:
    """The mqtt action."""
    return [MQTT_ACTION]
