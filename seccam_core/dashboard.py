"""The dashboard's files (``seccam_core/web``): read once, gzipped once, served by path.

The page at ``/`` names its assets under ``/ui/<version>/``, where the version is a hash
of every file: an asset URL never changes meaning, so browsers may keep it for a year,
and the page itself (revalidated on every load) points at the new version after an
upgrade. Relative imports between the ES modules stay under the same version.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

PAGE = "index.html"
ASSET_PREFIX = "/ui/"
VERSION_MARK = "{{assets}}"
"""In index.html, where the versioned asset prefix goes."""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
    "connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
         ".svg": "image/svg+xml", ".md": "text/markdown", ".json": "application/json"}
NOT_SERVED = frozenset({"VENDORED.md"})


@dataclass(frozen=True)
class Asset:
    """One file as sent: its bytes, the same gzipped, its type and validator."""

    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def _content_type(name: str) -> str:
    suffix = name[name.rfind("."):] if "." in name else ""
    known = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{known}; charset=utf-8" if known.startswith("text/") else known


def _asset(body: bytes, name: str) -> Asset:
    return Asset(body, gzip.compress(body, 9, mtime=0), _content_type(name),
                 '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def _read_files() -> dict[str, bytes]:
    root = resources.files("seccam_core") / "web"
    files: dict[str, bytes] = {}

    def walk(folder: resources.abc.Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name not in NOT_SERVED and not entry.name.startswith("."):
                files[prefix + entry.name] = entry.read_bytes()

    if root.is_dir():
        walk(root, "")
    return files


class Bundle:
    """Every dashboard file, keyed by the URL path it is served at."""

    def __init__(self, files: dict[str, bytes]) -> None:
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + files[name] + b"\0")
        self.version = digest.hexdigest()[:12]
        self.prefix = f"{ASSET_PREFIX}{self.version}/"
        self.assets: dict[str, Asset] = {}
        for name, body in files.items():
            if name == PAGE:
                page = body.replace(VERSION_MARK.encode(), self.prefix.rstrip("/").encode())
                self.assets["/"] = _asset(page, name)
            else:
                self.assets[self.prefix + name] = _asset(body, name)

    @property
    def paths(self) -> frozenset[str]:
        """The URL paths served without a token: the page and each of its files."""
        return frozenset(self.assets)


BUNDLE = Bundle(_read_files())
