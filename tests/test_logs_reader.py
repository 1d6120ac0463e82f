"""The tail reader (seccam_core.logs) on real files, against a plain forward reading."""

from __future__ import annotations

import logging
import logging.handlers
import random
from pathlib import Path

import pytest

from seccam_core import logs
from seccam_core.log_setup import DATE_FORMAT, LOG_FORMAT
from seccam_core.logs import (
    API_LOG_FORMAT,
    MEDIAMTX_LOG_FORMAT,
    LogEntry,
    LogFormat,
    LogQuery,
    read_entries,
    rotated_files,
)

LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SOURCES = ["seccam.access", "seccam_core.app", "presence.bt", "Storage"]
WORDS = ["door", "Presence", "RTSP", "timeout", "ÄRGER", "disk", "ok"]


def reference(paths: list[Path], log_format: LogFormat, query: LogQuery) -> list[LogEntry]:
    """The obvious reading: every file front to back, oldest first; then filter and reverse."""
    lines: list[str] = []
    for path in reversed(paths):
        text = path.read_bytes().decode("utf-8", "replace")
        lines += [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]
    entries: list[tuple[LogEntry, str]] = []
    orphans: list[str] = []
    for line in lines:
        header = log_format.parse_header(line)
        if header is not None:
            entries.append((LogEntry(*header), line))
        elif entries:
            entry, raw = entries[-1]
            entries[-1] = (LogEntry(entry.ts, entry.level, entry.source,
                                    entry.message + "\n" + line), raw + "\n" + line)
        else:
            orphans.append(line)
    if orphans:
        text = "\n".join(orphans)
        entries.insert(0, (LogEntry(None, None, None, text), text))
    wanted = logs.normalise_level(query.level) if query.level else None
    found = [
        entry for entry, raw in reversed(entries)
        if (wanted is None or entry.level == wanted)
        and (query.source is None or (entry.source or "").lower() == query.source.lower())
        and (query.search is None or query.search.lower() in raw.lower())
    ]
    return found[: query.limit]


def api_line(rng: random.Random, n: int) -> list[str]:
    level = rng.choice(LEVELS)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
    lines = [f"2026-04-01 10:{n // 60 % 60:02d}:{n % 60:02d} [{level}] "
             f"{rng.choice(SOURCES)}: entry {n} {words}"]
    if rng.random() < 0.15:
        lines += ["Traceback (most recent call last):",
                  f'  File "x.py", line {n}, in run',
                  f"ValueError: bad {rng.choice(WORDS)} {n}"]
    if rng.random() < 0.05:  # looks like a header, but indented: a continuation line
        lines.append(f" 2026-04-01 10:00:00 [ERROR] quoted: {rng.choice(WORDS)}")
    if rng.random() < 0.03:
        lines[0] += "\r"  # a line from a tool that writes CRLF
    if rng.random() < 0.03:
        lines.append("")
    return lines


def mediamtx_line(rng: random.Random, n: int) -> list[str]:
    level = rng.choice(["DBG", "INF", "WAR", "ERR"])
    source = rng.choice(["[RTSP] ", "[path cam] ", ""])
    lines = [f"2026/04/01 10:{n // 60 % 60:02d}:{n % 60:02d} {level} {source}"
             f"{rng.choice(WORDS)} {n}"]
    if rng.random() < 0.05:
        lines.append(f"  detail {n}")
    return lines


