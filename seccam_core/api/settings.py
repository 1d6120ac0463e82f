"""``/settings``: every section (secrets removed), validated updates, export and import."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from quart import Blueprint, Response

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import read_json_object, responds
from seccam_core.auth import SECTION as AUTH_SECTION
from seccam_core.auth import new_token
from seccam_core.errors import ApiError, BadRequest

blueprint = Blueprint("settings", __name__)

MAX_IMPORT_BYTES = 256 * 1024


async def _apply(changes: dict[str, Any]) -> dict[str, Any]:
    seccam = current_seccam()
    turning_auth_on = (
        changes.get(AUTH_SECTION, {}).get("enabled") is True and not seccam.auth.enabled
        if isinstance(changes.get(AUTH_SECTION), dict) else False
    )
    changed = await asyncio.to_thread(seccam.settings.update, changes)
    response: dict[str, Any] = {"message": "Settings saved", "changed": changed}
    if turning_auth_on:
        # Switching the guard on hands out a fresh token, as the original did.
        token = new_token()
        await asyncio.to_thread(
            seccam.settings.update, {AUTH_SECTION: {"token": token}}, trusted=True
        )
        response["token"] = token
    if changed:
        seccam.bus.publish("settings_changed", {"sections": changed})
    return response


@blueprint.get("/settings")
async def get_settings() -> dict:
    """Every settings section, with secret fields (token, password hash) removed."""
    return current_seccam().settings.public_document()


@blueprint.post("/settings")
async def post_settings() -> dict:
    """Update one or more sections: ``{"Section": {"field": value}}``. Validated; all or nothing."""
    return await _apply(await read_json_object())


@blueprint.get("/settings/export")
@responds(200, schema={"type": "object"},
          description="an attachment, `seccam-settings.json`")
async def export_settings() -> Response:
    """The settings document as a file to keep (secrets removed)."""
    document = current_seccam().settings.public_document()
    response = Response(json.dumps(document, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="seccam-settings.json"'
    return response


@blueprint.post("/settings/import")
@responds(413, description=f"more than {MAX_IMPORT_BYTES // 1024} KiB")
async def import_settings() -> dict:
    """Restore an exported document. The ``Auth`` section is never imported."""
    from quart import request

    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise ApiError(413, f"the import must be at most {MAX_IMPORT_BYTES // 1024} KiB")
    body = await read_json_object()
    if not body:
        raise BadRequest("the import must be a non-empty settings document")
    body.pop(AUTH_SECTION, None)
    return await _apply(body)
