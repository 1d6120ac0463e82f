"""Fences the captive portal's iptables off from the host, for a whole test session.

The ``captive_portal`` plugin runs ``iptables`` as root when a server starts with it
(its default ``CaptivePortal.iptables_command`` is ``["iptables"]``). Any server started
with every installed plugin (``entry_points=True``, or ``seccam serve`` in test_cli) in
an environment where that plugin is installed would change the host's firewall. So
``install(config)`` creates ONE network namespace for the session
(``ip netns add seccam-it-<random>``, deleted at the end), and every ``seccam_data_dir``
(from seccam_core.testing) starts with a ``settings.json`` whose ``iptables_command`` is
``["ip", "netns", "exec", "<ns>", "iptables"]``.

The folder is seeded by a ``pytest_fixture_setup`` wrapper in a global plugin rather
than by a fixture override in a conftest: a conftest's fixtures only reach the tests
below its folder, and the integration run also collects the example plugin's own suite
(``examples/sensor_lightgate/tests``), which starts every installed plugin too.

At the end, the host's nat tables (nft and legacy backends) must read as they did at
the start; otherwise the run fails, naming the difference. Needs root, ``ip``
(iproute2) and ``iptables``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Generator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

NAMESPACE_PREFIX = "seccam-it-"
HOST_BACKENDS = ("iptables-nft", "iptables-legacy")


def host_nat_rules() -> dict[str, list[str]]:
    """The host's nat table as each installed iptables backend lists it (``-t nat -S``)."""
    tables = {}
    for backend in HOST_BACKENDS:
        if shutil.which(backend) is None:
            continue
        listing = subprocess.run([backend, "-t", "nat", "-S"], capture_output=True,
                                 text=True, check=False)
        # Comment lines ("# Warning: iptables-legacy tables present") are not rules.
        tables[backend] = [line for line in listing.stdout.splitlines()
                           if not line.startswith("#")]
    return tables


class NamespaceIsolation:
    """The session's network namespace and the settings that send iptables into it."""

    def __init__(self) -> None:
        self.name = f"{NAMESPACE_PREFIX}{secrets.token_hex(4)}"
        self.host_before = host_nat_rules()
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)

    @property
    def iptables_command(self) -> list[str]:
        return ["ip", "netns", "exec", self.name, "iptables"]

    def delete(self) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)

    def seed(self, data_dir: Path) -> None:
        """Start a data folder's settings.json with the namespaced iptables command."""
        path = data_dir / "settings.json"
        document: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        document.setdefault("CaptivePortal", {})["iptables_command"] = self.iptables_command
        path.write_text(json.dumps(document))

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        """Seed every ``seccam_data_dir`` (from seccam_core.testing) before a test uses it."""
        result = yield
        if fixturedef.argname == "seccam_data_dir":
            self.seed(Path(result))
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Fail the run if the host's nat tables changed while it ran."""
        after = host_nat_rules()
        if after != self.host_before:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    "THE HOST'S NAT TABLE CHANGED while this run ran (by this run, or by "
                    f"another process on the machine): before {self.host_before}, "
                    f"after {after}", red=True)


PLUGIN_NAME = "seccam-netns-fence"


def captive_portal_installed() -> bool:
    """Whether the captive portal is installed as a plugin (an entry point ``seccam``)."""
    return any(ep.name == "captive_portal" for ep in entry_points(group="seccam"))


def install(config: pytest.Config) -> NamespaceIsolation:
    """Create the session's namespace and seed every data folder (once per session)."""
    isolation = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if isolation is None:
        isolation = NamespaceIsolation()
        config.pluginmanager.register(isolation, PLUGIN_NAME)
        config.add_cleanup(isolation.delete)
    assert isinstance(isolation, NamespaceIsolation)
    return isolation
