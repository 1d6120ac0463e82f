"""``/settings``: every section (secrets removed), validated updates, export and import."""

from __future__ import annotations

import json
from typing import Any

from quart import Blueprint, Response

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import described_body, read_json_object, responds
from seccam_core.auth import SECTION as AUTH_SECTION
from seccam_core.auth import new_token
from seccam_core.errors import ApiError, BadRequest

blueprint = Blueprint("settings", __name__)

MAX_IMPORT_BYTES = 256 * 1024

UPDATED = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "changed": {"type": "array", "items": {"type": "string"},
                    "description": "the sections whose values changed"},
        "token": {"type": "string",
                  "description": "the new token, when this update switched Auth on"},
        "ignored": {"type": "array", "items": {"type": "string"},
                    "description": "imported fields left as they are (`Section.field`)"},
    },
    "required": ["message", "changed"],
}


def _document_schema(seccam: Any) -> Any:
    return seccam.settings.document_schema()


def _import_schema(seccam: Any) -> Any:
    return seccam.settings.document_schema(partial=True)


def _update_schema(seccam: Any) -> Any:
    return seccam.settings.update_schema()


async def _apply(changes: dict[str, Any]) -> dict[str, Any]:
    seccam = current_seccam()
    turning_auth_on = (
        changes.get(AUTH_SECTION, {}).get("enabled") is True and not seccam.auth.enabled
        if isinstance(changes.get(AUTH_SECTION), dict) else False
    )
    changed = await seccam.settings.save_sections(changes)
    response: dict[str, Any] = {"message": "Settings saved", "changed": changed}
    if turning_auth_on:
        # Switching the guard on hands out a fresh token, as the original did.
        token = new_token()
        await seccam.settings.save(AUTH_SECTION, {"token": token}, trusted=True)
        response["token"] = token
    return response


@blueprint.get("/settings")
@responds(200, schema=_document_schema)
async def get_settings() -> dict:
    """Every settings section, with secret fields (token, password hash) removed."""
    return current_seccam().settings.public_document()


@blueprint.post("/settings")
@described_body(_update_schema)
@responds(200, schema=UPDATED)
async def post_settings() -> dict:
    """Update one or more sections: ``{"Section": {"field": value}}``. Validated; all or nothing."""
    return await _apply(await read_json_object())


FORMS = {
    "type": "object",
    "description": "each settings section by name",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "what the section is for"},
            "schema": {
                "type": "object",
                "description": "the section's JSON Schema (draft 2020-12), secret fields left "
                "out; write-only fields marked `writeOnly` (a read shows `<field>_set`), "
                "fields only settings.json may set marked `readOnly`, defaults as `default`, "
                "each object's field order as `x-order`",
            },
            "write_only": {"type": "array", "items": {"type": "string"},
                           "description": "paths of the write-only fields (`ntfy.token`, "
                           "`endpoints[].secret`)"},
            "read_only": {"type": "array", "items": {"type": "string"},
                          "description": "fields only settings.json may set"},
        },
        "required": ["description", "schema", "write_only", "read_only"],
    },
}


@blueprint.get("/settings/schema")
@responds(200, schema=FORMS)
async def settings_schema() -> dict:
    """Each section's JSON Schema, to build its form: ``{Section: {description, schema, ...}}``.

    The schema is the owner's own (titles, descriptions, bounds, patterns, defaults), so
    a plugin's section gets a form with no change to the client. Secret fields are left
    out; write-only ones are marked ``writeOnly`` and only settings.json sets the
    ``readOnly`` ones.
    """
    return current_seccam().settings.form_schemas()


@blueprint.get("/settings/export")
@responds(200, schema=_document_schema,
          description="an attachment, `seccam-settings.json`")
async def export_settings() -> Response:
    """The settings document as a file to keep (secrets removed)."""
    document = current_seccam().settings.public_document()
    response = Response(json.dumps(document, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="seccam-settings.json"'
    return response


@blueprint.post("/settings/import")
@described_body(_import_schema)
@responds(200, schema=UPDATED)
@responds(413, description=f"more than {MAX_IMPORT_BYTES // 1024} KiB")
async def import_settings() -> dict:
    """Restore an exported document (``/settings/export``), on this or another camera.

    The ``Auth`` section and the fields only settings.json may set (commands, the update
    checkout) are never imported: they stay as they are and are listed in ``ignored``
    when the document had other values. Everything else is validated; all or nothing.
    """
    from quart import request

    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise ApiError(413, f"the import must be at most {MAX_IMPORT_BYTES // 1024} KiB")
    body = await read_json_object()
    if not body:
        raise BadRequest("the import must be a non-empty settings document")
    changes, ignored = _importable(body, current_seccam().settings)
    response = await _apply(changes)
    if ignored:
        response["ignored"] = ignored
    return response


def _importable(document: dict[str, Any], store: Any) -> tuple[dict[str, Any], list[str]]:
    """The part of ``document`` an import may write, and the differing fields it may not."""
    changes: dict[str, Any] = {}
    ignored: list[str] = []
    for name, fields in document.items():
        section = store.sections.get(name)
        if section is None or not isinstance(fields, dict):
            changes[name] = fields  # the store names the problem
            continue
        kept = set() if name == AUTH_SECTION else (
            set(fields) - section.secret_fields - section.internal_fields)
        current = store.get(name)
        ignored += [f"{name}.{key}" for key in sorted(set(fields) - kept)
                    if key not in section.secret_fields and fields[key] != current.get(key)]
        if kept:
            changes[name] = {key: fields[key] for key in kept}
    return changes, ignored
