"""Every live server of the integration run is fenced off from the host's firewall.

The ``captive_portal`` plugin is installed in the ``integration`` env and runs
``iptables`` as root when a server starts with every installed plugin. ONE network
namespace serves the whole session (``ip netns add seccam-it-<random>``, deleted at the
end), and every ``seccam_data_dir`` starts with a ``settings.json`` pointing
``CaptivePortal.iptables_command`` into it; the run fails if the host's nat table
changed. How, and why it also covers the example plugin's suite: ``tests/netns_fence.py``.
"""

from __future__ import annotations

import pytest
from netns_fence import PLUGIN_NAME, NamespaceIsolation, install


def pytest_configure(config: pytest.Config) -> None:
    install(config)  # always here: the integration env installs the captive portal


@pytest.fixture(scope="session")
def integration_netns(pytestconfig: pytest.Config) -> NamespaceIsolation:
    """The session's namespace, for tests that look into its nat table."""
    isolation = pytestconfig.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(isolation, NamespaceIsolation)
    return isolation
