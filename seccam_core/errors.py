"""The errors seccam raises, each one a value a client can act on."""

from __future__ import annotations

from typing import Any


class SeccamError(Exception):
    """Base of every seccam error."""


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
