"""Reading and filtering log files from their end.

A query asks for the newest ``limit`` entries that pass its filters. The reader walks
the current file and then its rotated copies (``.1``, ``.2`` ...) backwards, a block at
a time, so the cost follows ``limit`` (and how rare the filter's matches are), never the
size of the file. Memory stays bounded: one block, the entries found, and the lines of
the entry being assembled.

Reading backwards meets an entry's continuation lines (a traceback) before its header
line. They are held until that header arrives and then joined to it in file order, so
each entry keeps its own lines (the original's defect D11 glued them to the newer
entry, reversed).

When a query filters by level or text, a block that cannot contain a match (a plain
byte search says so) is skipped without splitting it into lines; that keeps a search
through a whole gigabyte at disk speed rather than Python's line-by-line speed.

Everything here is blocking file I/O: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
FIRST_BLOCK = 64 * 1024
MAX_BLOCK = 1024 * 1024
MAX_LINE = 1024 * 1024
"""A "line" longer than this is cut: a file with no newlines cannot grow the reader's memory."""
MAX_CONTINUATION_LINES = 1000
"""Continuation lines kept per entry (those nearest the header); the rest are counted."""

LEVEL_NAMES = {
    "DEBUG": "DEBUG", "DBG": "DEBUG",
    "INFO": "INFO", "INF": "INFO",
    "WARNING": "WARNING", "WARN": "WARNING", "WAR": "WARNING",
    "ERROR": "ERROR", "ERR": "ERROR",
    "CRITICAL": "CRITICAL", "CRIT": "CRITICAL", "FATAL": "CRITICAL",
}
"""Every spelling a client or a log may use, to the level names entries carry."""


def normalise_level(name: str) -> str | None:
    """``"err"`` -> ``"ERROR"``; ``None`` for a name that is no level."""
    return LEVEL_NAMES.get(name.strip().upper())


@dataclass(frozen=True)
class LogEntry:
    """One entry: its header's fields and the message with any continuation lines."""

    ts: str | None
    level: str | None
    source: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"ts": self.ts, "level": self.level, "source": self.source,
                "message": self.message}


@dataclass(frozen=True)
class LogFormat:
    """How a header line looks, and how its level appears as bytes (for block skipping)."""

    name: str
    header: re.Pattern[str]
    level_marker: str
    """``{code}`` stands for the level as written in the file, e.g. ``" [{code}] "``."""
    level_codes: dict[str, str]
    """Entry level -> how the file writes it."""
    default_source: str | None = None

    def parse_header(self, line: str) -> tuple[str, str, str | None, str] | None:
        """``(ts, level, source, message)`` of a header line, ``None`` for a continuation."""
        match = self.header.match(line)
        if match is None:
            return None
        fields = match.groupdict()
        ts = fields["ts"].replace("/", "-")
        level = normalise_level(fields["level"]) or fields["level"]
        source = fields.get("source") or self.default_source
        return ts, level, source, fields["message"]

    def level_bytes(self, level: str) -> bytes:
        return self.level_marker.format(code=self.level_codes.get(level, level)).encode()


API_LOG_FORMAT = LogFormat(
    name="api",
    # 2026-04-01 14:30:22 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1
    header=re.compile(
        r"(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>[A-Z]+)\] "
        r"(?P<source>[^\s:]+): ?(?P<message>.*)\Z",
        re.DOTALL,
    ),
    level_marker=" [{code}] ",
    level_codes={},
)

MEDIAMTX_LOG_FORMAT = LogFormat(
    name="mediamtx",
    # 2026/04/01 14:30:22 INF [RTSP] [conn 127.0.0.1:50612] opened
    header=re.compile(
        r"(?P<ts>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) (?P<level>DBG|INF|WAR|ERR) "
        r"(?:\[(?P<source>[^\]]*)\] )?(?P<message>.*)\Z",
        re.DOTALL,
    ),
    level_marker=" {code} ",
    level_codes={"DEBUG": "DBG", "INFO": "INF", "WARNING": "WAR", "ERROR": "ERR"},
    default_source="mediamtx",
)


