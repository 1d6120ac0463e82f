"""The ``Seccam`` facade handed to plugins, and the app's configuration."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
from seccam_core.media_links import link_target
from seccam_core.plugins import PluginHost, disabled_from_env, load_plugins, unique_by_name
from seccam_core.sensing.types import SensorType
from seccam_core.services import (
    ARCHIVE,
    CAMERA,
    RECORDER,
    SENSORS,
    Archive,
    Camera,
    Recorder,
    Sensors,
    ServiceKey,
    ServiceRegistry,
)
from seccam_core.settings import SettingsStore

log = logging.getLogger(__name__)

T = TypeVar("T")

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
    """What plugins receive: settings, the event bus, the registries, typed services.

    Plugins get this object, never the Quart app. A plugin offers an object to the others
    with ``provide(KEY, obj)`` (see :mod:`seccam_core.services`); the core's own services
    are the typed attributes ``recorder``, ``archive``, ``camera`` and ``sensors``, each
    ``None`` while its plugin is disabled; ``require(KEY)`` raises instead.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.bus = EventBus()
        self.settings = SettingsStore(self.data_dir / "settings.json", self.bus.publish)
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
        self.services = ServiceRegistry()
        self._owners: dict[tuple[str, str], str] = {}
        self.action_runner: ActionRunner | None = None
        self.initial_password: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def logs_dir(self) -> Path:
        """Where the API log and the script logs live."""
        return self.data_dir / "logs"

    # --- services -----------------------------------------------------------------------

    def provide(self, key: ServiceKey[T], service: T, *, replace: bool = False) -> None:
        """Offer ``service`` to the other plugins under ``key`` (call at startup)."""
        self.services.provide(key, service, replace=replace)

    def withdraw(self, key: ServiceKey[T]) -> T | None:
        """Take a service away again (call at shutdown); returns what was provided."""
        return self.services.withdraw(key)

    def get(self, key: ServiceKey[T]) -> T | None:
        """A service, or ``None`` while nobody provides it."""
        return self.services.get(key)

    def require(self, key: ServiceKey[T]) -> T:
        """A service; :class:`~seccam_core.services.ServiceMissing` while nobody provides it."""
        return self.services.require(key)

    @property
    def recorder(self) -> Recorder | None:
        """The media recorder (``None`` while the media plugin is off)."""
        return self.services.get(RECORDER)

    @property
    def archive(self) -> Archive | None:
        """The archive index of the recordings folder."""
        return self.services.get(ARCHIVE)

    @property
    def camera(self) -> Camera | None:
        """The camera pipeline."""
        return self.services.get(CAMERA)

    @property
    def sensors(self) -> Sensors | None:
        """The sensor controller (``None`` while the sensor plugin is off)."""
        return self.services.get(SENSORS)

    def media_link(self, url: str, *, seconds: int = 3600) -> str:
        """A signed link (path and query) to one media file, such as
        ``/stream_video?video_path=<clip name>``: it opens that file without the token,
        for GET and HEAD, for ``seconds`` (at most a week), until the token is
        regenerated. ``ValueError`` says why ``url`` cannot be linked."""
        path, pairs = link_target(url)
        return self.auth.links.make(path, pairs, seconds)[0]

    def someone_home(self) -> bool:
        """True while any presence source sees someone; unknown counts as nobody."""
        for source in self.presence_sources.values():
            try:
                if source.someone_home() is True:
                    return True
            except Exception:
                log.exception("presence source %s failed", source.name)
        return False

    async def collect_contributions(self) -> list[tuple[str, Any]]:
        """Call every contribution hook once and build the registries.

        All or nothing per plugin: every hook is called first, and a plugin that failed
        in any of them contributes nothing at all. Returns the blueprints of the plugins
        that are in, as ``(plugin, blueprint)`` pairs, for the app to register.
        """
        from quart import Blueprint  # the app is being built: Quart is loaded anyway

        collect = self.plugins.collect
        raw = {
            "settings section": await collect("seccam_settings_sections"),
            "sensor type": await collect("seccam_sensor_types"),
            "action": await collect("seccam_actions"),
            "presence source": await collect("seccam_presence_sources"),
            "storage policy": await collect("seccam_storage_policies"),
            "alert metric": await collect("seccam_alert_metrics", seccam=self),
        }
        blueprints = await collect("seccam_register_routes", seccam=self)
        for plugin, section in raw["settings section"]:
            if not isinstance(section, SettingsSection):
                self.plugins.fail(plugin, f"not a SettingsSection: {section!r}")
        for plugin, blueprint in blueprints:
            if not isinstance(blueprint, Blueprint):
                self.plugins.fail(plugin, f"seccam_register_routes returned {blueprint!r}")
        failed = self.plugins.failed()
        kept = {what: [(p, item) for p, item in pairs if p not in failed]
                for what, pairs in raw.items()}
        for section in unique_by_name(kept["settings section"], "settings section").values():
            self.settings.register(section)
        self.sensor_types = unique_by_name(kept["sensor type"], "sensor type")
        self.actions = unique_by_name(kept["action"], "action")
        self.presence_sources = unique_by_name(kept["presence source"], "presence source")
        self.storage_policies = unique_by_name(kept["storage policy"], "storage policy")
        self.alert_metrics = unique_by_name(kept["alert metric"], "alert metric")
        self._owners = {(what, item.name): p for what, pairs in kept.items()
                        for p, item in pairs}
        return [(p, blueprint) for p, blueprint in blueprints if p not in failed]

    def drop_contributions(self, plugin: str) -> None:
        """Take a plugin that failed after contributing (at startup) out of the
        registries; its routes answer 503 from then on (see the app's guard)."""
        registries: dict[str, dict[str, Any]] = {
            "sensor type": self.sensor_types, "action": self.actions,
            "presence source": self.presence_sources,
            "storage policy": self.storage_policies, "alert metric": self.alert_metrics,
        }
        for (what, name), owner in list(self._owners.items()):
            if owner == plugin and what in registries:
                registries[what].pop(name, None)

    async def start_actions(self) -> None:
        self.action_runner = ActionRunner(self.bus, self.actions.values(), self)
        self.action_runner.start()

    async def stop_actions(self) -> None:
        if self.action_runner is not None:
            await self.action_runner.stop()
