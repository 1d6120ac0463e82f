"""Core tests use the same fixtures plugin authors get (seccam_core.testing).

Every test's data folder starts with restart and reboot commands that do nothing
(tests walk every route, /system/reboot included): the defaults would really restart
the service or reboot the machine.

Where the captive portal plugin is installed too (a developer's venv holding every
plugin), servers started with every installed plugin would run ``iptables`` on the
host: ``netns_fence`` sends it into a throw-away network namespace instead.
"""

import json
import sys

import pytest
from netns_fence import captive_portal_installed, install

HARMLESS = [sys.executable, "-c", "pass"]


def pytest_configure(config: pytest.Config) -> None:
    if captive_portal_installed():
        install(config)


@pytest.fixture
def seccam_data_dir(tmp_path):
    path = tmp_path / "seccam-data"
    path.mkdir()
    (path / "settings.json").write_text(json.dumps(
        {"System": {"restart_command": HARMLESS, "reboot_command": HARMLESS}}))
    return path
