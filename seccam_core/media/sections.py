"""The settings sections the media plugin owns: ``Camera`` and ``Timelapse``."""

from __future__ import annotations

from seccam_core.contributions import SettingsSection

_SYSTEM_DIRS = "proc|sys|dev|etc|bin|sbin|lib|lib32|lib64|libx32|usr|boot|run"
# Empty (the default <data>/recordings), a relative folder, or an absolute folder at least
# two levels deep outside the system folders; never "..": the recordings folder is where
# listings, the storage cleaner and /delete_video operate (ORIGINAL S8).
RECORDINGS_DIR_PATTERN = (
    r"^$"
    r"|^(?!/)(?!(?:.*/)?\.\.(?:/|$))[^\x00]+$"
    rf"|^(?!/(?:{_SYSTEM_DIRS})(?:/|$))(?!(?:.*/)?\.\.(?:/|$))/[^/\x00]+/[^\x00]*[^/\x00]$"
)
# The generated test picture: even sides (H.264's 4:2:0 needs them), at most 1920x1080.
_EVEN_WIDTH = r"(?:1[68]|[2-9][02468]|[1-9]\d[02468]|1[0-8]\d[02468]|19[01][02468]|1920)"
_EVEN_HEIGHT = r"(?:1[68]|[2-9][02468]|[1-9]\d[02468]|10[0-7][02468]|1080)"
TEST_PATTERN_SIZE_PATTERN = rf"^{_EVEN_WIDTH}x{_EVEN_HEIGHT}$"

CAMERA_SECTION = SettingsSection(
    name="Camera",
    description="The camera source, where recordings go, and the pre-roll buffer.",
    schema={
        "type": "object",
        "properties": {
            "source": {
                "type": "string", "maxLength": 500,
                "pattern": r"^(?:testpattern|(?:rtsps?|https?|srt|udp)://\S+)$",
                "description": "\"testpattern\" (a generated picture with a running clock) "
                "or a stream URL such as rtsp://localhost:8554/cam (MediaMTX on a Pi).",
            },
            "recordings_dir": {
                "type": "string", "maxLength": 500, "pattern": RECORDINGS_DIR_PATTERN,
                "description": "Folder for recordings and snapshots; empty means "
                "<data>/recordings, relative paths are inside the data folder; "
                "the root and system folders are refused.",
            },
            "pre_roll_seconds": {"type": "number", "minimum": 0, "maximum": 30,
                                 "description": "Seconds before a trigger every recording holds."},
            "test_pattern_size": {"type": "string", "pattern": TEST_PATTERN_SIZE_PATTERN,
                                  "description": "WIDTHxHEIGHT of the test pattern source: "
                                  "even numbers, 16x16 to 1920x1080."},
            "test_pattern_fps": {"type": "integer", "minimum": 1, "maximum": 30,
                                 "description": "Frames per second of the test pattern."},
            "max_recording_seconds": {
                "type": "integer", "minimum": 10, "maximum": 86400,
                "description": "A recording is stopped after this long, whatever asked for it.",
            },
        },
        "additionalProperties": False,
    },
    defaults={
        "source": "testpattern",
        "recordings_dir": "",
        "pre_roll_seconds": 5,
        "test_pattern_size": "640x480",
        "test_pattern_fps": 10,
        "max_recording_seconds": 3600,
    },
)

TIMELAPSE_SCHEMA = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean", "description": "Whether frames are captured."},
        "interval_minutes": {"type": "number", "minimum": 1, "maximum": 60,
                             "description": "Minutes between two frames."},
        "fps": {"type": "integer", "minimum": 1, "maximum": 60,
                "description": "Frames per second of the day's video."},
        "resolution": {"enum": ["original", "640:480", "320:240", "640x480", "320x240"],
                       "description": "Size of the frames; original keeps the camera's."},
    },
    "additionalProperties": False,
}

TIMELAPSE_SECTION = SettingsSection(
    name="Timelapse",
    description="A frame every few minutes, stitched into one video per day.",
    schema=TIMELAPSE_SCHEMA,
    defaults={"enabled": False, "interval_minutes": 5, "fps": 24, "resolution": "640x480"},
)