@dataclass(frozen=True)
class LogQuery:
    """What a client asked for: at most ``limit`` entries passing every given filter."""

    limit: int = DEFAULT_LIMIT
    level: str | None = None
    search: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be from 1 to {MAX_LIMIT}")
        if self.level is not None and normalise_level(self.level) is None:
            raise ValueError(f"unknown level {self.level!r}")

    @property
    def wanted_level(self) -> str | None:
        return normalise_level(self.level) if self.level else None

    @property
    def filtered(self) -> bool:
        return bool(self.level or self.search or self.source)


class _Matcher:
    """The query's filters, applied to whole entries and (as a quick test) to raw blocks."""

    def __init__(self, query: LogQuery, log_format: LogFormat) -> None:
        self.level = query.wanted_level
        self.source = query.source.lower() if query.source else None
        self.search = query.search.lower() if query.search else None
        self._level_bytes = log_format.level_bytes(self.level) if self.level else None
        # bytes.lower() folds ASCII only, so the block test is exact for ASCII searches;
        # other searches skip the block test and are checked entry by entry.
        self._search_bytes = (
            self.search.encode() if self.search and self.search.isascii() else None
        )
        # A MediaMTX line without a [Source] gets the default source, which its bytes lack.
        default = (log_format.default_source or "").lower()
        self._source_bytes = (
            self.source.encode()
            if self.source and self.source.isascii() and self.source != default else None
        )

    def entry_matches(self, entry: LogEntry, raw: str) -> bool:
        if self.level is not None and entry.level != self.level:
            return False
        if self.source is not None and (entry.source or "").lower() != self.source:
            return False
        return self.search is None or self.search in raw.lower()

    def block_may_match(self, headers: bytes, text: bytes) -> bool:
        """False only when no entry headed in ``headers`` (plus ``text``) can match."""
        if self._level_bytes is not None and self._level_bytes not in headers:
            return False
        lowered: bytes | None = None
        if self._source_bytes is not None:
            lowered = headers.lower()
            if self._source_bytes not in lowered:
                return False
        if self._search_bytes is not None:
            return self._search_bytes in (text.lower() if lowered is None else
                                          lowered + text.lower())
        return True


def rotated_files(path: Path, backups: int = 3) -> list[Path]:
    """The current file and its rotated copies, newest first (those that exist)."""
    candidates = [path] + [path.with_name(f"{path.name}.{n}") for n in range(1, backups + 1)]
    return [candidate for candidate in candidates if candidate.is_file()]


def _reverse_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """Chunks of whole lines from the end of the file to its start, newest chunk first."""
    position = handle.seek(0, os.SEEK_END)
    block = FIRST_BLOCK
    partial = b""  # the start of a line whose beginning lies in the next older block
    while position > 0:
        start = max(0, position - block)
        handle.seek(start)
        data = handle.read(position - start) + partial
        position = start
        block = min(block * 2, MAX_BLOCK)
        if start == 0:
            yield data
            return
        cut = data.find(b"\n")  # the end of the first line, whose start lies further back
        if cut in (-1, len(data) - 1):  # all of data is that one line
            if len(data) <= MAX_LINE:
                partial = data
                continue
            # Hand out its end as a piece of its own; the rest waits for its start.
            partial, chunk = data[:-MAX_LINE], data[-MAX_LINE:]
        else:
            partial, chunk = data[: cut + 1], data[cut + 1 :]
        yield chunk


class _EntryAssembler:
    """Turns lines met newest-first into entries, each with its continuation lines."""

    def __init__(self, log_format: LogFormat, matcher: _Matcher) -> None:
        self.format = log_format
        self.matcher = matcher
        self.pending: collections.deque[str] = collections.deque(maxlen=MAX_CONTINUATION_LINES)
        self.dropped = 0  # continuation lines beyond MAX_CONTINUATION_LINES

    def _hold(self, line: str) -> None:
        if len(self.pending) == self.pending.maxlen:
            self.dropped += 1
        self.pending.append(line)  # newest continuation lines fall off the other end

    def _take_pending(self) -> list[str]:
        lines = list(reversed(self.pending))
        if self.dropped:
            lines.append(f"[... {self.dropped} more lines]")
        self.pending.clear()
        self.dropped = 0
        return lines

    def feed(self, line: str) -> LogEntry | None:
        """One line, newer lines first; returns the entry it completes, if it matches."""
        header = self.format.parse_header(line)
        if header is None:
            self._hold(line)
            return None
        ts, level, source, message = header
        continuation = self._take_pending()
        raw = line if not continuation else "\n".join([line, *continuation])
        if continuation:
            message = "\n".join([message, *continuation])
        entry = LogEntry(ts, level, source, message)
        return entry if self.matcher.entry_matches(entry, raw) else None

    def skip_chunk(self, lines: Sequence[bytes]) -> None:
        """A chunk with no possible match: keep only its leading continuation lines."""
        leading: list[str] = []
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            if self.format.parse_header(line) is not None:
                self.pending.clear()
                self.dropped = 0
                break
            leading.append(line)
        else:
            # No header at all: every line continues an older entry, as the held ones do.
            for raw in reversed(lines):
                self._hold(raw.decode("utf-8", "replace"))
            return
        for line in reversed(leading):
            self._hold(line)

    def finish(self) -> LogEntry | None:
        """Lines before the oldest header: an entry of their own, without fields."""
        if not self.pending:
            return None
        lines = self._take_pending()
        entry = LogEntry(None, None, None, "\n".join(lines))
        return entry if self.matcher.entry_matches(entry, entry.message) else None


