"""Logging for ``seccam serve``: a queue-fed rotating API log plus the console.

Handlers run in a listener thread, so a request pays only for appending a tuple to a
deque (access lines) or putting a record on a queue (everything else). The API log's
one line format, parsed later by ``/logs/api``::

    2026-04-01 14:30:22 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1

Continuation lines (tracebacks) follow their entry. Every line passes a filter that
replaces the current secret values (token, password hash) with ``[redacted]``.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import logging.handlers
import queue
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_FORMAT = "%(asctime)s [%(levelname)s] %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
API_LOG_NAME = "seccam.log"
MAX_BYTES = 8 * 1024 * 1024
BACKUPS = 3


class RedactSecrets(logging.Filter):
    """Replaces any current secret value found in a formatted record."""

    def __init__(self, secrets: Callable[[], list[str]]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for secret in self._secrets():
            if secret and secret in cleaned:
                cleaned = cleaned.replace(secret, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


MAX_MESSAGE_CHARS = 2000
_LINE_BREAKING = frozenset({"Cc", "Cs", "Zl", "Zp"})


def escape_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """One line, whatever a client sent: control characters (newlines, ANSI escapes),
    line separators and lone surrogates escaped as ``\\xNN``/``\\uNNNN``, then cut to
    ``limit`` characters with the number left out."""

    if len(text) > limit:
        text = f"{text[:limit]}... [{len(text) - limit} more characters]"
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(char) in _LINE_BREAKING else char
        for char in text
    )


class OneLineFormatter(logging.Formatter):
    """Every message on one line and bounded (log injection, flooding). Tracebacks keep
    their lines, each indented and escaped, so an exception's text (which may quote a
    client) can never start a line that reads as an entry of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_message(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return "\n".join("  " + escape_message(line, limit=4 * MAX_MESSAGE_CHARS)
                         for line in super().formatException(ei).splitlines())


ACCESS_LOGGER = "seccam.access"
ACCESS_FLUSH_SECONDS = 0.25
_access_lines: collections.deque[tuple[Any, ...]] | None = None


def log_access(method: str, path: str, status: int, client: str | None) -> None:
    """Log one request: ``GET /path 200 127.0.0.1`` (INFO, WARNING from status 400).

    With :func:`configure_logging` in force the request only appends a tuple to a deque
    (no lock, no wake-up of another thread); the listener thread turns the deque into
    lines every ``ACCESS_FLUSH_SECONDS``, in one write. Otherwise it logs normally.
    """
    level = logging.WARNING if status >= 400 else logging.INFO
    if _access_lines is not None:
        _access_lines.append((time.time(), level, method, path, status, client))
    else:
        logging.getLogger(ACCESS_LOGGER).log(level, "%s %s %s %s", method, path, status, client)


def _access_record(created: float, level: int, method: str, path: str, status: int,
                   client: str | None) -> logging.LogRecord:
    record = logging.makeLogRecord({
        "name": ACCESS_LOGGER, "levelno": level, "levelname": logging.getLevelName(level),
        "msg": "%s %s %s %s", "args": (method, path, status, client),
    })
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


class _Listener(logging.handlers.QueueListener):
    """Writes queued log records, and the access deque in batches, in its own thread."""

    def __init__(self, records: queue.SimpleQueue[Any], access: collections.deque[Any],
                 file_handler: logging.handlers.RotatingFileHandler,
                 console: logging.Handler) -> None:
        super().__init__(records, file_handler, console, respect_handler_level=True)
        self._records = records
        self._access = access
        self._file = file_handler
        self._console = console

    def dequeue(self, block: bool) -> Any:
        while True:
            try:
                record = self._records.get(block, ACCESS_FLUSH_SECONDS)
            except queue.Empty:
                self._flush_access()
                continue
            self._flush_access()  # older access lines first
            return record

    def _flush_access(self) -> None:
        """Every access line queued so far: formatted and filtered as any record, written
        to the API log at once (one rollover check, one write)."""
        lines: list[str] = []
        while self._access:
            record = _access_record(*self._access.popleft())
            if not self._file.filter(record):
                continue
            lines.append(self._file.format(record) + "\n")
            if record.levelno >= self._console.level:
                self._console.handle(record)
        if not lines:
            return
        text = "".join(lines)
        with self._file.lock or contextlib.nullcontext():
            try:
                stream = self._file.stream
                if stream is not None and stream.tell() + len(text) >= self._file.maxBytes > 0:
                    self._file.doRollover()
                    stream = self._file.stream
                if stream is not None:
                    stream.write(text)
                    stream.flush()
            except Exception:
                self._file.handleError(_access_record(time.time(), logging.ERROR, "", "", 0,
                                                      None))

    def stop(self) -> None:
        global _access_lines
        _access_lines = None
        super().stop()
        self._flush_access()


def api_log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / "api" / API_LOG_NAME


def configure_logging(
    data_dir: Path, secrets: Callable[[], list[str]], level: int = logging.INFO
) -> logging.handlers.QueueListener:
    """Route the root logger through a queue to the API log file and stderr."""
    path = api_log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = OneLineFormatter(LOG_FORMAT, DATE_FORMAT)
    redact = RedactSecrets(secrets)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    console = logging.StreamHandler()
    handlers: tuple[logging.Handler, ...] = (file_handler, console)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redact)
    console.setLevel(logging.WARNING)
    records: queue.SimpleQueue[Any] = queue.SimpleQueue()
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(level)
    for noisy in ("hypercorn.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    access: collections.deque[tuple[Any, ...]] = collections.deque()
    listener = _Listener(records, access, file_handler, console)
    listener.start()
    global _access_lines
    _access_lines = access
    return listener
