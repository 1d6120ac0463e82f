"""``GET /plugins``: every plugin found, with its version, hooks and any error."""

from __future__ import annotations

from quart import Blueprint

from seccam_core.api.context import current_seccam

blueprint = Blueprint("plugins", __name__)


@blueprint.get("/plugins")
async def plugins() -> dict:
    """Plugins found (builtin and installed): name, distribution, version, hooks, error."""
    return {"plugins": current_seccam().plugins.listing()}
