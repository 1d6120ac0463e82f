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

Entries are found with byte searches (a header pattern, the level as the file writes
it, an ASCII search text), and only the entries around a hit are decoded and checked;
that keeps a filtered search through a whole gigabyte near disk speed rather than
Python's line-by-line speed.

Everything here is blocking file I/O: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
FIRST_BLOCK = 64 * 1024
MAX_BLOCK = 1024 * 1024
MAX_LINE = 1024 * 1024
"""A "line" longer than this is cut: a file with no newlines cannot grow the reader's memory."""
MAX_CONTINUATION_LINES = 1000
"""Continuation lines kept per entry (those nearest the header); the rest are counted."""
MAX_PENDING = 1024 * 1024
"""Bytes of continuation lines held while looking for their header further back."""

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


class LogEntry(NamedTuple):
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
    """How a header line starts; every other line continues the entry above it.

    ``head`` is a regular expression for the start of a header line, with the groups
    ``ts``, ``level`` and ``source``; the rest of the line is the message. The patterns
    that find headers in bytes and read them as text are all built from it, so they
    always agree on which lines are headers.
    """

    name: str
    head: str
    level_marker: str
    """``{code}`` stands for the level as written in the file, e.g. ``" [{code}] "``."""
    level_codes: dict[str, str]
    """Entry level -> how the file writes it."""
    default_source: str | None = None

    @functools.cached_property
    def header_start(self) -> re.Pattern[bytes]:
        """Finds header lines in a chunk of bytes."""
        return re.compile(b"^" + self.head.encode(), re.MULTILINE)

    @functools.cached_property
    def header(self) -> re.Pattern[str]:
        """Reads one header line."""
        return re.compile(self.head + r"(?P<message>.*)\Z", re.DOTALL | re.ASCII)

    @functools.cached_property
    def header_lines(self) -> re.Pattern[str]:
        """Finds and reads every header line in a text."""
        return re.compile("^" + self.head + r"(?P<message>[^\n]*)", re.MULTILINE | re.ASCII)

    def fields(self, match: re.Match[str]) -> tuple[str, str, str | None, str]:
        ts, level, source, message = match.group("ts", "level", "source", "message")
        return (ts.replace("/", "-"), LEVEL_NAMES.get(level, level),
                source or self.default_source, message)

    def parse_header(self, line: str) -> tuple[str, str, str | None, str] | None:
        """``(ts, level, source, message)`` of a header line, ``None`` for a continuation."""
        match = self.header.match(line)
        return None if match is None else self.fields(match)

    def level_bytes(self, level: str) -> bytes:
        return self.level_marker.format(code=self.level_codes.get(level, level)).encode()


API_LOG_FORMAT = LogFormat(
    name="api",
    # 2026-04-01 14:30:22 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1
    head=r"(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}) "
    r"\[(?P<level>[A-Z]+)\] (?P<source>[^\s:]+): ?",
    level_marker=" [{code}] ",
    level_codes={},
)