def write_rotated(folder: Path, name: str, blocks: list[list[str]], files: int,
                  rng: random.Random) -> list[Path]:
    """Split the lines into ``files`` files (oldest last), at arbitrary line boundaries."""
    lines = [line for block in blocks for line in block]
    cuts = sorted(rng.sample(range(1, len(lines)), files - 1))
    parts = [lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
    paths = [folder / name] + [folder / f"{name}.{n}" for n in range(1, files)]
    for path, part in zip(paths, reversed(parts), strict=True):
        ending = "\n" if rng.random() < 0.8 else ""  # sometimes no newline at the end
        path.write_text("\n".join(part) + ending, encoding="utf-8")
    return paths


QUERIES = [
    LogQuery(limit=1),
    LogQuery(limit=7),
    LogQuery(limit=2000),
    LogQuery(limit=2000, level="error"),
    LogQuery(limit=5, level="WARNING"),
    LogQuery(limit=2000, level="critical", search="door"),
    LogQuery(limit=2000, search="valueerror: bad disk"),
    LogQuery(limit=3, search="ärger"),
    LogQuery(limit=2000, source="STORAGE"),
    LogQuery(limit=2000, source="rtsp", level="WAR"),
    LogQuery(limit=2000, source="mediamtx"),
    LogQuery(limit=2000, search="no such text anywhere"),
    LogQuery(limit=2000, search="quoted"),
    LogQuery(limit=2000, level="ERROR", search="bad"),
    LogQuery(limit=4, search="ERROR] quoted: ok"),
    LogQuery(limit=2000, search="\nvalueerror"),
    LogQuery(limit=2000, search="\n"),
    LogQuery(limit=2000, level="ERROR", search="\ntraceback"),
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block", [5, 97, 64 * 1024])
def test_tail_reading_equals_forward_reading(tmp_path, monkeypatch, seed, block):
    """Tiny blocks put block edges inside entries, tracebacks and multi-byte characters."""
    monkeypatch.setattr(logs, "FIRST_BLOCK", block)
    monkeypatch.setattr(logs, "MAX_BLOCK", block * 3)
    rng = random.Random(seed)
    for log_format, make, name in ((API_LOG_FORMAT, api_line, "seccam.log"),
                                   (MEDIAMTX_LOG_FORMAT, mediamtx_line, "mediamtx.log")):
        blocks = [make(rng, n) for n in range(300)]
        if seed % 2:
            blocks.insert(0, ["orphan line written before any header", "and another"])
        folder = tmp_path / log_format.name
        folder.mkdir()
        paths = write_rotated(folder, name, blocks, files=1 + seed % 4, rng=rng)
        assert rotated_files(folder / name) == paths
        for query in QUERIES:
            assert read_entries(paths, log_format, query) == reference(paths, log_format, query), \
                query


def test_traceback_stays_with_its_own_entry_in_order(tmp_path):
    """The original glued a traceback to the newer entry, reversed (defect D11)."""
    path = tmp_path / "seccam.log"
    path.write_text(
        "2026-04-01 10:00:00 [INFO] a: before\n"
        "2026-04-01 10:00:01 [ERROR] seccam_core.app: it failed\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "ZeroDivisionError: division by zero\n"
        "2026-04-01 10:00:02 [INFO] a: after\n"
    )
    entries = read_entries([path], API_LOG_FORMAT, LogQuery())
    assert [e.message for e in entries] == [
        "after",
        "it failed\nTraceback (most recent call last):\n"
        '  File "x.py", line 1, in f\nZeroDivisionError: division by zero',
        "before",
    ]
    found = read_entries([path], API_LOG_FORMAT, LogQuery(search="zerodivision"))
    assert [(e.ts, e.level, e.source) for e in found] == [
        ("2026-04-01 10:00:01", "ERROR", "seccam_core.app")
    ]


def test_reads_what_the_servers_own_log_handler_writes(tmp_path):
    """The format and rotation of log_setup, written by a real RotatingFileHandler."""
    path = tmp_path / "seccam.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=3000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    logger = logging.getLogger("seccam.test.reader")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        for n in range(200):
            if n % 10 == 3:
                try:
                    raise RuntimeError(f"failure {n}")
                except RuntimeError:
                    logger.exception("request %d failed", n)
            else:
                logger.info("request %d", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    paths = rotated_files(path)
    assert len(paths) == 4  # rotated: the reader goes on into .1, .2, .3
    entries = read_entries(paths, API_LOG_FORMAT, LogQuery(limit=2000))
    numbers = [int(e.message.split()[1]) for e in entries]
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] == 199
    current_file_only = read_entries(paths[:1], API_LOG_FORMAT, LogQuery(limit=2000))
    assert len(numbers) > len(current_file_only)
    assert numbers[-1] > 0  # the oldest backup was dropped by the handler
    errors = read_entries(paths, API_LOG_FORMAT, LogQuery(limit=3, level="ERROR"))
    assert [e.message.splitlines()[0] for e in errors] == [
        "request 193 failed", "request 183 failed", "request 173 failed"
    ]
    assert errors[0].message.splitlines()[-1] == "RuntimeError: failure 193"
    assert errors[0].source == "seccam.test.reader"


def test_mediamtx_levels_sources_and_timestamps(tmp_path):
    path = tmp_path / "mediamtx.log"
    path.write_text(
        "2026/04/01 09:00:00 INF MediaMTX v1.9.0\n"
        "2026/04/01 09:00:01 WAR [RTSP] [conn 10.0.0.2:5000] closed: timeout\n"
        "2026/04/01 09:00:02 ERR [path cam] [RPI Camera source] camera not found\n"
        "2026/04/01 09:00:03 DBG [HLS] muxer created\n"
    )
    entries = read_entries([path], MEDIAMTX_LOG_FORMAT, LogQuery())
    assert [e.as_dict() for e in entries] == [
        {"ts": "2026-04-01 09:00:03", "level": "DEBUG", "source": "HLS",
         "message": "muxer created"},
        {"ts": "2026-04-01 09:00:02", "level": "ERROR", "source": "path cam",
         "message": "[RPI Camera source] camera not found"},
        {"ts": "2026-04-01 09:00:01", "level": "WARNING", "source": "RTSP",
         "message": "[conn 10.0.0.2:5000] closed: timeout"},
        {"ts": "2026-04-01 09:00:00", "level": "INFO", "source": "mediamtx",
         "message": "MediaMTX v1.9.0"},
    ]
    assert [e.level for e in read_entries([path], MEDIAMTX_LOG_FORMAT,
                                          LogQuery(level="war"))] == ["WARNING"]


def test_cost_follows_limit_not_file_size(tmp_path):
    """A 4 GiB file (sparse: no disk used) with entries only at its end answers at once.

    A reader that loaded the file would need 4 GiB of memory for this.
    """
    path = tmp_path / "seccam.log"
    with path.open("wb") as handle:
        handle.truncate(4 * 1024**3)
        handle.seek(0, 2)
        handle.write(b"\n" + b"".join(
            f"2026-04-01 10:00:{n:02d} [INFO] a: tail {n}\n".encode() for n in range(50)
        ))
    entries = read_entries([path], API_LOG_FORMAT, LogQuery(limit=5))
    assert [e.message for e in entries] == [f"tail {n}" for n in range(49, 44, -1)]


def test_an_endless_line_costs_bounded_memory(tmp_path, monkeypatch):
    """Lines are read in bounded pieces, and an entry holds at most MAX_PENDING bytes of them."""
    monkeypatch.setattr(logs, "MAX_LINE", 1000)
    monkeypatch.setattr(logs, "FIRST_BLOCK", 100)
    monkeypatch.setattr(logs, "MAX_BLOCK", 300)
    path = tmp_path / "seccam.log"
    path.write_bytes(b"2026-04-01 10:00:00 [INFO] a: first\n" + b"x" * 10_000
                     + b"\n2026-04-01 10:00:01 [INFO] a: last\n")
    last, first = read_entries([path], API_LOG_FORMAT, LogQuery(limit=2000))
    assert last.message == "last"
    assert first.message == "first\n" + "x" * 10_000

    monkeypatch.setattr(logs, "MAX_PENDING", 2000)
    last, first = read_entries([path], API_LOG_FORMAT, LogQuery(limit=2000))
    assert first.message.startswith("first\nxxx")
    # held lines (MAX_PENDING) plus at most one block and one line piece read with the header
    assert len(first.message) <= len("first\n") + 2000 + 1 + 300 + 1000 < len("x" * 10_000)


def test_queries_are_checked():
    with pytest.raises(ValueError, match="limit"):
        LogQuery(limit=0)
    with pytest.raises(ValueError, match="level"):
        LogQuery(level="LOUD")
