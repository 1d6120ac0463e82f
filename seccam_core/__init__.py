"""seccam: the backend of a Raspberry Pi security camera, and its public plugin API.

Everything a plugin may use is importable from here (and its tests from
:mod:`seccam_core.testing`); the modules beneath are the core's own and may change
without notice. ``docs/plugins.md`` documents this surface and its stability promise.

Writing a plugin starts with :data:`hookimpl` and the ``seccam`` entry point group::

    # seccam_lightgate/__init__.py
    from seccam_core import SensorType, hookimpl

    @hookimpl
    def seccam_sensor_types():
        return [SensorType(name="light_gate", ...)]

    # pyproject.toml
    [project.entry-points.seccam]
    lightgate = "seccam_lightgate"

Every hook, its arguments and its return value are described in
:mod:`seccam_core.hookspecs`.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import pluggy

PROJECT_NAME = "seccam"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a function as a seccam hook implementation."""

try:
    __version__ = version("seccam-core")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

# Every other public name is imported when first used (PEP 562), so ``import seccam_core``
# stays cheap for the command line and a plugin pays only for what it uses. The modules
# named here import ``hookimpl`` and ``PROJECT_NAME`` from this package.
_LAZY: dict[str, str] = {
    "ARCHIVE": "seccam_core.services",
    "ARMING": "seccam_core.services",
    "ActionContext": "seccam_core.contributions",
    "ActionType": "seccam_core.contributions",
    "AlertLevel": "seccam_core.contributions",
    "AlertMetric": "seccam_core.contributions",
    "ApiError": "seccam_core.errors",
    "Archive": "seccam_core.services",
    "Arming": "seccam_core.services",
    "Backoff": "seccam_core.delivery",
    "BadRequest": "seccam_core.errors",
    "Busy": "seccam_core.errors",
    "CAMERA": "seccam_core.services",
    "Camera": "seccam_core.services",
    "CleanupReport": "seccam_core.contributions",
    "Command": "seccam_core.commands",
    "CommandFailed": "seccam_core.commands",
    "CommandMissing": "seccam_core.commands",
    "CommandResult": "seccam_core.commands",
    "CommandTimeout": "seccam_core.commands",
    "Conflict": "seccam_core.errors",
    "Countdown": "seccam_core.sensing.countdown",
    "DeviceError": "seccam_core.errors",
    "DigitalInputSensor": "seccam_core.sensing.digital_input",
    "DiskUsage": "seccam_core.system.metrics",
    "Edge": "seccam_core.sensing.types",
    "Emit": "seccam_core.sensing.types",
    "EngineError": "seccam_core.errors",
    "Event": "seccam_core.events",
    "InvalidValue": "seccam_core.errors",
    "LevelSensor": "seccam_core.sensing.digital_input",
    "LiveSensor": "seccam_core.sensing.types",
    "MediaLayout": "seccam_core.media.layout",
    "MetricReading": "seccam_core.contributions",
    "NAME_TIME": "seccam_core.media.layout",
    "NULLABLE_STRING": "seccam_core.api.validation",
    "NotAvailable": "seccam_core.errors",
    "NotFound": "seccam_core.errors",
    "NotKnown": "seccam_core.errors",
    "PresenceSource": "seccam_core.contributions",
    "RECORDER": "seccam_core.services",
    "RECORDING_PATTERN": "seccam_core.media.layout",
    "Recorder": "seccam_core.services",
    "SENSORS": "seccam_core.services",
    "SIDECAR_SUFFIXES": "seccam_core.media.layout",
    "SNAPSHOT_PATTERN": "seccam_core.media.layout",
    "SNAPSHOTS": "seccam_core.services",
    "Seccam": "seccam_core.runtime",
    "SeccamError": "seccam_core.errors",
    "SensorConfig": "seccam_core.sensing.types",
    "SensorType": "seccam_core.sensing.types",
    "Sensors": "seccam_core.services",
    "ServiceKey": "seccam_core.services",
    "ServiceMissing": "seccam_core.services",
    "ServiceTaken": "seccam_core.services",
    "Snapshots": "seccam_core.services",
    "SettingsSection": "seccam_core.contributions",
    "StoragePolicy": "seccam_core.contributions",
    "SystemSources": "seccam_core.system.sources",
    "TIMELAPSE_PATTERN": "seccam_core.media.layout",
    "TransientError": "seccam_core.delivery",
    "Unavailable": "seccam_core.errors",
    "WiringPin": "seccam_core.sensing.types",
    "action_section": "seccam_core.action_settings",
    "bounce_time_property": "seccam_core.sensing.building_blocks",
    "calibration_defaults": "seccam_core.sensing.types",
    "current_seccam": "seccam_core.api.context",
    "described_body": "seccam_core.api.validation",
    "digital_input_factory": "seccam_core.sensing.building_blocks",
    "disk_usage": "seccam_core.system.metrics",
    "graded": "seccam_core.system.alert_metrics",
    "http_client": "seccam_core.http_pool",
    "json_body": "seccam_core.api.validation",
    "media_layout": "seccam_core.media.layout",
    "message_answer": "seccam_core.api.validation",
    "name_allowed": "seccam_core.files",
    "query_args": "seccam_core.api.validation",
    "read_json_object": "seccam_core.api.validation",
    "read_text": "seccam_core.system.sources",
    "responds": "seccam_core.api.validation",
    "run_command": "seccam_core.commands",
    "sidecars": "seccam_core.media.layout",
    "time_from_name": "seccam_core.media.layout",
    "unique_name": "seccam_core.media.layout",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from seccam_core.action_settings import action_section
    from seccam_core.api.context import current_seccam
    from seccam_core.api.validation import (
        NULLABLE_STRING,
        described_body,
        json_body,
        message_answer,
        query_args,
        read_json_object,
        responds,
    )
    from seccam_core.commands import (
        Command,
        CommandFailed,
        CommandMissing,
        CommandResult,
        CommandTimeout,
        run_command,
    )
    from seccam_core.contributions import (
        ActionContext,
        ActionType,
        AlertLevel,
        AlertMetric,
        CleanupReport,
        MetricReading,
        PresenceSource,
        SettingsSection,
        StoragePolicy,
    )
    from seccam_core.delivery import Backoff, TransientError
    from seccam_core.errors import (
        ApiError,
        BadRequest,
        Busy,
        Conflict,
        DeviceError,
        EngineError,
        InvalidValue,
        NotAvailable,
        NotFound,
        NotKnown,
        SeccamError,
        Unavailable,
    )
    from seccam_core.events import Event
    from seccam_core.files import name_allowed
    from seccam_core.http_pool import http_client
    from seccam_core.media.layout import (
        NAME_TIME,
        RECORDING_PATTERN,
        SIDECAR_SUFFIXES,
        SNAPSHOT_PATTERN,
        TIMELAPSE_PATTERN,
        MediaLayout,
        media_layout,
        sidecars,
        time_from_name,
        unique_name,
    )
    from seccam_core.runtime import Seccam
    from seccam_core.sensing.building_blocks import (
        bounce_time_property,
        digital_input_factory,
    )
    from seccam_core.sensing.countdown import Countdown
    from seccam_core.sensing.digital_input import DigitalInputSensor, LevelSensor
    from seccam_core.sensing.types import (
        Edge,
        Emit,
        LiveSensor,
        SensorConfig,
        SensorType,
        WiringPin,
        calibration_defaults,
    )
    from seccam_core.services import (
        ARCHIVE,
        ARMING,
        CAMERA,
        RECORDER,
        SENSORS,
        SNAPSHOTS,
        Archive,
        Arming,
        Camera,
        Recorder,
        Sensors,
        ServiceKey,
        ServiceMissing,
        ServiceTaken,
        Snapshots,
    )
    from seccam_core.system.alert_metrics import graded
    from seccam_core.system.metrics import DiskUsage, disk_usage
    from seccam_core.system.sources import SystemSources, read_text

__all__ = [
    "ARCHIVE",
    "ARMING",
    "CAMERA",
    "NAME_TIME",
    "NULLABLE_STRING",
    "PROJECT_NAME",
    "RECORDER",
    "RECORDING_PATTERN",
    "SENSORS",
    "SIDECAR_SUFFIXES",
    "SNAPSHOTS",
    "SNAPSHOT_PATTERN",
    "TIMELAPSE_PATTERN",
    "ActionContext",
    "ActionType",
    "AlertLevel",
    "AlertMetric",
    "ApiError",
    "Archive",
    "Arming",
    "Backoff",
    "BadRequest",
    "Busy",
    "Camera",
    "CleanupReport",
    "Command",
    "CommandFailed",
    "CommandMissing",
    "CommandResult",
    "CommandTimeout",
    "Conflict",
    "Countdown",
    "DeviceError",
    "DigitalInputSensor",
    "DiskUsage",
    "Edge",
    "Emit",
    "EngineError",
    "Event",
    "InvalidValue",
    "LevelSensor",
    "LiveSensor",
    "MediaLayout",
    "MetricReading",
    "NotAvailable",
    "NotFound",
    "NotKnown",
    "PresenceSource",
    "Recorder",
    "Seccam",
    "SeccamError",
    "SensorConfig",
    "SensorType",
    "Sensors",
    "ServiceKey",
    "ServiceMissing",
    "ServiceTaken",
    "SettingsSection",
    "Snapshots",
    "StoragePolicy",
    "SystemSources",
    "TransientError",
    "Unavailable",
    "WiringPin",
    "__version__",
    "action_section",
    "bounce_time_property",
    "calibration_defaults",
    "current_seccam",
    "described_body",
    "digital_input_factory",
    "disk_usage",
    "graded",
    "hookimpl",
    "http_client",
    "json_body",
    "media_layout",
    "message_answer",
    "name_allowed",
    "query_args",
    "read_json_object",
    "read_text",
    "responds",
    "run_command",
    "sidecars",
    "time_from_name",
    "unique_name",
]
