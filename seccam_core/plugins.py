"""The plugin manager: builtins and the ``seccam`` entry point group, through one door.

Built once per app by :func:`load_plugins`, never at import time. A plugin that fails
to import, registers a misspelt hook, or raises while contributing is logged, listed
with its error, and left out; the server keeps serving. Duplicate contribution names
are a startup error naming both plugins.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy

from seccam_core import PROJECT_NAME, __version__, hookspecs
from seccam_core.errors import PluginError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT_NAME
BUILTIN_PLUGINS: tuple[str, ...] = (
    "seccam_core.builtin.core",
    "seccam_core.builtin.catalogue",
    "seccam_core.builtin.sensors",
    "seccam_core.builtin.media",
    "seccam_core.builtin.health",
)
"""The core's own features, registered exactly like third-party plugins."""


@dataclass
class PluginInfo:
    """What ``GET /plugins`` and ``seccam plugins`` show for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "error": self.error,
            "disabled": self.disabled,
        }


def disabled_from_env(environ: os._Environ[str] | dict[str, str] = os.environ) -> frozenset[str]:
    raw = environ.get("SECCAM_DISABLED_PLUGINS", "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class PluginHost:
    """A typed facade over the pluggy manager: callers never touch ``pm.hook`` directly."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failed_names: set[str] = set()

    # --- registration --------------------------------------------------------------

    def register(self, plugin: object, info: PluginInfo) -> bool:
        """Register one plugin; on any contract error list it with the error instead."""
        self.infos[info.name] = info
        if info.disabled:
            return False
        try:
            self.pm.register(plugin, name=info.name)
            self.pm.check_pending()
            _refuse_wrappers(self.pm, plugin)
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self.fail(info.name, f"{type(exc).__name__}: {exc}")
            return False
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        return True

    def fail(self, name: str, error: str) -> None:
        """Record a plugin's error, take it out, and go on."""
        info = self.infos[name]
        info.error = error
        self.failed_names.add(name)
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        log.error("plugin %s left out: %s", name, error)

    # --- calling hooks -------------------------------------------------------------

    async def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a contribution hook on every plugin; return ``(plugin, item)`` pairs.

        Each implementation is called on its own (awaited if it returns an awaitable), so
        one plugin raising, or returning something that is not a list, only takes that
        plugin out.
        """
        pairs: list[tuple[str, Any]] = []
        for impl in self.call_order(hook_name):
            name = impl.plugin_name
            try:
                result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                if inspect.isawaitable(result):
                    result = await result
                if result is None:
                    continue
                if not isinstance(result, list | tuple):
                    raise TypeError(f"{hook_name} must return a list, not {type(result).__name__}")
            except Exception as exc:
                log.exception("plugin %s failed in %s", name, hook_name)
                self.fail(name, f"{hook_name}: {type(exc).__name__}: {exc}")
                pairs = [pair for pair in pairs if pair[0] != name]
                continue
            pairs.extend((name, item) for item in result)
        return pairs

    async def call_lifecycle(self, hook_name: str, *, reverse: bool = False, **kwargs: Any) -> None:
        """Call startup/shutdown on every plugin; failures are logged and listed."""
        impls = self.call_order(hook_name)
        for impl in reversed(impls) if reverse else impls:
            try:
                result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                if impl.plugin_name in self.infos and not reverse:
                    self.fail(impl.plugin_name, f"{hook_name}: {type(exc).__name__}: {exc}")

    def call_order(self, hook_name: str) -> list[pluggy.HookImpl]:
        """The implementations of a hook in the order seccam calls them: ``tryfirst``
        ones, then the rest, then ``trylast`` ones; registration order within each
        (builtins, then entry points by name, then plugins passed in)."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        first = [impl for impl in impls if impl.tryfirst]
        last = [impl for impl in impls if impl.trylast]
        middle = [impl for impl in impls if not impl.tryfirst and not impl.trylast]
        return first + middle + last

    def failed(self) -> set[str]:
        """The names of the plugins left out with an error."""
        return set(self.failed_names)

    def listing(self) -> list[dict[str, Any]]:
        return [info.as_dict() for info in self.infos.values()]


def _refuse_wrappers(pm: pluggy.PluginManager, plugin: object) -> None:
    """Wrappers around other plugins' hooks are not part of seccam's contract."""
    for caller in pm.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                raise PluginError(f"{caller.name} is a hook wrapper; seccam plugins "
                                  "implement hooks, they do not wrap other plugins' hooks")


def unique_by_name(pairs: Iterable[tuple[str, Any]], what: str) -> dict[str, Any]:
    """Index contributions by ``.name``; a duplicate is a startup error naming both plugins."""
    registry: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for plugin, item in pairs:
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin} contributed a {what} without a name: {item!r}")
        if name in registry:
            raise PluginError(
                f"duplicate {what} name {name!r}: contributed by plugin {owners[name]} "
                f"and by plugin {plugin}"
            )
        registry[name] = item
        owners[name] = plugin
    return registry


def _entry_point_info(ep: EntryPoint, disabled: frozenset[str]) -> PluginInfo:
    dist = getattr(ep, "dist", None)
    return PluginInfo(
        name=ep.name,
        distribution=dist.metadata["Name"] if dist is not None else None,
        version=dist.version if dist is not None else None,
        builtin=False,
        disabled=ep.name in disabled,
    )


def load_plugins(
    *,
    extra: Sequence[object] = (),
    entry_points_enabled: bool = True,
    disabled: frozenset[str] = frozenset(),
    safe_mode: bool = False,
) -> PluginHost:
    """Build the plugin manager: builtins, then entry points, then ``extra`` objects."""
    host = PluginHost()
    for module_name in BUILTIN_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        info = PluginInfo(
            name=f"builtin.{short}", distribution="seccam-core", version=__version__,
            builtin=True, disabled=f"builtin.{short}" in disabled,
        )
        host.register(importlib.import_module(module_name), info)
    if entry_points_enabled and not safe_mode:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            info = _entry_point_info(ep, disabled)
            if ep.name in host.infos:
                continue  # the same distribution seen twice on sys.path
            if info.disabled:
                host.infos[info.name] = info
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                host.infos[info.name] = info
                info.error = f"import failed: {type(exc).__name__}: {exc}"
                log.error("plugin %s could not be imported: %s", ep.name, exc)
                continue
            host.register(plugin, info)
    for plugin in extra:
        name = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__
        name = getattr(plugin, "seccam_plugin_name", name)
        info = PluginInfo(name=name, distribution=None, version=None, builtin=False,
                          disabled=name in disabled)
        host.register(plugin, info)
    return host
