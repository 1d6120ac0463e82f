"""``docs/api.md`` is exactly what ``seccam api-docs`` renders with every plugin installed.

Runs in the ``fuzz`` env (every plugin, including captive_portal and storage_sd, is
installed there), so the document a client author reads cannot drift from the code.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from seccam_core.cli import main

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_docs_api_md_is_the_generated_one(capsys):
    assert main(["api-docs"]) == 0
    generated = capsys.readouterr().out
    assert "## `POST /captive-portal`" in generated, "every plugin must be installed"
    diff = list(difflib.unified_diff(API_MD.read_text().splitlines(), generated.splitlines(),
                                     "docs/api.md", "seccam api-docs", lineterm="", n=1))
    assert not diff, ("docs/api.md is stale: regenerate it with `seccam api-docs > "
                      "docs/api.md`\n" + "\n".join(diff[:40]))
