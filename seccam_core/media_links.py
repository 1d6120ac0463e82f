"""Signed links to media files, for the places a browser cannot send a header.

A ``<video>`` element asks for a clip in ranges as the viewer seeks, and a download
link hands the file to the browser's own download manager: neither can send
``Authorization``. Putting the token in their URLs would leak it into history, logs
and screenshots. A signed link instead names one file, for ``GET``/``HEAD`` only, until
it expires: ``/stream_video?video_path=...&expires=<unix time>&signature=<HMAC>``.

The signing key is derived from the API token, so regenerating the token revokes every
link at once, and the token itself never appears in a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

LINKABLE_PATHS = frozenset({
    "/stream_video", "/timelapse/video", "/snapshot_image", "/thumbnail", "/sprite",
    "/live/stream.m3u8",
})
LIVE_SEGMENT_RULE = "/live/segment/<int:sequence>.ts"
LIVE_SEGMENT = re.compile(r"/live/segment/[0-9]{1,12}\.ts")
"""A live segment's path ends in ``.ts``: HLS clients (ffmpeg's among them) judge a
segment by its extension."""
EXPIRES = "expires"
SIGNATURE = "signature"
RESERVED = frozenset({EXPIRES, SIGNATURE, "token"})
"""Query names a link's own query may not carry: the link adds the first two, and a
token has no place in a link."""
DEFAULT_SECONDS = 3600
MAX_SECONDS = 7 * 86400
"""A week: long enough for a link in a notification read the next days."""
_KEY_PURPOSE = b"seccam media link v1"


def _canonical(path: str, pairs: Iterable[tuple[str, str]]) -> bytes:
    """The signed text: the path and the query pairs in sorted order, so a client may
    reorder them but not change, add or drop one."""
    query = urlencode(sorted(pairs), encoding="utf-8", errors="surrogatepass")
    return (path + "?" + query).encode("utf-8", "surrogatepass")


def linkable(path: str) -> bool:
    """Whether a signed link may open ``path``: only routes that answer media, read-only."""
    return path in LINKABLE_PATHS or LIVE_SEGMENT.fullmatch(path) is not None


def link_target(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The path and query pairs a link to ``url`` would open; ``ValueError`` saying why
    no link may open it."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or parts.fragment:
        raise ValueError("a path on this server with its query, like "
                         "/stream_video?video_path=clip.mp4")
    if not linkable(parts.path):
        raise ValueError(f"only {', '.join(sorted(LINKABLE_PATHS))} and live segments "
                         "can be linked")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    reserved = sorted({name for name, _ in pairs} & RESERVED)
    if reserved:
        raise ValueError(f"{', '.join(reserved)} cannot be part of a link's query")
    return parts.path, pairs


def _unix_time(text: str) -> bool:
    return 0 < len(text) <= 12 and text.isascii() and text.isdigit()


class MediaLinks:
    """Makes and checks signed links with a key derived from ``token()``."""

    def __init__(self, token: Callable[[], str], clock: Callable[[], float] = time.time) -> None:
        self._token = token
        self._clock = clock

    def _key(self) -> bytes | None:
        token = self._token()
        if not token:
            return None
        return hmac.new(token.encode(), _KEY_PURPOSE, hashlib.sha256).digest()

    @staticmethod
    def _sign(key: bytes, path: str, pairs: Iterable[tuple[str, str]]) -> str:
        digest = hmac.new(key, _canonical(path, pairs), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def make(self, path: str, pairs: list[tuple[str, str]],
             seconds: int = DEFAULT_SECONDS) -> tuple[str, int]:
        """The link's URL (path and query) and its expiry as a Unix time."""
        if not linkable(path):
            raise ValueError(f"{path} cannot be linked")
        if not 1 <= seconds <= MAX_SECONDS:
            raise ValueError(f"a link lasts 1 to {MAX_SECONDS} seconds")
        key = self._key()
        if key is None:
            raise ValueError("there is no token to derive a link's key from")
        expires = int(self._clock()) + seconds
        signed = [*pairs, (EXPIRES, str(expires))]
        query = urlencode([*signed, (SIGNATURE, self._sign(key, path, signed))])
        return f"{path}?{query}", expires

    def valid(self, method: str, path: str, pairs: list[tuple[str, str]]) -> bool:
        """Whether a request (its method, path and every query pair) is a live link."""
        if method not in ("GET", "HEAD") or not linkable(path):
            return False
        given = [value for name, value in pairs if name == SIGNATURE]
        expiry = [value for name, value in pairs if name == EXPIRES]
        if len(given) != 1 or len(expiry) != 1 or not _unix_time(expiry[0]):
            return False
        if int(expiry[0]) < self._clock():
            return False
        key = self._key()
        if key is None:
            return False
        signed = [(name, value) for name, value in pairs if name != SIGNATURE]
        expected = self._sign(key, path, signed)
        return hmac.compare_digest(given[0].encode("utf-8", "surrogatepass"),
                                   expected.encode())
