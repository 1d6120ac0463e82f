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
    """How a header line looks: as bytes (to find entries) and as text (to read fields).

    ``header_start`` (bytes, multi-line) and ``header`` (text) must accept the same
    lines; every other line continues the entry above it.
    """

    name: str
    header_start: re.Pattern[bytes]
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
    header_start=re.compile(
        rb"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \[[A-Z]+\] [^\s:]+:", re.M
    ),
    header=re.compile(
        r"(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}) \[(?P<level>[A-Z]+)\] "
        r"(?P<source>[^\s:]+): ?(?P<message>.*)\Z",
        re.DOTALL | re.ASCII,
    ),
    level_marker=" [{code}] ",
    level_codes={},
)

MEDIAMTX_LOG_FORMAT = LogFormat(
    name="mediamtx",
    # 2026/04/01 14:30:22 INF [RTSP] [conn 127.0.0.1:50612] opened
    header_start=re.compile(
        rb"^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (?:DBG|INF|WAR|ERR) ", re.M
    ),
    header=re.compile(
        r"(?P<ts>[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}) "
        r"(?P<level>DBG|INF|WAR|ERR) (?:\[(?P<source>[^\]\n]*)\] )?(?P<message>.*)\Z",
        re.DOTALL | re.ASCII,
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
        self.limit = query.limit
        self.level = query.wanted_level
        self.source = query.source.lower() if query.source else None
        self.search = query.search.lower() if query.search else None
        self.marker: bytes | None = None
        self.marker_lowered = False
        if self.level is not None:
            self.marker = log_format.level_bytes(self.level)
        elif self.search is not None and self.search.isascii():
            # bytes.lower() folds ASCII only, which is all an ASCII search needs.
            self.marker, self.marker_lowered = self.search.encode(), True

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
        """``(start, end)`` of the entries from ``first`` on worth reading, oldest first."""
        if self.marker is None:
            starts = [m.start() for m in self.format.header_start.finditer(chunk, first)]
            return list(zip(starts, [*starts[1:], len(chunk)], strict=True))
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

    def entry(self, raw: bytes) -> LogEntry | None:
        """The entry in ``raw`` (header line and continuation lines), if it passes."""
        text = raw.decode("utf-8", "replace")
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        if len(lines) > MAX_CONTINUATION_LINES + 1:
            dropped = len(lines) - MAX_CONTINUATION_LINES - 1
            lines = [*lines[: MAX_CONTINUATION_LINES + 1], f"[... {dropped} more lines]"]
        header = self.format.parse_header(lines[0]) if lines else None
        if header is None:  # lines before the oldest header
            entry = LogEntry(None, None, None, "\n".join(lines))
        else:
            ts, level, source, message = header
            entry = LogEntry(ts, level, source, "\n".join([message, *lines[1:]]))
        if self.level is not None and entry.level != self.level:
            return None
        if self.source is not None and (entry.source or "").lower() != self.source:
            return None
        if self.search is not None and self.search not in text.lower():
            return None
        return entry


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
                for start, end in reversed(scanner.spans(chunk, first, pending)):
                    raw = chunk[start:end] + pending if end == len(chunk) else chunk[start:end]
                    entry = scanner.entry(raw)
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
