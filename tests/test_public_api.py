"""Plugins use only the public API: ``seccam_core`` and ``seccam_core.testing``.

Read from each file's syntax tree (imports inside functions and ``TYPE_CHECKING``
blocks included), not by searching text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import seccam_core

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"seccam_core", "seccam_core.testing"}
PLUGIN_SOURCES = sorted(
    path for pattern in ("plugins/*/seccam_*/**/*.py", "plugins/*/tests/**/*.py",
                         "examples/*/seccam_*/**/*.py", "examples/*/tests/**/*.py")
    for path in ROOT.glob(pattern)
)


def core_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every import of a ``seccam_core`` module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names
                      if alias.name.split(".")[0] == "seccam_core"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "seccam_core":
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def test_plugin_sources_are_found():
    names = {path.parts[len(ROOT.parts) + 1] for path in PLUGIN_SOURCES}
    assert {"sensor_reed", "storage_sd", "presence_bt", "sensor_lightgate"} <= names


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api(path):
    deep = [f"line {line}: {module}" for line, module, _ in core_imports(path)
            if module not in PUBLIC]
    assert not deep, f"{path.relative_to(ROOT)} imports core internals: {deep}"


def test_every_name_plugins_import_is_public_and_documented():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    used = {name for path in PLUGIN_SOURCES for _, module, names in core_imports(path)
            if module == "seccam_core" for name in names}
    assert used <= set(seccam_core.__all__), used - set(seccam_core.__all__)
    undocumented = sorted(name for name in seccam_core.__all__ if f"`{name}" not in docs)
    assert not undocumented, f"docs/plugins.md does not document {undocumented}"


def test_the_public_names_are_really_there():
    for name in seccam_core.__all__:
        assert getattr(seccam_core, name) is not None, name


HTTP_ERRORS = {"ApiError", "BadRequest", "NotFound", "Unavailable", "Conflict"}
ENGINE_SOURCES = sorted(
    path for pattern in ("seccam_core/sensing/*.py", "seccam_core/media/*.py",
                         "plugins/*/seccam_*/*.py", "examples/*/seccam_*/*.py")
    for path in ROOT.glob(pattern) if path.name != "api.py"
)


@pytest.mark.parametrize("path", ENGINE_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_code_raises_engine_errors_not_http_ones(path):
    """Only the routes (api/ modules) answer with HTTP statuses; the engine raises
    InvalidValue, NotKnown, Busy, NotAvailable or DeviceError (seccam_core.errors)."""
    names = {node.id for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Name)}
    assert not names & HTTP_ERRORS, f"{path.relative_to(ROOT)} uses {names & HTTP_ERRORS}"
