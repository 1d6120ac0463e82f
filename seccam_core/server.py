"""How ``seccam serve`` and the test kit's live server run the app under hypercorn.

seccam runs hypercorn's connection handler (``TCPServer``, h11) under its own small
accept loop rather than hypercorn's ``serve``, for three reasons:

- the sockets are bound before the app starts, so a taken port fails before cameras
  and timers have started (hypercorn starts the app, then binds, and on failure never
  shuts the app down);
- connections are admitted through a :class:`~seccam_core.connections.ConnectionGate`
  (caps in total and per address, sized from the descriptor limit);
- a connection the client has closed is closed at once. In hypercorn 0.18 the
  keep-alive timer keeps running after the client's EOF, and the connection's task
  group waits for it, so a closed connection kept its descriptor and all its state for
  the whole keep-alive. Connect-and-close in a loop then held thousands of them at once:
  descriptors ran out, and the heap grew by hundreds of MB that it never gave back.

hypercorn is pinned to 0.18.x in pyproject.toml because ``_TCPServer`` relies on its
``TCPServer`` internals (``idle_task``, ``_read_data``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.lifespan import Lifespan
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config as HypercornConfig
from hypercorn.utils import wrap_app

from seccam_core.connections import ConnectionGate, ConnectionLimits, GatedSocket

KEEP_ALIVE_SECONDS = 5
"""An idle connection is closed after this; a browser reconnects for free."""


def hypercorn_config(host: str, port: int) -> HypercornConfig:
    """Keep-alive on (short), bounded header size and timeouts, no ``Server`` header, no
    access log (seccam logs requests itself, without query strings)."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.include_server_header = False
    config.accesslog = None
    config.keep_alive_timeout = KEEP_ALIVE_SECONDS
    config.read_timeout = 60
    config.h11_max_incomplete_size = 16 * 1024
    config.graceful_timeout = 5
    return config


class _TCPServer(TCPServer):
    """hypercorn's connection handler, closing the connection when the client has gone."""

    async def _read_data(self) -> None:
        await super()._read_data()
        # The client has closed (or the read failed): no keep-alive is left to wait for.
        # A request still running finishes; then the task group ends and closes the socket.
        await self.idle_task.stop()


async def serve_bound(
    app: Any, config: HypercornConfig, shutdown_trigger: Callable[[], Awaitable[Any]],
    limits: ConnectionLimits | None = None,
) -> None:
    """Serve ``app`` on sockets created *before* it starts, until ``shutdown_trigger``
    returns; then close the listeners, let open requests finish for
    ``config.graceful_timeout`` seconds, and shut the app down."""
    sockets = config.create_sockets()  # raises OSError when the address is in use
    gate = ConnectionGate(limits or ConnectionLimits.from_descriptors())
    listeners = [GatedSocket.adopt(sock, gate) for sock in sockets.insecure_sockets]
    loop = asyncio.get_running_loop()
    wrapped = wrap_app(app, config.wsgi_max_body_size, None)
    state: dict[str, Any] = {}
    lifespan = Lifespan(wrapped, config, loop, state)
    lifespan_task = loop.create_task(lifespan.handle_lifespan())
    try:
        await lifespan.wait_for_startup()
    except BaseException:
        for listener in listeners:
            listener.close()
        raise
    if lifespan_task.done() and lifespan_task.exception() is not None:
        for listener in listeners:
            listener.close()
        raise lifespan_task.exception()  # type: ignore[misc]

    context = WorkerContext(None)
    connections: set[asyncio.Task[Any]] = set()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        task.add_done_callback(connections.discard)
        await _TCPServer(wrapped, loop, config, context, state, reader, writer)

    servers = [await asyncio.start_server(on_connection, backlog=config.backlog, sock=listener)
               for listener in listeners]
    try:
        await shutdown_trigger()
    finally:
        await context.terminated.set()
        for server in servers:
            server.close()  # stops accepting; open connections are waited for below
        if connections:
            _, pending = await asyncio.wait(set(connections), timeout=config.graceful_timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        await lifespan.wait_for_shutdown()
        lifespan_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lifespan_task
