"""``GET /plugins``: every plugin found, with its version, hooks and any error."""

from __future__ import annotations

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import NULLABLE_STRING, responds

blueprint = Blueprint("plugins", __name__)

PLUGIN = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "its entry point (or builtin module) name"},
        "distribution": {**NULLABLE_STRING, "description": "the pip distribution; null "
                                                           "for a builtin"},
        "version": NULLABLE_STRING,
        "builtin": {"type": "boolean"},
        "hooks": {"type": "array", "items": {"type": "string"},
                  "description": "the hooks it implements"},
        "error": {**NULLABLE_STRING, "description": "why it failed to load, if it did"},
        "disabled": {"type": "boolean", "description": "left out by SECCAM_DISABLED_PLUGINS"},
    },
    "required": ["name", "distribution", "version", "builtin", "hooks", "error", "disabled"],
}
PLUGINS = {"type": "object", "properties": {"plugins": {"type": "array", "items": PLUGIN}},
           "required": ["plugins"]}


@blueprint.get("/plugins")
@responds(200, schema=PLUGINS)
async def plugins() -> dict:
    """Plugins found (builtin and installed): name, distribution, version, hooks, error."""
    return {"plugins": current_seccam().plugins.listing()}
