"""The errors seccam raises, each one a value a client can act on.

Two families. **Engine errors** (:class:`EngineError` and below) are what the sensor
controller, the presence monitor, the recorder and other background code raise: they
know nothing of HTTP. Each also derives from the builtin it resembles (``ValueError``,
``LookupError``, ``OSError``), so callers may catch either. The HTTP layer answers them
by kind (:data:`ENGINE_STATUS`). **API errors** (:class:`ApiError` and below) are raised
by routes only, with the status they answer.
"""

from __future__ import annotations

from typing import Any


class SeccamError(Exception):
    """Base of every seccam error."""


class EngineError(SeccamError):
    """An error of the engine, with a message naming the field or thing at fault and
    optional ``extra`` fields for the answer."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class InvalidValue(EngineError, ValueError):
    """A value given to the engine is wrong (the message names the field)."""


class NotKnown(EngineError, LookupError):
    """The thing asked for is not known (a device, a sensor, a file)."""


class Busy(EngineError):
    """The engine is busy with something that excludes this (a pairing already running)."""


class NotAvailable(EngineError):
    """A dependency (a daemon, an adapter, a plugin's service) is not there right now."""


class DeviceError(EngineError, OSError):
    """Hardware or a daemon failed while doing what was asked (a pin read, a D-Bus call)."""


ENGINE_STATUS: tuple[tuple[type[EngineError], int], ...] = (
    (InvalidValue, 400), (NotKnown, 404), (Busy, 409), (NotAvailable, 503),
    (DeviceError, 500),
)
"""How the HTTP layer answers each kind of engine error (first match wins)."""


def engine_status(error: EngineError) -> int:
    """The HTTP status of an engine error (500 for a kind not listed)."""
    return next((status for kind, status in ENGINE_STATUS if isinstance(error, kind)), 500)


class ApiError(SeccamError):
    """An error answered as ``{"error": message, ...extra}`` with an HTTP status."""

    def __init__(
        self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class BadRequest(ApiError, ValueError):
    """400: the request names a field with a wrong value."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(400, message, **extra)


class NotFound(ApiError, LookupError):
    """404: the thing asked for does not exist."""

    def __init__(self, message: str = "Not found", **extra: Any) -> None:
        super().__init__(404, message, **extra)


class Conflict(ApiError):
    """409: the request clashes with what is going on (a pairing already running ...)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(409, message, **extra)


class Unavailable(ApiError):
    """503: a dependency (camera, Bluetooth adapter ...) is not there right now."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(503, message, **extra)


class PluginError(SeccamError):
    """A plugin broke the contract in a way that stops the server from starting."""
