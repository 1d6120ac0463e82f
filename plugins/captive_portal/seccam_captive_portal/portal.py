"""The ``CaptivePortal`` section and the controller that keeps the kernel's table matching it."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccam_captive_portal.firewall import Firewall, FirewallError, FirewallMissing, RedirectRule
from seccam_core import ServiceKey, SettingsSection

if TYPE_CHECKING:
    from seccam_core import Event, Seccam

log = logging.getLogger(__name__)

SECTION_NAME = "CaptivePortal"
SERVICE_NAME = "captive_portal"

SECTION = SettingsSection(
    name=SECTION_NAME,
    description="Redirect web traffic from the Pi's access point to the dashboard.",
    schema={
        "type": "object",
        "properties": {
            "enabled": {
                "type": "boolean",
                "description": "Redirect port 80 on the access point to the dashboard.",
            },
            "interface": {
                "type": "string",
                "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\+?$",
                "description": "The access point's network interface.",
            },
            "dashboard_port": {
                "type": "integer", "minimum": 1, "maximum": 65535,
                "description": "The port the dashboard listens on; port 80 goes there.",
            },
            "iptables_command": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 200},
                "minItems": 1,
                "maxItems": 20,
                "description": "The iptables command as an argument list, e.g. "
                "[\"iptables-legacy\"]. Set in settings.json only: the API cannot.",
            },
        },
        "additionalProperties": False,
    },
    defaults={
        "enabled": False,
        "interface": "ap0",
        "dashboard_port": 3000,
        "iptables_command": ["iptables"],
    },
    # A client able to choose the command would choose what runs as root.
    internal_fields=frozenset({"iptables_command"}),
)
NET_CLASS = Path("/sys/class/net")


def section(net_class: Path = NET_CLASS) -> SettingsSection:
    """The section, on by default only where the access point's interface exists: tried
    as root on any other machine, it would change that machine's firewall."""
    interface = str(SECTION.defaults["interface"])
    on = (net_class / interface).exists()
    return dataclasses.replace(SECTION, defaults={**SECTION.defaults, "enabled": on})


def iptables_check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
    """Switching the portal on needs iptables, whichever route asks (a settings rule)."""
    if not new.get("enabled") or previous.get("enabled"):
        return None
    command = new.get("iptables_command") or ["iptables"]
    if shutil.which(str(command[0])) is None:
        return f"{SECTION_NAME}.enabled: {command[0]} is not installed"
    return None


class CaptivePortal:
    """Adds or removes the redirect rule so the kernel matches ``CaptivePortal.enabled``.

    Every change goes through one lock, so two requests never interleave a check and
    an add. ``active`` is always read from the kernel, never from memory.
    """

    def __init__(self, seccam: Seccam) -> None:
        self.seccam = seccam
        self._lock = asyncio.Lock()
        self._applied: RedirectRule | None = None  # the rule we last put in place
        self._tasks: set[asyncio.Task[None]] = set()
        self._remove_listener: Any = None

    # --- what the settings say ------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return bool(self.seccam.settings.value(SECTION_NAME, "enabled", False))

    def rule(self) -> RedirectRule:
        section = self.seccam.settings.get(SECTION_NAME)
        return RedirectRule(section.get("interface", "ap0"), section.get("dashboard_port", 3000))

    def firewall(self) -> Firewall:
        return Firewall(self.seccam.settings.value(SECTION_NAME, "iptables_command",
                                                   ["iptables"]))

    # --- reading and changing the kernel's table -------------------------------------

    async def active(self) -> bool:
        """Whether the redirect rule is in the nat table right now."""
        return await self.firewall().is_present(self.rule())

    async def _apply(self, enabled: bool) -> None:
        firewall, rule = self.firewall(), self.rule()
        if self._applied is not None and self._applied != rule:
            await firewall.remove_all(self._applied)  # interface or port changed
            self._applied = None
        if enabled:
            await firewall.ensure_present(rule)
            self._applied = rule
        else:
            await firewall.remove_all(rule)

    async def set_enabled(self, enabled: bool) -> None:
        """Change the rule, then save the setting; if iptables fails, nothing is saved."""
        async with self._lock:
            before = self.enabled
            await self._apply(enabled)
            try:
                await self.seccam.settings.save(SECTION_NAME, {"enabled": enabled})
            except Exception:
                with contextlib.suppress(FirewallError):
                    await self._apply(before)  # keep the kernel matching the saved setting
                raise

    async def sync(self, why: str) -> None:
        """Make the table match the saved setting; failures are logged, not raised."""
        try:
            async with self._lock:
                await self._apply(self.enabled)
        except FirewallMissing as exc:
            if self.enabled:
                log.error("captive portal (%s): could not update the firewall: %s", why, exc)
            else:  # off, and no iptables: there is no rule to remove
                log.info("captive portal (%s): off (%s)", why, exc)
        except FirewallError as exc:
            log.error("captive portal (%s): could not update the firewall: %s", why, exc)
        else:
            log.info("captive portal (%s): redirect %s", why, "on" if self.enabled else "off")

    # --- lifecycle ------------------------------------------------------------------

    def _spawn(self, why: str) -> None:
        task = asyncio.get_running_loop().create_task(self.sync(why))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_event(self, event: Event) -> None:
        # Someone changed the section through POST /settings (or we did): re-check.
        if event.type == "settings_changed" and SECTION_NAME in event.data.get("sections", ()):
            self._spawn("settings changed")

    def start(self) -> None:
        """Sync in the background (a slow iptables never delays the server) and follow changes."""
        self.seccam.settings.add_check(SECTION_NAME, iptables_check)
        self._remove_listener = self.seccam.bus.add_listener(self._on_event)
        self._spawn("startup")

    async def wait_idle(self) -> None:
        """Wait for the background syncs started so far (for shutdown and tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Stop following settings; let a sync in progress finish, briefly."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        try:
            await asyncio.wait_for(self.wait_idle(), 5)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()


def portal_of(seccam: Seccam) -> CaptivePortal:
    """This app's controller (one per app, provided as the ``PORTAL`` service)."""
    portal = seccam.get(PORTAL)
    if portal is None:
        portal = CaptivePortal(seccam)
        seccam.provide(PORTAL, portal)
    return portal


PORTAL: ServiceKey[CaptivePortal] = ServiceKey(SERVICE_NAME, "the captive_portal plugin")
