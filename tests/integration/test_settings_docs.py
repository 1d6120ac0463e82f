"""``settings/defaults.json`` and ``settings/README.md`` are what the code registers.

Runs where every bundled plugin is installed (the integration env), so the default
document a user reads is the one a fresh install really starts with.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from seccam_core.cli import main

SETTINGS = Path(__file__).resolve().parents[2] / "settings"


@pytest.mark.parametrize(("name", "arguments"), [("defaults.json", ["--json"]),
                                                 ("README.md", [])])
def test_settings_folder_is_the_generated_one(capsys, name, arguments):
    assert main(["settings-docs", *arguments]) == 0
    generated = capsys.readouterr().out
    assert "CaptivePortal" in generated, "every bundled plugin must be installed"
    diff = list(difflib.unified_diff((SETTINGS / name).read_text().splitlines(),
                                     generated.splitlines(), f"settings/{name}",
                                     "seccam settings-docs", lineterm="", n=1))
    assert not diff, (f"settings/{name} is stale: regenerate it with `seccam settings-docs "
                      f"{' '.join(arguments)} > settings/{name}`\n" + "\n".join(diff[:40]))


def test_the_defaults_are_what_a_fresh_server_starts_with(seccam_live_server):
    """Every section of defaults.json, as GET /settings shows it on a fresh data folder
    (the test kit's settings.json only seeds harmless commands and the netns fence)."""
    defaults = json.loads((SETTINGS / "defaults.json").read_text())
    server = seccam_live_server(entry_points=True, media=True)
    live = server.client().get("/settings").json()
    assert set(live) == set(defaults)
    seeded = {"System": {"restart_command", "reboot_command"},
              "CaptivePortal": {"iptables_command"}}
    for section, fields in defaults.items():
        for key, value in fields.items():
            if key in seeded.get(section, ()):
                continue
            if f"{key}_set" in live[section]:  # write-only: a read shows whether it is set
                assert live[section][f"{key}_set"] is bool(value), f"{section}.{key}"
            else:
                assert live[section][key] == value, f"{section}.{key}"
