"""Core tests use the same fixtures plugin authors get (seccam_core.testing).

Where the captive portal plugin is installed too (a developer's venv holding every
plugin), servers started with every installed plugin would run ``iptables`` on the
host: ``netns_fence`` sends it into a throw-away network namespace instead.
"""

import pytest
from netns_fence import captive_portal_installed, install


def pytest_configure(config: pytest.Config) -> None:
    if captive_portal_installed():
        install(config)
