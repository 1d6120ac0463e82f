"""JSON Schemas of the media endpoints: what they take and what they answer.

The views validate with the request schemas and document their answers with the
response schemas; ``/openapi.json`` and ``docs/api.md`` are built from both.
"""

from __future__ import annotations

from seccam_core.api.validation import NULLABLE_STRING, message_answer

# --- requests ---------------------------------------------------------------------------

LIST_QUERY = {
    "type": "object",
    "properties": {
        "offset": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100000},
    },
}
ARCHIVE_QUERY = {
    "type": "object",
    "properties": {
        "offset": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100000},
        "day": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
                "description": "only those made that local day (YYYY-MM-DD)"},
        "sensor": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$",
                   "description": "only those recorded for this sensor id"},
    },
}
PATH_QUERY = {"type": "object", "properties": {"path": {"type": "string"}}}
VIDEO_QUERY = {
    "type": "object",
    "properties": {"video_path": {"type": "string"}, "download": {"type": "boolean"}},
}
SNAPSHOT_BODY = {
    "type": "object",
    "properties": {"snapshot_path": {"type": "string", "minLength": 1}},
    "required": ["snapshot_path"],
}
MEDIA_LINK_BODY = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 4096,
                "description": "the file's URL on this server, path and query, e.g. "
                               "/stream_video?video_path=clip.mp4"},
        "seconds": {"type": "integer", "minimum": 10, "maximum": 604800,
                    "description": "how long the link works (default 3600, at most a "
                                   "week)"},
    },
    "required": ["url"],
}
VIDEO_BODY = {
    "type": "object",
    "properties": {"video_path": {"type": "string", "minLength": 1}},
    "required": ["video_path"],
}

# --- response schemas -------------------------------------------------------------------

MEDIA_LINK = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "description": "the link: the URL asked for, with "
                "expires and signature added"},
        "expires_at": {"type": "string", "format": "date-time",
                       "description": "when it stops working (UTC, ends in Z)"},
    },
    "required": ["url", "expires_at"],
}

DELETED_FILE = message_answer(
    path={"type": "string", "description": "the deleted file, absolute"}, always=("path",))
RECORDING_FIELDS = {
    "recording": {"type": "boolean"},
    "started_at": {"type": "string", "format": "date-time",
                   "description": "when it was triggered (UTC, ends in Z); only while recording"},
    "reason": {"type": "string", "description": "what started it (manual, sensor); "
               "only while recording"},
    "path": {"type": "string", "description": "the video it becomes, while recording; "
             "after a stop by /toggle_recording, the finished video"},
    "sensor_type": {**NULLABLE_STRING, "description": "the sensor that triggered it; "
                    "only while recording"},
}
WHILE_RECORDING = {
    "if": {"properties": {"recording": {"const": True}}},
    "then": {"required": ["started_at", "reason", "path", "sensor_type"]},
}
RECORDING_STATUS = {
    "type": "object",
    "properties": RECORDING_FIELDS,
    "required": ["recording"],
    **WHILE_RECORDING,
}
RECORDING_TOGGLED = {**message_answer(**RECORDING_FIELDS, always=("recording",)),
                     **WHILE_RECORDING}
CAMERA_STATUS = {
    "type": "object",
    "properties": {
        "state": {"type": "string", "enum": ["stopped", "starting", "running", "restarting"]},
        "source": {"type": "string",
                   "description": "testpattern or the stream URL, credentials masked"},
        "error": {**NULLABLE_STRING, "description": "why the capture last failed"},
        "restarts": {"type": "integer", "minimum": 0,
                     "description": "capture restarts since the server started"},
        "pre_roll_seconds": {"type": "number", "minimum": 0},
        "buffered_seconds": {"type": "number", "minimum": 0,
                             "description": "seconds of video held for the pre-roll"},
        "latest_frame_at": {"type": ["number", "null"],
                            "description": "end of the newest buffered segment, epoch seconds"},
    },
    "required": ["state", "source", "error", "restarts", "pre_roll_seconds",
                 "buffered_seconds", "latest_frame_at"],
}
LOCAL_TIME = {"type": "string", "format": "date-time"}
FILE_FIELDS = {
    "path": {"type": "string", "description": "absolute; what the other media routes take"},
    "name": {"type": "string"},
    "size": {"type": "integer", "minimum": 0, "description": "bytes"},
    "mtime": {**LOCAL_TIME, "description": "last modified (local time with its offset)"},
    "created": {**LOCAL_TIME, "description": "the time in the name, else mtime (local time "
                "with its offset)"},
}
FILE_REQUIRED = ["path", "name", "size", "mtime", "created"]
DURATION = {"type": ["number", "null"], "description": "seconds; null while unknown"}
SNAPSHOT_ITEM = {"type": "object", "properties": FILE_FIELDS, "required": FILE_REQUIRED}
RECORDING_ITEM = {
    "type": "object",
    "properties": {
        **FILE_FIELDS,
        "duration": DURATION,
        "thumbnail": {"type": "boolean", "description": "whether /thumbnail has an image"},
        "sprite": {"type": "boolean", "description": "whether /sprite has an image"},
        "sensors": {"type": "array", "items": {"type": "string"},
                    "description": "recordings only: the ids of the sensors that triggered "
                    "it (GET /sensors names them); empty for a manual one"},
        "incident_id": {"type": ["string", "null"],
                        "description": "recordings only: the incident it belongs to"},
    },
    "required": [*FILE_REQUIRED, "duration", "thumbnail", "sprite"],
}
SNAPSHOT_LIST = {"type": "array", "items": SNAPSHOT_ITEM}
RECORDING_LIST = {"type": "array", "items": RECORDING_ITEM}
RECONCILED = {
    "type": "object",
    "properties": {
        "added": {"type": "integer", "minimum": 0, "description": "files found that were "
                  "not catalogued"},
        "removed": {"type": "integer", "minimum": 0, "description": "catalogued files that "
                    "are gone"},
        "changed": {"type": "integer", "minimum": 0, "description": "files whose size, time "
                    "or sidecars changed"},
        "seconds": {"type": "number", "minimum": 0},
        "folder": {"type": "string", "description": "the recordings folder compared"},
    },
    "required": ["added", "removed", "changed", "seconds", "folder"],
}
