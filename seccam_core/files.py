"""The one safe resolver for every file path that arrives in a request.

A request may name a file by its absolute path (as the listings return it) or by a
path relative to the allowed folder. The resolved real path must lie inside the
folder's real path, its name must match one of the allowed patterns, and (for reads)
it must be a regular file. Everything else is refused before any file is touched.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from seccam_core.errors import BadRequest, NotFound

MAX_PATH_LENGTH = 1024
SYSTEM_FOLDERS = ("proc", "sys", "dev", "etc", "bin", "sbin", "lib", "lib32", "lib64",
                  "libx32", "usr", "boot", "run")
"""Top-level folders no setting may name a folder or file in (ORIGINAL S8)."""


def system_path_problem(field: str, configured: str, base: Path) -> str | None:
    """Why a folder or file setting cannot be used, or ``None``.

    Judged on the real path it resolves to (relative to ``base``), so ``/./etc``,
    ``/proc/self/root/etc`` or a link to ``/etc`` are all ``/etc``: the root and the
    system folders are refused.
    """
    path = Path(configured).expanduser()
    if not path.is_absolute():
        path = base / path
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        return f"{field}: {configured!r} cannot be resolved ({exc.__class__.__name__})"
    parts = real.parts[1:]
    if not parts or parts[0] in SYSTEM_FOLDERS:
        return (f"{field}: {configured!r} resolves to {str(real)!r}, the root or a "
                "system folder")
    return None


@dataclass(frozen=True)
class FileArea:
    """A folder that requests may reach into, and the file names allowed there."""

    root: Path
    patterns: tuple[str, ...]
    recursive: bool = False

    def resolve(self, requested: object, *, field: str = "path", must_exist: bool = True) -> Path:
        """The real path of ``requested`` inside this area, or a 400/404 :class:`ApiError`."""
        return resolve_request_path(
            requested, self.root, self.patterns, field=field,
            recursive=self.recursive, must_exist=must_exist,
        )


def _encodable(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return True


def name_allowed(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def resolve_request_path(
    requested: object,
    root: Path,
    patterns: Iterable[str],
    *,
    field: str = "path",
    recursive: bool = False,
    must_exist: bool = True,
) -> Path:
    """Resolve a client-supplied path safely; see the module docstring for the rules."""
    if not isinstance(requested, str) or not requested.strip():
        raise BadRequest(f"{field} must be a non-empty string")
    if "\x00" in requested or len(requested) > MAX_PATH_LENGTH or "\\" in requested \
            or (not requested.isprintable() and not _encodable(requested)):
        raise BadRequest(f"{field} is not a valid file path")
    real_root = Path(os.path.realpath(root))
    candidate = Path(requested)
    if not candidate.is_absolute():
        candidate = real_root / candidate
    real = Path(os.path.realpath(candidate))
    if real == real_root or real_root not in real.parents:
        raise BadRequest(f"{field} is outside the allowed folder")
    if not recursive and real.parent != real_root:
        raise BadRequest(f"{field} is outside the allowed folder")
    if not name_allowed(real.name, patterns):
        raise BadRequest(f"{field} does not name an allowed file ({', '.join(patterns)})")
    if must_exist and not real.is_file():
        raise NotFound(f"{field}: no such file")
    return real
