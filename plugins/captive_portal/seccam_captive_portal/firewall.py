"""The one place that runs iptables: check, add and remove the redirect rule.

Every command is an argument list run through seccam's command boundary
(``run_command``: never a shell, a timeout, nothing left running). The command prefix
comes from settings, so a test (or an unusual system) can
run ``ip netns exec <ns> iptables`` or ``iptables-legacy`` instead of ``iptables``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seccam_core import (
    Command,
    CommandFailed,
    CommandMissing,
    CommandTimeout,
    SeccamError,
    run_command,
)

COMMAND_TIMEOUT = 15.0
MAX_COPIES = 100
"""Removing "every copy" stops here, so a table that refills itself cannot loop us forever."""


class FirewallError(SeccamError):
    """iptables could not be run, or refused the command."""


class FirewallMissing(FirewallError, FileNotFoundError):
    """The configured iptables command does not exist on this machine."""


@dataclass(frozen=True)
class RedirectRule:
    """``nat PREROUTING -i <interface> -p tcp --dport 80 -j REDIRECT --to-ports <port>``."""

    interface: str
    dashboard_port: int
    http_port: int = 80

    def spec(self) -> list[str]:
        return ["PREROUTING", "-i", self.interface, "-p", "tcp", "--dport", str(self.http_port),
                "-j", "REDIRECT", "--to-ports", str(self.dashboard_port)]


class Firewall:
    """Runs iptables with a fixed command prefix, e.g. ``["iptables"]``."""

    def __init__(self, command: Sequence[str]) -> None:
        if not command:
            raise ValueError("the iptables command must not be empty")
        self.command = list(command)

    async def _run(self, operation: str, rule: RedirectRule) -> tuple[int, str]:
        # -w: wait for the xtables lock (legacy backend) instead of failing at once.
        args = [*self.command, "-w", "5", "-t", "nat", operation, *rule.spec()]
        try:
            result = await run_command(Command(args, timeout=COMMAND_TIMEOUT,
                                               name=" ".join(args)))
        except CommandMissing as exc:
            raise FirewallMissing(f"{self.command[0]} is not installed") from exc
        except CommandTimeout:
            raise FirewallError(
                f"{' '.join(args)} did not finish within {COMMAND_TIMEOUT:.0f} s") from None
        except CommandFailed as exc:
            raise FirewallError(f"{self.command[0]} could not be run: {exc}") from exc
        return result.returncode, result.stderr

    def _failure(self, operation: str, code: int, message: str) -> FirewallError:
        detail = message.splitlines()[0] if message else f"exit status {code}"
        return FirewallError(f"{' '.join(self.command)} {operation} failed: {detail}")

    async def is_present(self, rule: RedirectRule) -> bool:
        """Whether the kernel's nat table holds the rule now (``iptables -C``)."""
        code, message = await self._run("-C", rule)
        if code == 0:
            return True
        if code == 1:  # "Bad rule (does a matching rule exist ...)": absent
            return False
        raise self._failure("-C", code, message)

    async def ensure_present(self, rule: RedirectRule) -> bool:
        """Add the rule unless it is there already. True when it was added."""
        if await self.is_present(rule):
            return False
        code, message = await self._run("-A", rule)
        if code != 0:
            raise self._failure("-A", code, message)
        return True

    async def remove_all(self, rule: RedirectRule) -> int:
        """Delete every copy of the rule. Returns how many were deleted."""
        removed = 0
        while removed < MAX_COPIES and await self.is_present(rule):
            code, message = await self._run("-D", rule)
            if code != 0:
                raise self._failure("-D", code, message)
            removed += 1
        return removed
