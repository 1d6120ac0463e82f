"""``/logs/*``: the API and MediaMTX logs (parsed, filtered, newest first) and script logs.

Both spellings of the seed are served by the same views: ``/logs`` and ``/logs/api``,
``/logs/scripts`` and ``/logs/install``. Files are read in a worker thread, from their
end (see :mod:`seccam_core.logs`); a script log is named by category and file name,
both resolved through :mod:`seccam_core.files`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quart import Blueprint, Response, jsonify, send_file

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import NULLABLE_STRING, query_args, responds
from seccam_core.contributions import SettingsSection
from seccam_core.errors import BadRequest, NotFound
from seccam_core.files import FileArea, resolve_request_path, system_path_problem
from seccam_core.log_setup import api_log_path
from seccam_core.logs import (
    API_LOG_FORMAT,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MEDIAMTX_LOG_FORMAT,
    PARSED_CATEGORIES,
    SCRIPT_LOG_PATTERN,
    LogFormat,
    LogQuery,
    list_script_logs,
    normalise_level,
    read_entries,
    rotated_files,
)
from seccam_core.runtime import Seccam

blueprint = Blueprint("logs", __name__)

LOGS_SECTION = SettingsSection(
    name="Logs",
    description="Where the log endpoints read from.",
    schema={
        "type": "object",
        "properties": {
            "mediamtx_log": {
                "type": "string",
                "maxLength": 1024,
                "description": "The MediaMTX log file; empty for "
                "<data-dir>/logs/mediamtx/mediamtx.log, relative to the data folder. "
                "Set it in settings.json: the API cannot (it would let a client read "
                "any file).",
            },
        },
        "additionalProperties": False,
    },
    defaults={"mediamtx_log": ""},
    internal_fields=frozenset({"mediamtx_log"}),
)

LEVELS_HELP = "ERROR, WARNING, INFO, DEBUG (or CRITICAL; MediaMTX's ERR, WAR, INF, DBG)"

LOG_QUERY = {
    "type": "object",
    "properties": {
        "limit": {
            "type": "integer", "minimum": 1,
            "description": f"entries to return, newest first (default {DEFAULT_LIMIT}, "
            f"at most {MAX_LIMIT})",
        },
        "level": {"type": "string", "maxLength": 20,
                  "description": f"only this level: {LEVELS_HELP}"},
        "search": {"type": "string", "maxLength": 200,
                   "description": "case-insensitive text anywhere in the entry"},
        "source": {"type": "string", "maxLength": 200,
                   "description": "only this source (logger name, MediaMTX [Source]); "
                   "case-insensitive"},
    },
}


LOG_ENTRIES = {
    "type": "array",
    "description": "newest first",
    "items": {
        "type": "object",
        "description": "ts, level and source are null for lines with no header above them "
                       "(the start of a file)",
        "properties": {
            "ts": {**NULLABLE_STRING, "description": "YYYY-MM-DD HH:MM:SS, as logged"},
            "level": {**NULLABLE_STRING, "description": "DEBUG, INFO, WARNING, ERROR, "
                      "CRITICAL, or another upper-case level as logged"},
            "source": {**NULLABLE_STRING,
                       "description": "the logger name, or MediaMTX's [Source]"},
            "message": {"type": "string",
                        "description": "the message with any continuation lines"},
        },
        "required": ["ts", "level", "source", "message"],
    },
}
SCRIPT_LOGS = {
    "type": "array",
    "description": "newest first",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "<category>/<file name>, as "
                                                      "/logs/script/{category}/{filename} takes"},
            "size": {"type": "integer", "description": "bytes"},
            "category": {"type": "string", "description": "the folder: install, update ..."},
            "mtime": {"type": "number", "description": "last change, Unix seconds"},
        },
        "required": ["name", "size", "category", "mtime"],
    },
}


def mediamtx_log_check(data_dir: Path) -> Any:
    """``Logs.mediamtx_log`` must not resolve into the root or a system folder: it is
    read and served (``/etc/shadow``, ``/dev/zero`` and their spellings are refused)."""

    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        configured = new.get("mediamtx_log") or ""
        if not configured:
            return None
        return system_path_problem("Logs.mediamtx_log", configured, data_dir)

    return check


def mediamtx_log_path(seccam: Seccam) -> Path:
    """``Logs.mediamtx_log``, else ``<data-dir>/logs/mediamtx/mediamtx.log``."""
    configured = seccam.settings.value("Logs", "mediamtx_log") or ""
    if not configured:
        return seccam.logs_dir / "mediamtx" / "mediamtx.log"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else seccam.data_dir / path


def _log_query(query: dict[str, Any]) -> LogQuery:
    level = query.get("level") or None
    if level is not None and normalise_level(level) is None:
        raise BadRequest(f"level: must be one of {LEVELS_HELP}")
    return LogQuery(
        limit=min(query.get("limit", DEFAULT_LIMIT), MAX_LIMIT),
        level=level,
        search=query.get("search") or None,
        source=query.get("source") or None,
    )


async def _entries(path: Path, log_format: LogFormat, query: dict[str, Any]) -> Response:
    log_query = _log_query(query)

    def read() -> list[dict[str, Any]]:
        return [entry.as_dict() for entry in read_entries(rotated_files(path), log_format,
                                                           log_query)]

    return jsonify(await asyncio.to_thread(read))


@blueprint.get("/logs")
@blueprint.get("/logs/api")
@responds(200, schema=LOG_ENTRIES)
@query_args(LOG_QUERY)
async def api_logs(query: dict[str, Any]) -> Response:
    """The server's own log, parsed: ``[{ts, level, source, message}]`` newest first."""
    seccam = current_seccam()
    return await _entries(api_log_path(seccam.data_dir), API_LOG_FORMAT, query)


