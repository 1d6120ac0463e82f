"""``GET /openapi.json``: the API description, built from the running app."""

from __future__ import annotations

from quart import Blueprint, current_app

from seccam_core.openapi import build_openapi

blueprint = Blueprint("openapi", __name__)


@blueprint.get("/openapi.json")
async def openapi() -> dict:
    """The OpenAPI 3.1 document of every route this server serves (no token needed)."""
    return build_openapi(current_app)
