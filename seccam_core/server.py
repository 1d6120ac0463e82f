"""The hypercorn configuration ``seccam serve`` and the test kit's live server share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.utils import wrap_app


def hypercorn_config(host: str, port: int) -> HypercornConfig:
    """Keep-alive on, bounded header size and timeouts, no ``Server`` header, no access log
    (seccam logs requests itself, without query strings)."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.include_server_header = False
    config.accesslog = None
    config.keep_alive_timeout = 30
    config.read_timeout = 60
    config.h11_max_incomplete_size = 16 * 1024
    config.graceful_timeout = 5
    return config


async def serve_bound(
    app: Any, config: HypercornConfig, shutdown_trigger: Callable[[], Awaitable[Any]]
) -> None:
    """Serve ``app`` on sockets created *before* it starts.

    Hypercorn's ``serve`` starts the app (cameras, timers) and only then binds; when the
    port is taken it raises without ever shutting the app down, leaving its background
    work running. Binding first makes a taken port fail before anything has started.
    """
    sockets = config.create_sockets()  # raises OSError when the address is in use
    await worker_serve(wrap_app(app, config.wsgi_max_body_size, None), config,
                       sockets=sockets, shutdown_trigger=shutdown_trigger)
