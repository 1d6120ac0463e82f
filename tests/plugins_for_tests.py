"""Small plugins the core tests register, each standing in for a real third-party one."""

from __future__ import annotations

import asyncio

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.contributions import (
    ActionType,
    AlertLevel,
    AlertMetric,
    CleanupReport,
    MetricReading,
    PresenceSource,
    SettingsSection,
    StoragePolicy,
)
from seccam_core.sensing.types import LiveSensor, SensorType


class EveryHookPlugin:
    """Implements every hook, and records which ones the core called."""

    seccam_plugin_name = "every-hook"

    def __init__(self) -> None:
        self.called: list[str] = []
        self.blueprint = Blueprint("every_hook", __name__)

        @self.blueprint.get("/every-hook/ping")
        async def ping() -> dict:
            """A plugin route."""
            return {"pong": True}

        @self.blueprint.post("/every-hook/item/<int:item_id>")
        async def item(item_id: int) -> dict:
            """A plugin route with a parameter."""
            return {"item": item_id}

    @hookimpl
    def seccam_sensor_types(self):
        self.called.append("seccam_sensor_types")

        class Nothing(LiveSensor):
            def close(self) -> None:
                pass

            @property
            def raw_value(self):
                return None

        return [SensorType(name="test_nothing", label="Nothing", factory=lambda c, e: Nothing(),
                           uses_gpio=False)]

    @hookimpl
    async def seccam_actions(self):  # async on purpose: contribution hooks may be awaited
        await asyncio.sleep(0)
        self.called.append("seccam_actions")

        async def run(event, ctx):
            pass

        return [ActionType(name="test_noop", events=frozenset({"never"}), run=run)]

    @hookimpl
    def seccam_presence_sources(self):
        self.called.append("seccam_presence_sources")

        class Nobody(PresenceSource):
            name = "test_nobody"

            def someone_home(self):
                return False

        return [Nobody()]

    @hookimpl
    def seccam_storage_policies(self):
        self.called.append("seccam_storage_policies")

        class KeepAll(StoragePolicy):
            name = "test_keep_all"

            async def enforce(self, seccam):
                return CleanupReport()

        return [KeepAll()]

    @hookimpl
    def seccam_alert_metrics(self):
        self.called.append("seccam_alert_metrics")
        return [AlertMetric(name="test_metric", read=lambda: MetricReading(AlertLevel.OK, 1))]

    @hookimpl
    def seccam_settings_sections(self):
        self.called.append("seccam_settings_sections")
        return [SettingsSection(
            name="TestSection",
            schema={"type": "object", "properties": {"level": {"type": "integer", "minimum": 0,
                    "maximum": 10}}, "additionalProperties": False},
            defaults={"level": 3},
        )]

    @hookimpl
    def seccam_register_routes(self, seccam):
        self.called.append("seccam_register_routes")
        return [self.blueprint]

    @hookimpl
    async def seccam_startup(self, seccam):
        self.called.append("seccam_startup")

    @hookimpl
    def seccam_shutdown(self, seccam):
        self.called.append("seccam_shutdown")
