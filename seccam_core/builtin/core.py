"""The core plugin: the ``Auth``, ``Api`` and ``Logs`` sections and the core's endpoints."""

from __future__ import annotations

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import (
    actions,
    auth,
    dashboard,
    deploy,
    events,
    logs,
    openapi,
    plugins,
    settings,
)
from seccam_core.auth import AUTH_SECTION
from seccam_core.contributions import SettingsSection
from seccam_core.runtime import Seccam

API_SECTION = SettingsSection(
    name="Api",
    description="HTTP API options: the origins a browser dashboard may call from.",
    schema={
        "type": "object",
        "properties": {
            "cors_origins": {
                "type": "array",
                "items": {"type": "string", "maxLength": 200},
                "maxItems": 50,
                "description": "Other origins allowed to call the API from a browser "
                "(the dashboard's own origin always is); \"*\" allows any origin while "
                "authentication is on. Never applies to the login (/auth/validate); "
                "\"null\" is never allowed.",
            },
        },
        "additionalProperties": False,
    },
    defaults={"cors_origins": []},
)


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The core's sections."""
    return [AUTH_SECTION, API_SECTION, logs.LOGS_SECTION]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """The core's endpoints: auth, settings, events, plugins, deploy info, logs, and the
    dashboard's page and files."""
    return [auth.blueprint, settings.blueprint, events.blueprint, plugins.blueprint,
            actions.blueprint, dashboard.blueprint,
            deploy.blueprint, logs.blueprint, openapi.blueprint]


@hookimpl
def seccam_startup(seccam: Seccam) -> None:
    """Rules for the core's sections that need the data folder."""
    seccam.settings.add_check(logs.LOGS_SECTION.name, logs.mediamtx_log_check(seccam.data_dir))
