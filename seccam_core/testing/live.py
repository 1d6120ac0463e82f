"""The real app under hypercorn on a loopback port, and an SSE reader for it."""

from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from quart import Quart

from seccam_core.app import seccam_of
from seccam_core.testing.ports import free_port

LIVE_SERVER_START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
"""Longer than every shutdown deadline of the app (plugins 10 s, hypercorn 2 s here)."""


class ServerDidNotStop(AssertionError):
    """The live server's thread was still running after its stop timeout: a hung shutdown."""

@dataclass
class SSEEvent:
    """One event read from ``/events``."""

    type: str
    id: int | None
    data: Any


class EventReader:
    """Reads ``/events`` in a background thread; tests wait for events with a deadline."""

    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        self._events: queue.Queue[SSEEvent | BaseException | None] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=None))
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._connected = threading.Event()
        self.status_code: int | None = None
        self._thread = threading.Thread(
            target=self._read, args=(url + "/events", headers), daemon=True
        )
        self._thread.start()
        if not self._connected.wait(10):
            raise TimeoutError("the event stream did not connect")

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status_code = response.status_code
                self._connected.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if not line:
                        if "event" in fields:
                            self._events.put(SSEEvent(
                                fields["event"],
                                int(fields["id"]) if "id" in fields else None,
                                json.loads(fields.get("data", "null")),
                            ))
                        fields = {}
                    elif not line.startswith(":"):
                        key, _, value = line.partition(":")
                        fields[key] = value[1:] if value.startswith(" ") else value
        except Exception as exc:  # the stream was closed under us: say so to the waiter
            self._connected.set()
            self._events.put(exc)
        finally:
            self._events.put(None)

    def next(self, timeout: float = 10.0) -> SSEEvent | None:
        """The next event, or ``None`` when the server closed the stream."""
        item = self._events.get(timeout=timeout)
        if isinstance(item, BaseException):
            return None
        return item

    def wait_for(self, event_type: str, predicate: Callable[[Any], bool] = lambda d: True,
                 timeout: float = 10.0) -> SSEEvent:
        """Skip events until one of ``event_type`` whose data satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event_type} event within {timeout} s")
            try:
                event = self.next(remaining)
            except queue.Empty:
                continue
            if event is None:
                raise ConnectionError(f"stream closed while waiting for {event_type}")
            if event.type == event_type and predicate(event.data):
                return event

    def close(self) -> None:
        self._client.close()


class LiveServer:
    """The real app under hypercorn on a loopback port, served from a thread."""

    def __init__(self, app: Quart, host: str = "127.0.0.1",
                 stop_timeout: float = STOP_TIMEOUT) -> None:
        self.app = app
        self.stop_timeout = stop_timeout
        self.seccam = seccam_of(app)
        self.host = host
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._readers: list[EventReader] = []
        self._clients: list[httpx.Client] = []

    @property
    def token(self) -> str:
        return self.seccam.auth.token

    def start(self) -> LiveServer:
        self._thread = threading.Thread(target=self._run, name="seccam-live-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + LIVE_SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._error is not None:
                raise RuntimeError("the live server failed to start") from self._error
            if self._started.is_set():
                try:
                    socket.create_connection((self.host, self.port), timeout=1).close()
                    return self
                except OSError:
                    pass
            time.sleep(0.02)
        raise TimeoutError("the live server did not start")

    def _run(self) -> None:
        from seccam_core.server import hypercorn_config, serve_bound

        config = hypercorn_config(self.host, self.port)
        config.graceful_timeout = 2

        @self.app.before_serving
        async def announce() -> None:
            self._started.set()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve_bound(self.app, config, shutdown_trigger=self._stop.wait,
                              limits=self.seccam.config.connection_limits())

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._error = exc

    def client(self, token: str | bool | None = True, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the server, sending the token unless ``token=None``."""
        headers = dict(kwargs.pop("headers", {}))
        if token is True:
            token = self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)
        self._clients.append(client)
        return client

    def events(self, last_event_id: int | None = None) -> EventReader:
        """A connected ``/events`` reader (closed when the server stops)."""
        reader = EventReader(self.url, self.token, last_event_id)
        self._readers.append(reader)
        return reader

    def call(self, function: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``function`` on the server's event loop (awaiting it if it is a coroutine)."""
        assert self._loop is not None

        async def invoke() -> Any:
            result = function()
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(invoke(), self._loop).result(timeout)

    def stop(self) -> None:
        """Stop serving and wait for the server thread; :class:`ServerDidNotStop` if it hangs."""
        for reader in self._readers:
            reader.close()
        for client in self._clients:
            client.close()
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            # Open event streams first, or hypercorn waits its graceful timeout for them.
            self._loop.call_soon_threadsafe(self.seccam.bus.close_all, "server stopping")
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(self.stop_timeout)
            if self._thread.is_alive():
                raise ServerDidNotStop(
                    f"the live server was still stopping after {self.stop_timeout} s: "
                    "a shutdown hook, an action or a background task hangs")
        if self._error is not None and not isinstance(self._error, SystemExit):
            raise RuntimeError("the live server failed") from self._error


