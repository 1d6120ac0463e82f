"""``GET/POST /captive-portal``: the saved setting and whether the rule is really there."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from seccam_captive_portal.firewall import FirewallError, FirewallMissing
from seccam_captive_portal.portal import portal_of
from seccam_core import ApiError, Unavailable, current_seccam, json_body, responds

blueprint = Blueprint("captive_portal", __name__)

TOGGLE = {
    "type": "object",
    "properties": {"enabled": {"type": "boolean"}},
    "required": ["enabled"],
    "additionalProperties": False,
}
STATE = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean", "description": "the saved setting"},
        "active": {"type": ["boolean", "null"],
                   "description": "the rule is in the kernel now (null: iptables failed)"},
        "error": {"type": "string", "description": "why iptables could not be read"},
    },
    "required": ["enabled", "active"],
}


def _firewall_error(exc: FirewallError, *, unchanged: bool) -> ApiError:
    suffix = "; the setting was not changed" if unchanged else ""
    if isinstance(exc, FirewallMissing):
        return Unavailable(f"{exc}{suffix}")
    return ApiError(502, f"{exc}{suffix}")


@blueprint.get("/captive-portal")
@responds(200, schema=STATE)
async def get_captive_portal() -> dict[str, Any]:
    """``{"enabled", "active"}``: the saved setting, and whether the rule is in the kernel now."""
    portal = portal_of(current_seccam())
    try:
        active: bool | None = await portal.active()
    except FirewallError as exc:
        return {"enabled": portal.enabled, "active": None, "error": str(exc)}
    return {"enabled": portal.enabled, "active": active}


@blueprint.post("/captive-portal")
@json_body(TOGGLE)
@responds(200, schema=STATE)
@responds(502, description="iptables failed; the setting was not changed")
@responds(503, description="iptables is not installed")
async def post_captive_portal(body: dict[str, Any]) -> dict[str, Any]:
    """Turn the redirect on or off (``{"enabled": true|false}``), in the kernel and the settings."""
    portal = portal_of(current_seccam())
    try:
        await portal.set_enabled(body["enabled"])
        active = await portal.active()
    except FirewallError as exc:
        raise _firewall_error(exc, unchanged=portal.enabled != body["enabled"]) from None
    return {"enabled": portal.enabled, "active": active}
