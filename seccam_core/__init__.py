"""seccam: the backend of a Raspberry Pi security camera.

Writing a plugin starts here. Mark each hook implementation with :data:`hookimpl`
and expose the module through the ``seccam`` entry point group::

    # seccam_lightgate/__init__.py
    from seccam_core import hookimpl
    from seccam_core.sensors import SensorType

    @hookimpl
    def seccam_sensor_types():
        return [SensorType(name="light_gate", ...)]

    # pyproject.toml
    [project.entry-points.seccam]
    lightgate = "seccam_lightgate"

Every hook, its arguments and its return value are described in
:mod:`seccam_core.hookspecs`; ``docs/plugins.md`` walks through a whole plugin.
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

PROJECT_NAME = "seccam"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a function as a seccam hook implementation."""

try:
    __version__ = version("seccam-core")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]

# The names plugins use, re-exported so that plugins import only ``seccam_core``.
from seccam_core.action_settings import action_section  # noqa: E402
from seccam_core.api.validation import json_body, message_answer, responds  # noqa: E402
from seccam_core.contributions import ActionContext, ActionType, SettingsSection  # noqa: E402
from seccam_core.delivery import Backoff, TransientError  # noqa: E402
from seccam_core.errors import BadRequest  # noqa: E402
from seccam_core.events import Event  # noqa: E402

__all__ += [
    "ActionContext", "ActionType", "Backoff", "BadRequest", "Event", "SettingsSection",
    "TransientError", "action_section", "json_body", "message_answer", "responds",
]
