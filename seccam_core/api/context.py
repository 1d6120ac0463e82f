"""Access to the running app's :class:`~seccam_core.runtime.Seccam` inside a request."""

from __future__ import annotations

from quart import current_app, request

from seccam_core.runtime import Seccam


def current_seccam() -> Seccam:
    return current_app.extensions["seccam"]


def request_token() -> str | None:
    """The token a request carries: ``Authorization: Bearer``, else ``?token=``."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.args.get("token") or None
