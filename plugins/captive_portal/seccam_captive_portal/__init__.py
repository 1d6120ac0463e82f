"""seccam captive portal: phones that join the Pi's access point land on the dashboard.

Owns the ``CaptivePortal`` settings section and ``GET/POST /captive-portal``; keeps a
``nat PREROUTING`` rule (port 80 on the access point to the dashboard's port) in the
kernel's table matching the setting, at startup and on every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seccam_captive_portal.api import blueprint
from seccam_captive_portal.portal import CaptivePortal, portal_of, section
from seccam_core import hookimpl

if TYPE_CHECKING:
    from quart import Blueprint

    from seccam_core import Seccam, SettingsSection

__all__ = ["CaptivePortal", "portal_of"]


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``CaptivePortal`` section: enabled (by default only where the access point's
    interface exists), interface, dashboard_port, iptables_command."""
    return [section()]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``GET/POST /captive-portal``."""
    return [blueprint]


@hookimpl
def seccam_startup(seccam: Seccam) -> None:
    """Bring the rule in line with the setting, in the background, and follow changes."""
    portal_of(seccam).start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop following settings; the rule stays as the setting says, across restarts."""
    await portal_of(seccam).stop()
