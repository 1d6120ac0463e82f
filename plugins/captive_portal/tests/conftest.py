"""A network namespace per test: the plugin's iptables runs inside it, never on the host.

Needs root, ``ip`` (iproute2) and ``iptables`` (installed by ``.ci/run``).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

RULE = ["PREROUTING", "-i", "ap0", "-p", "tcp", "--dport", "80",
        "-j", "REDIRECT", "--to-ports", "3000"]


@dataclass
class Namespace:
    """A throw-away network namespace, and its nat table as the kernel holds it."""

    name: str
    iptables: str = "iptables"

    def command(self, iptables: str | None = None) -> list[str]:
        """The prefix the plugin is configured with, to run iptables inside this namespace."""
        return ["ip", "netns", "exec", self.name, iptables or self.iptables]

    def iptables_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.command(), *args], capture_output=True, text=True,
                              check=False)

    def redirect_rules(self) -> list[str]:
        """The REDIRECT rules in nat PREROUTING, read with ``iptables -S``."""
        listing = self.iptables_run("-t", "nat", "-S", "PREROUTING")
        assert listing.returncode == 0, listing.stderr
        return [line for line in listing.stdout.splitlines() if "REDIRECT" in line]

    def add_rule(self) -> None:
        added = self.iptables_run("-t", "nat", "-A", *RULE)
        assert added.returncode == 0, added.stderr

    def delete_rule(self) -> None:
        deleted = self.iptables_run("-t", "nat", "-D", *RULE)
        assert deleted.returncode == 0, deleted.stderr

    def wait_for_rules(self, wanted: int | list[str], timeout: float = 20.0) -> list[str]:
        """Poll the kernel's table until it holds ``wanted`` (a count, or exactly these rules).

        Returns what the table holds at the end, so the caller's assert shows it.
        """
        deadline = time.monotonic() + timeout
        while True:
            rules = self.redirect_rules()
            done = len(rules) == wanted if isinstance(wanted, int) else rules == wanted
            if done or time.monotonic() > deadline:
                return rules
            time.sleep(0.05)


@pytest.fixture(params=["iptables-nft", "iptables-legacy"])
def backend(request: pytest.FixtureRequest) -> str:
    """Both iptables backends: Debian and Raspberry Pi OS ship either as ``iptables``."""
    return str(request.param)


@pytest.fixture
def netns() -> Iterator[Namespace]:
    """``ip netns add seccam-test-<random>``, removed after the test."""
    name = f"seccam-test-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        yield Namespace(name)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


@pytest.fixture
def portal_settings(seccam_data_dir: Path) -> Callable[..., None]:
    """Write the ``CaptivePortal`` section before the server starts (as an owner would).

    On, unless told otherwise: these tests play a Pi with its access point, where the
    portal is on by default (this machine has no ``ap0``, so its default is off).
    """

    def write(**section: object) -> None:
        path = seccam_data_dir / "settings.json"
        document = json.loads(path.read_text()) if path.exists() else {}
        document.setdefault("CaptivePortal", {"enabled": True}).update(section)
        path.write_text(json.dumps(document))

    return write
