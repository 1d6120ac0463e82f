"""HTTP Range for files served by the app, suffix ranges included.

``Range: bytes=-100`` asks for the last 100 bytes. Quart hands the file body a negative
start, which failed an assertion in werkzeug (a 500); the body here turns it into the
offset it means, so it is a 206 like any other range (and ``bytes=-0`` a 416).
"""

from __future__ import annotations

from quart import Response
from quart.wrappers.response import FileBody


class SuffixRangeFileBody(FileBody):
    """A file body that understands a suffix range (a negative start)."""

    async def make_conditional(self, begin: int, end: int | None) -> int:
        if begin < 0:
            begin = max(self.size + begin, 0)
        return await super().make_conditional(begin, end)


class SeccamResponse(Response):
    """The app's response class: Quart's, with suffix ranges on files."""

    file_body_class = SuffixRangeFileBody