def _split_lines(chunk: bytes) -> list[bytes]:
    lines = chunk.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _first_header_offset(chunk: bytes, log_format: LogFormat) -> int:
    """Where the chunk's first header line starts (its length when it has none)."""
    offset = 0
    while offset < len(chunk):
        end = chunk.find(b"\n", offset)
        end = len(chunk) if end == -1 else end
        if log_format.parse_header(chunk[offset:end].decode("utf-8", "replace")) is not None:
            return offset
        offset = end + 1
    return len(chunk)


def read_entries(paths: Sequence[Path], log_format: LogFormat, query: LogQuery) -> list[LogEntry]:
    """The newest entries passing ``query`` from ``paths`` (newest file first)."""
    matcher = _Matcher(query, log_format)
    assembler = _EntryAssembler(log_format, matcher)
    found: list[LogEntry] = []
    handles: list[BinaryIO] = []
    try:
        # Open them all first: a rotation while we read then renames files under us
        # without changing what each open handle reads.
        for path in paths:
            try:
                handles.append(open(path, "rb"))  # noqa: SIM115 (closed below)
            except OSError:
                continue
        for handle in handles:
            for chunk in _reverse_chunks(handle):
                if query.filtered:
                    held = "\n".join(reversed(assembler.pending)).encode("utf-8", "replace")
                    headers = chunk[_first_header_offset(chunk, log_format):]
                    if not matcher.block_may_match(headers, headers + b"\n" + held):
                        assembler.skip_chunk(_split_lines(chunk))
                        continue
                for raw in reversed(_split_lines(chunk)):
                    entry = assembler.feed(raw.decode("utf-8", "replace"))
                    if entry is not None:
                        found.append(entry)
                        if len(found) >= query.limit:
                            return found
        last = assembler.finish()
        if last is not None:
            found.append(last)
        return found
    finally:
        for handle in handles:
            handle.close()


@dataclass(frozen=True)
class ScriptLog:
    """One script log file, as ``GET /logs/install`` lists it."""

    category: str
    filename: str
    size: int
    mtime: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": f"{self.category}/{self.filename}", "size": self.size,
                "category": self.category, "mtime": self.mtime}


SCRIPT_LOG_PATTERN = "*.log"
PARSED_CATEGORIES = frozenset({"api", "mediamtx"})
"""Folders under ``logs/`` with their own parsed endpoints, left out of the script logs."""


def script_categories(logs_dir: Path) -> list[str]:
    """Every real folder under ``logs_dir`` except the parsed ones (symlinks left out)."""
    try:
        entries = list(os.scandir(logs_dir))
    except OSError:
        return []
    return sorted(
        entry.name for entry in entries
        if entry.is_dir(follow_symlinks=False)
        and entry.name not in PARSED_CATEGORIES
        and not entry.name.startswith(".")
    )


def list_script_logs(logs_dir: Path) -> list[ScriptLog]:
    """Every ``*.log`` regular file in every script category, newest first by mtime."""
    logs: list[ScriptLog] = []
    for category in script_categories(logs_dir):
        try:
            entries = list(os.scandir(logs_dir / category))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(".log") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # removed while we listed
            logs.append(ScriptLog(category, entry.name, stat.st_size, stat.st_mtime))
    logs.sort(key=lambda log: (log.mtime, log.category, log.filename), reverse=True)
    return logs
