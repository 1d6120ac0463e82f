"""Typed services: what one plugin offers the others, found by a typed key, not a string.

A plugin that offers a service declares a :class:`ServiceKey` for it and calls
``seccam.provide(KEY, obj)`` at startup (``seccam.withdraw(KEY)`` at shutdown). Callers
ask ``seccam.get(KEY)`` (``None`` while nobody provides it) or ``seccam.require(KEY)``,
which raises :class:`ServiceMissing` naming the service and who provides it. The core's
own services are also typed attributes of the facade: ``seccam.recorder``,
``seccam.sensors``, ``seccam.archive``, ``seccam.camera``.

The protocols below are the part of the core's services a plugin may rely on; the
objects behind them have more, which may change without notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast, runtime_checkable

from seccam_core.errors import NotAvailable, SeccamError

if TYPE_CHECKING:
    from seccam_core.sensing.types import LiveSensor

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceKey(Generic[T]):
    """The typed name of a service: ``RECORDER: ServiceKey[Recorder]``.

    ``provider`` says who normally offers it, for the error a caller gets when it is
    missing ("the media plugin (builtin.media)").
    """

    name: str
    provider: str = ""


class ServiceMissing(NotAvailable, LookupError):
    """A caller needs a service that nobody provides (its plugin is disabled or failed)."""

    def __init__(self, key: ServiceKey[Any]) -> None:
        who = f" ({key.provider} is disabled, failed or not installed)" if key.provider else ""
        super().__init__(f"the {key.name} service is not available{who}")
        self.key = key


class ServiceTaken(SeccamError, ValueError):
    """A second plugin tried to provide a service that is already provided."""


class ServiceRegistry:
    """The services of one app, by key. Use it from the event loop."""

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}

    def provide(self, key: ServiceKey[T], service: T, *, replace: bool = False) -> None:
        """Offer ``service`` under ``key``; a second provider is an error unless the
        provider itself ``replace``s its object (the archive after a folder change)."""
        current = self._services.get(key.name)
        if current is not None and current is not service and not replace:
            raise ServiceTaken(f"the {key.name} service is already provided")
        self._services[key.name] = service

    def withdraw(self, key: ServiceKey[T]) -> T | None:
        """Take the service away (at shutdown); returns it, or ``None`` if there was none."""
        return cast("T | None", self._services.pop(key.name, None))

    def get(self, key: ServiceKey[T]) -> T | None:
        """The service, or ``None`` while nobody provides it."""
        return cast("T | None", self._services.get(key.name))

    def require(self, key: ServiceKey[T]) -> T:
        """The service; :class:`ServiceMissing` while nobody provides it."""
        found = self._services.get(key.name)
        if found is None:
            raise ServiceMissing(key)
        return cast(T, found)

    def names(self) -> list[str]:
        """The names of the services provided now."""
        return sorted(self._services)


# --- the core's services, as plugins see them -------------------------------------------


@runtime_checkable
class Recorder(Protocol):
    """The media recorder: one recording at a time, starting with the pre-roll."""

    @property
    def recording(self) -> bool:
        """Whether a recording is in progress."""

    @property
    def current_path(self) -> Path | None:
        """The final path of the recording in progress (``None`` when not recording)."""

    def status(self) -> dict[str, Any]:
        """What ``GET /recording_status`` answers."""

    async def toggle(self) -> tuple[bool, Path | None]:
        """Start a manual recording, or stop the one running (``POST /toggle_recording``):
        whether one runs now, and the finished file when one was stopped."""


@runtime_checkable
class Archive(Protocol):
    """The catalogue of recordings, snapshots and timelapses in the recordings folder."""

    def forget(self, path: str | Path) -> object:
        """Drop a file deleted from the folder. Queued: the next answer no longer lists
        it; the result (a future of whether it was catalogued) may be ignored."""


@runtime_checkable
class Camera(Protocol):
    """The camera pipeline: the source, its state, the pre-roll ring."""

    def status(self) -> dict[str, Any]:
        """What ``GET /camera/status`` answers."""


@runtime_checkable
class Snapshots(Protocol):
    """Still pictures from the live camera."""

    async def snapshot(self) -> Path:
        """Save one JPEG into the recordings folder (``POST /snapshot``); its path."""


@runtime_checkable
class Sensors(Protocol):
    """The sensor controller: the configured sensors and their state."""

    @property
    def live_sensor(self) -> LiveSensor | None:
        """The primary sensor's running instance (``None`` when none runs)."""

    def live_sensor_of(self, sensor_id: str | None) -> LiveSensor | None:
        """A sensor's running instance by id (``None`` for the primary; ``None`` if none)."""

    def status(self) -> dict[str, Any]:
        """What ``GET /sensor/status`` answers (every sensor in its ``sensors`` list)."""

    async def set_enabled(self, sensor_id: str, enabled: bool) -> None:
        """Start or stop one sensor, as ``POST /sensors/<id>/enable|disable`` does
        (:class:`~seccam_core.errors.NotKnown` for an unknown id)."""


@runtime_checkable
class Arming(Protocol):
    """The arm mode: ``disarmed``, ``home``, ``away`` or ``night`` (``docs/arming.md``)."""

    def status(self) -> dict[str, Any]:
        """What ``GET /arming`` answers: ``mode`` in force, ``source``, ``since``,
        ``set_mode`` and, if a schedule has one, ``next_change``."""

    async def set_mode(self, mode: str) -> None:
        """A manual change, as ``POST /arming`` (it holds until the next schedule window)."""


RECORDER: ServiceKey[Recorder] = ServiceKey("recorder", "the media plugin (builtin.media)")
ARCHIVE: ServiceKey[Archive] = ServiceKey("archive", "the media plugin (builtin.media)")
CAMERA: ServiceKey[Camera] = ServiceKey("camera", "the media plugin (builtin.media)")
SNAPSHOTS: ServiceKey[Snapshots] = ServiceKey("snapshots", "the media plugin (builtin.media)")
SENSORS: ServiceKey[Sensors] = ServiceKey("sensors", "the sensor plugin (builtin.sensors)")
ARMING: ServiceKey[Arming] = ServiceKey("arming", "the sensor plugin (builtin.sensors)")
