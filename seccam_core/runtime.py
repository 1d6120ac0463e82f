"""The ``Seccam`` facade handed to plugins, and the app's configuration."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccam_core.actions import ActionRunner
from seccam_core.auth import AuthService
from seccam_core.connections import ConnectionLimits
from seccam_core.contributions import (
    ActionType,
    AlertMetric,
    PresenceSource,
    SettingsSection,
    StoragePolicy,
)
from seccam_core.events import EventBus
from seccam_core.plugins import PluginHost, disabled_from_env, load_plugins, unique_by_name
from seccam_core.sensors import SensorType
from seccam_core.settings import SettingsStore

log = logging.getLogger(__name__)

DEFAULT_PORT = 5005


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Config:
    """How one app is built. ``from_env`` fills it the way ``seccam serve`` does."""

    data_dir: Path
    plugins: Sequence[object] = ()
    entry_points: bool = True
    disabled_plugins: frozenset[str] = field(default_factory=disabled_from_env)
    safe_mode: bool = field(default_factory=lambda: _env_flag("SECCAM_SAFE_MODE"))
    show_initial_password: bool = False
    heartbeat_seconds: float = 15.0
    max_sse_streams: int = 500
    max_body_bytes: int = 1024 * 1024
    shutdown_timeout: float = 10.0
    max_connections: int | None = None
    """Client connections open at once; None sizes it from the descriptor limit."""
    max_connections_per_address: int | None = None
    """Connections one client address may hold; None is a third of the total."""

    def connection_limits(self) -> ConnectionLimits:
        """The caps ``seccam serve`` enforces, below the process's descriptor limit."""
        return ConnectionLimits.from_descriptors(
            total=self.max_connections, per_address=self.max_connections_per_address)

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, **overrides: Any) -> Config:
        chosen = data_dir or os.environ.get("SECCAM_DATA_DIR") or "./data"
        return cls(data_dir=Path(chosen).expanduser().resolve(), **overrides)


class Seccam:
    """What plugins receive: settings, the event bus, the registries, shared services.

    Plugins get this object, never the Quart app. ``services`` is where a plugin offers
    an object to others (the camera, the recorder, the sensor controller), by name.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = SettingsStore(self.data_dir / "settings.json")
        self.bus = EventBus()
        self.auth = AuthService(self.settings)
        self.plugins: PluginHost = load_plugins(
            extra=config.plugins,
            entry_points_enabled=config.entry_points,
            disabled=config.disabled_plugins,
            safe_mode=config.safe_mode,
        )
        self.sensor_types: dict[str, SensorType] = {}
        self.actions: dict[str, ActionType] = {}
        self.presence_sources: dict[str, PresenceSource] = {}
        self.storage_policies: dict[str, StoragePolicy] = {}
        self.alert_metrics: dict[str, AlertMetric] = {}
        self.services: dict[str, Any] = {}
        self.action_runner: ActionRunner | None = None
        self.initial_password: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def someone_home(self) -> bool:
        """True while any presence source sees someone; unknown counts as nobody."""
        for source in self.presence_sources.values():
            try:
                if source.someone_home() is True:
                    return True
            except Exception:
                log.exception("presence source %s failed", source.name)
        return False

    async def collect_contributions(self) -> None:
        """Call every contribution hook once and build the registries."""
        collect = self.plugins.collect
        sections = unique_by_name(await collect("seccam_settings_sections"), "settings section")
        for section in sections.values():
            if not isinstance(section, SettingsSection):
                raise TypeError(f"not a SettingsSection: {section!r}")
            self.settings.register(section)
        self.sensor_types = unique_by_name(await collect("seccam_sensor_types"), "sensor type")
        self.actions = unique_by_name(await collect("seccam_actions"), "action")
        self.presence_sources = unique_by_name(
            await collect("seccam_presence_sources"), "presence source"
        )
        self.storage_policies = unique_by_name(
            await collect("seccam_storage_policies"), "storage policy"
        )
        self.alert_metrics = unique_by_name(
            await collect("seccam_alert_metrics", seccam=self), "alert metric"
        )

    async def start_actions(self) -> None:
        self.action_runner = ActionRunner(self.bus, self.actions.values(), self)
        self.action_runner.start()

    async def stop_actions(self) -> None:
        if self.action_runner is not None:
            await self.action_runner.stop()
