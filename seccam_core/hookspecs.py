"""Every hook seccam calls, with the contract a plugin author relies on.

Hooks come in two kinds:

* **Contribution hooks** (``seccam_sensor_types`` ... ``seccam_register_routes``) are
  called once while the app starts. Each returns a list (or an awaitable resolving to a
  list); the core flattens the lists of every plugin, rejects duplicate names with a
  startup error that names both plugins, and keeps the result in plain registries. The
  live work then goes through those objects, never through a hook.
* **Lifecycle hooks** (``seccam_startup``, ``seccam_shutdown``) run when the server
  starts and stops. They may be ``async``; the core awaits them.

A hook implementation that raises is logged and its plugin is listed with the error
(``GET /plugins``, ``seccam plugins``); the other plugins and the server go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from seccam_core import PROJECT_NAME

if TYPE_CHECKING:
    from quart import Blueprint

    from seccam_core.contributions import (
        ActionType,
        AlertMetric,
        PresenceSource,
        SettingsSection,
        StoragePolicy,
    )
    from seccam_core.runtime import Seccam
    from seccam_core.sensing.types import SensorType

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --- contributions: sensors, actions, presence, storage, health --------------------


@hookspec
def seccam_sensor_types() -> list[SensorType]:
    """Declare the sensor types this plugin provides.

    Return a list of :class:`seccam_core.sensing.types.SensorType`. Each declares its
    ``name`` (the ``type`` clients send to ``/sensor/configure``), a label, its wiring,
    a JSON Schema for its calibration and a factory that builds the live sensor. The
    declarations are served as they are by ``GET /sensor/types``.
    """


@hookspec
def seccam_actions() -> list[ActionType]:
    """Declare actions that react to events on the bus.

    Return a list of :class:`seccam_core.contributions.ActionType`. The core runs each
    action in its own task with its own bounded queue, one event at a time and in order,
    with the action's timeout, retries (raise ``TransientError``) and its own error
    handling: an action that fails or hangs never delays another or the recorder. An
    action with a settings section (``seccam_core.action_section``) also gets the gate:
    enabled, cooldown, hourly cap, quiet hours, snooze, one message per incident.
    ``GET /actions`` lists them with their counters (docs/plugins.md, section 7).
    """


@hookspec
def seccam_presence_sources() -> list[PresenceSource]:
    """Declare sources that know whether someone is at home.

    Return a list of :class:`seccam_core.contributions.PresenceSource`. While any
    source answers ``someone_home() is True``, sensor triggers are recorded as
    suppressed and start no recording.
    """


@hookspec
def seccam_storage_policies() -> list[StoragePolicy]:
    """Declare policies that keep the media storage from filling up.

    Return a list of :class:`seccam_core.contributions.StoragePolicy`. The core calls
    ``enforce()`` after every finished recording; the policy may also run on its own
    schedule from ``seccam_startup``.
    """


@hookspec
def seccam_alert_metrics(seccam: Seccam) -> list[AlertMetric]:
    """Declare health metrics with warning and critical levels.

    Return a list of :class:`seccam_core.contributions.AlertMetric`. The sampler reads
    each metric periodically (in a worker thread), and publishes ``system_alert`` when
    a level changes. ``seccam`` is there for metrics that depend on the app's settings
    (the storage metric measures the media folder); take it only if you need it.
    """


# --- contributions: settings and routes ---------------------------------------------


@hookspec
def seccam_settings_sections() -> list[SettingsSection]:
    """Declare the settings sections this plugin owns.

    Return a list of :class:`seccam_core.contributions.SettingsSection`: a name (such as
    ``StorageLimit``), a JSON Schema, the defaults and the names of secret fields. The
    store validates the section against the schema on load and on every write; secret
    fields never leave the store through the API.
    """


@hookspec
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """Contribute HTTP endpoints.

    ``seccam`` is the :class:`seccam_core.runtime.Seccam` facade (settings, event bus,
    registries), not the Quart app. Return a list of Quart blueprints; each declares its
    own paths. A path that another route already serves is a startup error. Every route
    is behind the token guard: plugins cannot add exemptions.
    """


# --- lifecycle ------------------------------------------------------------------------


@hookspec
def seccam_startup(seccam: Seccam) -> Any:
    """Start background work once the registries are built and before the first request.

    May be ``async``; the core awaits it. Keep long-running loops in tasks you create
    here and stop them in :func:`seccam_shutdown`.
    """


@hookspec
def seccam_shutdown(seccam: Seccam) -> Any:
    """Stop background work and release hardware when the server stops.

    May be ``async``; the core awaits it, with a timeout. Called in reverse order of
    registration, even when another plugin's shutdown failed.
    """
