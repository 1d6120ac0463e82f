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

from importlib.metadata import PackageNotFoundError, version

import pluggy

PROJECT_NAME = "seccam"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a function as a seccam hook implementation."""

try:
    __version__ = version("seccam-core")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"

# The names below are defined after ``hookimpl`` on purpose: the modules they come from
# import ``hookimpl`` and ``PROJECT_NAME`` from this package.
from seccam_core.action_settings import action_section  # noqa: E402
from seccam_core.api.context import current_seccam  # noqa: E402
from seccam_core.api.validation import (  # noqa: E402
    NULLABLE_STRING,
    described_body,
    json_body,
    message_answer,
    query_args,
    read_json_object,
    responds,
)
from seccam_core.contributions import (  # noqa: E402
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
from seccam_core.delivery import Backoff, TransientError  # noqa: E402
from seccam_core.errors import (  # noqa: E402
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    SeccamError,
    Unavailable,
)
from seccam_core.events import Event  # noqa: E402
from seccam_core.files import name_allowed  # noqa: E402
from seccam_core.media.layout import (  # noqa: E402
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
from seccam_core.runtime import Seccam  # noqa: E402
from seccam_core.sensing.building_blocks import (  # noqa: E402
    bounce_time_property,
    digital_input_factory,
)
from seccam_core.sensing.countdown import Countdown  # noqa: E402
from seccam_core.sensing.digital_input import DigitalInputSensor, LevelSensor  # noqa: E402
from seccam_core.sensing.types import (  # noqa: E402
    Edge,
    Emit,
    LiveSensor,
    SensorConfig,
    SensorType,
    WiringPin,
    calibration_defaults,
)
from seccam_core.services import (  # noqa: E402
    ARCHIVE,
    CAMERA,
    RECORDER,
    SENSORS,
    Archive,
    Camera,
    Recorder,
    Sensors,
    ServiceKey,
    ServiceMissing,
    ServiceTaken,
)
from seccam_core.system.alert_metrics import graded  # noqa: E402
from seccam_core.system.metrics import DiskUsage, disk_usage  # noqa: E402
from seccam_core.system.sources import SystemSources, read_text  # noqa: E402

__all__ = [
    "ARCHIVE",
    "CAMERA",
    "NAME_TIME",
    "NULLABLE_STRING",
    "PROJECT_NAME",
    "RECORDER",
    "RECORDING_PATTERN",
    "SENSORS",
    "SIDECAR_SUFFIXES",
    "SNAPSHOT_PATTERN",
    "TIMELAPSE_PATTERN",
    "ActionContext",
    "ActionType",
    "AlertLevel",
    "AlertMetric",
    "ApiError",
    "Archive",
    "Backoff",
    "BadRequest",
    "Camera",
    "CleanupReport",
    "Conflict",
    "Countdown",
    "DigitalInputSensor",
    "DiskUsage",
    "Edge",
    "Emit",
    "Event",
    "LevelSensor",
    "LiveSensor",
    "MediaLayout",
    "MetricReading",
    "NotFound",
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
    "json_body",
    "media_layout",
    "message_answer",
    "name_allowed",
    "query_args",
    "read_json_object",
    "read_text",
    "responds",
    "sidecars",
    "time_from_name",
    "unique_name",
]
