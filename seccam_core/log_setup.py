"""Logging for ``seccam serve``: a queue-fed rotating API log plus the console.

Handlers run in a listener thread, so a request pays only for putting a record on a
queue. The API log's one line format, parsed later by ``/logs/api``::

    2026-04-01 14:30:22 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1

Continuation lines (tracebacks) follow their entry. Every line passes a filter that
replaces the current secret values (token, password hash) with ``[redacted]``.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
from collections.abc import Callable
from pathlib import Path

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


def api_log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / "api" / API_LOG_NAME


def configure_logging(
    data_dir: Path, secrets: Callable[[], list[str]], level: int = logging.INFO
) -> logging.handlers.QueueListener:
    """Route the root logger through a queue to the API log file and stderr."""
    path = api_log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)
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
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(level)
    for noisy in ("hypercorn.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    listener = logging.handlers.QueueListener(
        records, file_handler, console, respect_handler_level=True
    )
    listener.start()
    return listener
