"""``GET /openapi.json``: the API description, built from the running app."""

from __future__ import annotations

from quart import Blueprint, current_app

from seccam_core.api.validation import responds
from seccam_core.openapi import build_openapi

blueprint = Blueprint("openapi", __name__)

OPENAPI_DOCUMENT = {
    "type": "object",
    "properties": {
        "openapi": {"type": "string", "description": "the OpenAPI version, 3.1.x"},
        "info": {"type": "object"},
        "paths": {"type": "object"},
    },
    "required": ["openapi", "info", "paths"],
    "description": "an OpenAPI 3.1 document",
}


@blueprint.get("/openapi.json")
@responds(200, schema=OPENAPI_DOCUMENT)
async def openapi() -> dict:
    """The OpenAPI 3.1 document of every route this server serves (no token needed)."""
    return build_openapi(current_app)