MEDIAMTX_LOG_FORMAT = LogFormat(
    name="mediamtx",
    # 2026/04/01 14:30:22 INF [RTSP] [conn 127.0.0.1:50612] opened
    head=r"(?P<ts>[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}) "
    r"(?P<level>DBG|INF|WAR|ERR) (?:\[(?P<source>[^\]\n]*)\] )?",
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
        if not data.endswith(b"\n") and not partial:
            data += b"\n"  # a last line without its newline: lines never run across files
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


class _EntryScanner:
    """Finds the entries of a chunk that may pass the query, and turns them into entries.

    A query with a level or an ASCII search text looks for that text with ``bytes.find``
    and looks at the entries around each hit only; other queries look at every entry.
    Each candidate is then checked as text, so the byte search only ever saves work.
    """

    def __init__(self, query: LogQuery, log_format: LogFormat) -> None:
        self.format = log_format
        self.level = query.wanted_level
        self.source = query.source.lower() if query.source else None
        self.search = query.search.lower() if query.search else None
        # bytes.lower() folds ASCII only, which is all an ASCII search needs. A search
        # across lines is left to the text check: hits are looked up line by line.
        self.needle = (
            self.search.encode()
            if self.search and self.search.isascii() and "\n" not in self.search else None
        )
        self.marker: bytes | None = None
        self.marker_lowered = False
        if self.level is not None:
            self.marker = log_format.level_bytes(self.level)
        elif self.needle is not None:
            self.marker, self.marker_lowered = self.needle, True

    # --- finding entries in a chunk -------------------------------------------------

    def next_header(self, chunk: bytes, position: int) -> int:
        match = self.format.header_start.search(chunk, position)
        return len(chunk) if match is None else match.start()

    def _header_before(self, chunk: bytes, position: int, floor: int) -> int:
        """The start of the header line at or above ``position`` (never above ``floor``)."""
        line = chunk.rfind(b"\n", 0, position) + 1
        while line > floor and not self.format.header_start.match(chunk, line):
            line = chunk.rfind(b"\n", 0, line - 1) + 1
        return max(line, floor)

    def spans(self, chunk: bytes, first: int, pending: bytes) -> list[tuple[int, int]]:
        """``(start, end)`` of the entries from ``first`` on around a marker hit, oldest first."""
        assert self.marker is not None
        if (self.needle is not None and not self.marker_lowered
                and self.needle not in chunk.lower() and self.needle not in pending.lower()):
            return []  # the level is here, but not the text: no entry here can match
        haystack = chunk.lower() if self.marker_lowered else chunk
        spans: list[tuple[int, int]] = []
        hit = haystack.find(self.marker, first)
        while hit != -1:
            start = self._header_before(chunk, hit + 1, first)
            end = self.next_header(chunk, hit + 1)
            spans.append((start, end))
            hit = haystack.find(self.marker, end)
        last_start = self._header_before(chunk, len(chunk), first)
        if pending and (not spans or spans[-1][0] != last_start):
            spans.append((last_start, len(chunk)))  # its lines in ``pending`` may match
        return spans

    # --- reading one entry ----------------------------------------------------------

    def _limit_lines(self, rest: str) -> str:
        count = rest.count("\n")
        if count <= MAX_CONTINUATION_LINES:
            return rest
        kept = rest.split("\n")[1 : MAX_CONTINUATION_LINES + 1]
        return "\n" + "\n".join([*kept, f"[... {count - MAX_CONTINUATION_LINES} more lines]"])

    def _passes(self, level: str | None, source: str | None) -> bool:
        if self.level is not None and level != self.level:
            return False
        return self.source is None or (source or "").lower() == self.source

    def entry(self, raw: bytes) -> LogEntry | None:
        """The entry in ``raw`` (header line and continuation lines), if it passes."""
        text = raw.decode("utf-8", "replace").removesuffix("\n")
        if "\r" in text:
            text = text.replace("\r\n", "\n").removesuffix("\r")
        if self.search is not None and self.search not in text.lower():
            return None
        first_end = text.find("\n")
        first, rest = (text, "") if first_end == -1 else (text[:first_end], text[first_end:])
        rest = self._limit_lines(rest)
        header = self.format.parse_header(first)
        if header is None:  # lines before the oldest header
            entry = LogEntry(None, None, None, first + rest)
        else:
            ts, level, source, message = header
            entry = LogEntry(ts, level, source, message + rest)
        return entry if self._passes(entry.level, entry.source) else None

    def every_entry(self, region: bytes) -> Iterator[LogEntry]:
        """Every passing entry in ``region`` (which starts with a header), newest first.

        One decode and one pattern pass over the whole region: the fast way when most
        entries are wanted (no level, no ASCII search text).
        """
        text = region.decode("utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        matches = list(self.format.header_lines.finditer(text))
        end = len(text)
        for match in reversed(matches):
            start, line_end = match.span()
            raw_end, end = end, start
            ts, level, source, message = self.format.fields(match)
            if not self._passes(level, source):
                continue
            if (self.search is not None
                    and self.search not in text[start:raw_end].removesuffix("\n").lower()):
                continue
            rest = self._limit_lines(text[line_end:raw_end].removesuffix("\n"))
            yield LogEntry(ts, level, source, message + rest)


def _hold(pending: bytes, older: bytes) -> bytes:
    """Continuation lines met so far, with older ones in front, bounded by MAX_PENDING."""
    joined = older + pending
    return joined if len(joined) <= MAX_PENDING else joined[:MAX_PENDING] + b"\n"


def read_entries(paths: Sequence[Path], log_format: LogFormat, query: LogQuery) -> list[LogEntry]:
    """The newest entries passing ``query`` from ``paths`` (newest file first)."""
    scanner = _EntryScanner(query, log_format)
    found: list[LogEntry] = []
    pending = b""  # continuation lines whose header lies further back
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
                first = scanner.next_header(chunk, 0)
                if first == len(chunk):  # no header: all of it continues an older entry
                    pending = _hold(pending, chunk)
                    continue
                if scanner.marker is None:
                    entries: Iterator[LogEntry | None] = scanner.every_entry(
                        chunk[first:] + pending
                    )
                else:
                    entries = (
                        scanner.entry(chunk[start:end] + pending if end == len(chunk)
                                      else chunk[start:end])
                        for start, end in reversed(scanner.spans(chunk, first, pending))
                    )
                for entry in entries:
                    if entry is not None:
                        found.append(entry)
                        if len(found) >= query.limit:
                            return found
                pending = chunk[:first]
        if pending:
            entry = scanner.entry(pending)
            if entry is not None:
                found.append(entry)
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
