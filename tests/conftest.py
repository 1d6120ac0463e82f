"""Core tests use the same fixtures plugin authors get (seccam_core.testing).

Every test's data folder starts with restart and reboot commands that do nothing
(tests walk every route, /system/reboot included): the defaults would really restart
the service or reboot the machine.
"""

import json
import sys

import pytest

HARMLESS = [sys.executable, "-c", "pass"]


@pytest.fixture
def seccam_data_dir(tmp_path):
    path = tmp_path / "seccam-data"
    path.mkdir()
    (path / "settings.json").write_text(json.dumps(
        {"System": {"restart_command": HARMLESS, "reboot_command": HARMLESS}}))
    return path
