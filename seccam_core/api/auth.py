"""``/auth/*``: status, login, token regeneration, password change."""

from __future__ import annotations

import asyncio

from quart import Blueprint, request

from seccam_core.api.context import current_seccam, request_token
from seccam_core.api.validation import json_body, message_answer, responds
from seccam_core.auth import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from seccam_core.errors import ApiError, BadRequest

blueprint = Blueprint("auth", __name__)

PASSWORD = {"type": "string", "maxLength": 1024, "writeOnly": True}
NEW_PASSWORD = {
    "type": "string", "minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH,
    "writeOnly": True,
    "description": f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not blank, "
    "no control or invisible characters",
}


def _client() -> str:
    return request.remote_addr or "unknown"


def _reserve_attempt() -> None:
    """Take a throttle slot before hashing (429 when none is left)."""
    decision = current_seccam().auth.throttle.reserve(_client())
    if not decision.allowed:
        raise ApiError(
            429, f"too many failed attempts; try again in {decision.retry_after} s",
            headers={"Retry-After": str(decision.retry_after)},
        )


@blueprint.get("/auth/status")
@responds(200, schema={
    "type": "object",
    "properties": {"enabled": {"type": "boolean"}, "valid": {"type": ["boolean", "null"]}},
    "required": ["enabled", "valid"],
})
async def auth_status() -> dict:
    """Whether authentication is on, and (if a token was sent) whether it is valid."""
    auth = current_seccam().auth
    token = request_token()
    return {"enabled": auth.enabled, "valid": None if token is None else auth.token_valid(token)}


@blueprint.post("/auth/validate")
@json_body({
    "type": "object",
    "properties": {"password": PASSWORD},
    "required": ["password"],
})
@responds(429, description="too many failed attempts from this address",
          headers={"Retry-After": "seconds until this address may try again"})
@responds(200, schema={
    "type": "object",
    "properties": {"valid": {"type": "boolean"}, "token": {"type": "string"}},
    "required": ["valid"],
})
async def auth_validate(body: dict) -> dict:
    """Log in: the password for the API token. Failed attempts are throttled per address."""
    _reserve_attempt()
    auth = current_seccam().auth
    ok = await asyncio.to_thread(auth.check_password, body["password"])
    if not ok:
        return {"valid": False}
    auth.throttle.succeeded(_client())
    await asyncio.to_thread(auth.forget_first_password)
    return {"valid": True, "token": auth.token}


@blueprint.post("/auth/regenerate")
@responds(200, schema={"type": "object", "properties": {"token": {"type": "string"}},
                        "required": ["token"]})
async def auth_regenerate() -> dict:
    """A new API token; the old one stops working at once and open event streams close."""
    seccam = current_seccam()
    token = await asyncio.to_thread(seccam.auth.regenerate_token)
    seccam.bus.close_all("token regenerated")
    return {"token": token}


@blueprint.post("/auth/set-password")
@json_body({
    "type": "object",
    "properties": {"current": PASSWORD, "new": NEW_PASSWORD},
    "required": ["current", "new"],
})
@responds(403, description="the current password is wrong")
@responds(429, description="too many failed attempts from this address",
          headers={"Retry-After": "seconds until this address may try again"})
@responds(200, schema=message_answer())
async def auth_set_password(body: dict) -> dict:
    """Change the dashboard password (needs the current one)."""
    new = body["new"]
    problem = password_problem(new, "new")
    if problem is not None:
        raise BadRequest(problem)
    _reserve_attempt()
    auth = current_seccam().auth
    if not await asyncio.to_thread(auth.check_password, body["current"]):
        raise ApiError(403, "current: the current password is wrong")
    auth.throttle.succeeded(_client())
    await asyncio.to_thread(auth.set_password, new)
    return {"message": "Password updated"}