@blueprint.get("/logs/mediamtx")
@responds(200, schema=LOG_ENTRIES)
@query_args(LOG_QUERY)
async def mediamtx_logs(query: dict[str, Any]) -> Response:
    """MediaMTX's log, parsed, levels normalised (INF -> INFO ...), newest first."""
    return await _entries(mediamtx_log_path(current_seccam()), MEDIAMTX_LOG_FORMAT, query)


@blueprint.get("/logs/install")
@blueprint.get("/logs/scripts")
@responds(200, schema=SCRIPT_LOGS)
async def script_logs() -> Response:
    """Every script log (install, update, ap-setup ...): ``[{name, size, category, mtime}]``."""
    logs = await asyncio.to_thread(list_script_logs, current_seccam().logs_dir)
    return jsonify([log.as_dict() for log in logs])


def resolve_script_log(logs_dir: Path, category: str, filename: str) -> Path:
    """The real path of ``<category>/<filename>`` under ``logs_dir``, or a 400/404."""
    if category in PARSED_CATEGORIES:
        raise NotFound(f"category: {category} has its own endpoint, /logs/{category}")
    folder = resolve_request_path(category, logs_dir, ("*",), field="category",
                                  must_exist=False)
    if folder.name in PARSED_CATEGORIES or folder.name.startswith(".") or not folder.is_dir():
        raise NotFound("category: no such log category")
    return FileArea(folder, (SCRIPT_LOG_PATTERN,)).resolve(filename, field="filename")


# merge_slashes off: "/logs/script//etc/x.log" is a 404, not a redirect to another path.
@blueprint.get("/logs/script/<category>/<filename>", merge_slashes=False)
@responds(200, content_type="text/plain", description="the log's text")
@responds(404, description="no such log")
async def script_log(category: str, filename: str) -> Response:
    """The raw text of one script log, named as ``/logs/install`` lists it."""
    logs_dir = current_seccam().logs_dir
    path = await asyncio.to_thread(resolve_script_log, logs_dir, category, filename)
    response = await send_file(path, mimetype="text/plain")
    response.headers.pop("Content-Disposition", None)
    return response
