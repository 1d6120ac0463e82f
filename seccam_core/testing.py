"""A pytest plugin for seccam and its plugin authors (entry point ``pytest11``).

Install ``seccam-core[testing]`` and these fixtures are there, none of them autouse:

``seccam_gpio``
    gpiozero's ``MockFactory`` installed for the test, reset and restored afterwards.
    Drive pins with ``seccam_gpio.pin(22).drive_low()``.
``seccam_data_dir``
    A fresh data folder (settings, media, logs) for the test.
``seccam_make_app``
    ``seccam_make_app(plugin, ...)`` builds an app with the given plugin modules (and,
    with ``entry_points=True``, every installed plugin) on the test's data folder.
``seccam_app`` / ``seccam_client``
    An app started inside its lifespan (startup and shutdown hooks run), and a Quart
    test client that sends the API token. Choose plugins with
    ``@pytest.mark.seccam_plugins(my_plugin)``.
``seccam_live_server``
    ``seccam_live_server(plugin, ...)`` runs the real app under hypercorn on a free
    loopback port, in a thread; ``server.client()`` is an ``httpx.Client`` with the
    token, ``server.events()`` an SSE reader. Stopped at the end of the test.

``seccam_receiver``
    ``seccam_receiver()`` starts a real HTTP server on a free loopback port that records
    every request (``receiver.requests``, ``receiver.wait_for(n)``) and answers what you
    tell it (``receiver.answer(503)``, ``receiver.hang(30)``, ``receiver.down()`` /
    ``receiver.up()``): the other end of an action, for its tests.
``seccam_event``
    ``seccam_event("incident", {...})`` builds an :class:`~seccam_core.Event` as the bus
    would (increasing ids), for calling an action's ``run`` directly.

``wait_until(predicate, timeout, what)`` polls until something shows over HTTP.
``assert_documented(server.app, "get", "/my/route", response)`` checks an answer against
what ``/openapi.json`` promises for it (status, JSON Schema) and returns its JSON.

A plugin's first test, "is my plugin installed?"::

    def test_plugin_is_installed(seccam_live_server):
        server = seccam_live_server(entry_points=True)
        names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
        assert "lightgate" in names
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import pytest_asyncio
from quart import Quart

from seccam_core.app import create_app, seccam_of
from seccam_core.runtime import Config, Seccam

LIVE_SERVER_START_TIMEOUT = 30.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "seccam_plugins(*plugins): plugin modules for the seccam_app fixture"
    )


# --- pins and data --------------------------------------------------------------------


@pytest.fixture
def seccam_gpio() -> Iterator[Any]:
    """gpiozero's MockFactory for this test; the previous factory comes back after it."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous


@pytest.fixture
def seccam_data_dir(tmp_path: Path) -> Path:
    """A fresh, empty data folder."""
    path = tmp_path / "seccam-data"
    path.mkdir()
    return path


# --- in-process app -------------------------------------------------------------------


def make_app(data_dir: Path, *plugins: object, entry_points: bool = False, **options: Any) -> Quart:
    """An app on ``data_dir`` with exactly these plugins (plus the builtins)."""
    options.setdefault("disabled_plugins", frozenset())
    options.setdefault("safe_mode", False)
    config = Config(data_dir=data_dir, plugins=plugins, entry_points=entry_points, **options)
    return create_app(config)


@pytest.fixture
def seccam_make_app(seccam_data_dir: Path) -> Callable[..., Quart]:
    """``seccam_make_app(*plugins, entry_points=False, **config)`` -> an unstarted app."""

    def make(*plugins: object, **options: Any) -> Quart:
        return make_app(options.pop("data_dir", seccam_data_dir), *plugins, **options)

    return make


@pytest_asyncio.fixture
async def seccam_app(
    request: pytest.FixtureRequest, seccam_make_app: Callable[..., Quart]
) -> AsyncIterator[Quart]:
    """A started app (inside ``test_app()``) with ``@pytest.mark.seccam_plugins`` plugins."""
    marker = request.node.get_closest_marker("seccam_plugins")
    plugins = marker.args if marker else ()
    app = seccam_make_app(*plugins)
    async with app.test_app() as test_app:
        test_app.seccam = seccam_of(app)  # type: ignore[attr-defined]
        yield test_app  # type: ignore[misc]


class TokenTestClient:
    """A Quart test client that sends the API token unless told ``token=None``."""

    def __init__(self, app: Any, seccam: Seccam) -> None:
        self._client = app.test_client()
        self.seccam = seccam

    async def request(self, method: str, path: str, *, token: str | bool | None = True,
                      **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is True:
            token = self.seccam.auth.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self._client.open(path, method=method, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)


@pytest.fixture
def seccam_client(seccam_app: Any) -> TokenTestClient:
    """A test client of ``seccam_app`` that sends the token."""
    return TokenTestClient(seccam_app, seccam_app.seccam)


# --- waiting ---------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], Any], timeout: float = 30.0, what: str = "", interval: float = 0.05
) -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that.

    For state that only shows over HTTP (the server runs in another thread); raises
    ``TimeoutError`` naming ``what`` once ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what or predicate}")
        time.sleep(interval)


# --- the other end of an action: a loopback HTTP receiver -------------------------------


@dataclass
class ReceivedRequest:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class LoopbackReceiver:
    """A real HTTP server on 127.0.0.1 that records requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.status = 200
        self.body = b'{"ok":true}'
        self.hang_seconds = 0.0
        self._lock = threading.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._release = threading.Event()
        self._connections: set[socket.socket] = set()
        self.up()

    def _handler(self) -> type:
        from http.server import BaseHTTPRequestHandler

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                receiver._connections.add(self.connection)

            def finish(self) -> None:
                receiver._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if receiver.hang_seconds:
                    receiver._release.wait(receiver.hang_seconds)
                with receiver._lock:
                    receiver.requests.append(ReceivedRequest(
                        self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                        body, time.time()))
                    receiver._lock.notify_all()
                    status, answer = receiver.status, receiver.body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    self.close_connection = True  # the client gave up waiting: fine

            do_POST = do_PUT = do_GET = _serve

        return Handler

    def up(self) -> None:
        """Listen (again) on the same port."""
        from http.server import ThreadingHTTPServer

        ThreadingHTTPServer.allow_reuse_address = True
        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening and drop open connections: refused until :meth:`up`."""
        if self._server is not None:
            self._release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def answer(self, status: int, body: bytes = b'{"ok":true}') -> None:
        """Answer every request from now on with ``status``."""
        self.status, self.body = status, body

    def hang(self, seconds: float) -> None:
        """Hold every request ``seconds`` before answering (0: answer at once)."""
        self.hang_seconds = seconds
        if not seconds:
            self._release.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The requests, once at least ``count`` have come; ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.requests)} of {count} requests within "
                                       f"{timeout} s")
                self._lock.wait(remaining)
            return list(self.requests)


@pytest.fixture
def seccam_receiver() -> Iterator[Callable[[], LoopbackReceiver]]:
    """``seccam_receiver()`` -> a started :class:`LoopbackReceiver`, stopped after the test."""
    receivers: list[LoopbackReceiver] = []

    def start() -> LoopbackReceiver:
        receiver = LoopbackReceiver()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.down()


@pytest.fixture
def seccam_event() -> Callable[..., Any]:
    """``seccam_event(type, data)`` -> an :class:`~seccam_core.Event` with the next id."""
    from seccam_core.events import Event, encode_frame

    counter = iter(range(1, 1_000_000))

    def make(event_type: str, data: dict[str, Any] | None = None) -> Event:
        event_id = next(counter)
        payload = dict(data or {})
        return Event(event_id, event_type, payload, time.time(),
                     encode_frame(event_id, event_type, payload))

    return make


# --- the API contract -----------------------------------------------------------------


def assert_documented(
    app: Quart, method: str, path: str, response: httpx.Response, status: int = 200
) -> Any:
    """The answer's JSON, after checking it against the app's OpenAPI document.

    Fails unless ``response`` has ``status``, the document gives ``method path`` a JSON
    Schema for it (not "any JSON"), and the JSON fits that schema (formats included);
    each mismatch is named by its field. ``path`` is the route as documented, e.g.
    ``/sprite/{name}``.
    """
    from seccam_core.openapi import build_openapi

    assert response.status_code == status, f"{method.upper()} {path}: {response.text}"
    operation = build_openapi(app)["paths"][path][method.lower()]
    content = operation["responses"][str(status)]["content"]
    schema = content["application/json"]["schema"]
    assert schema, f"{method.upper()} {path} documents its answer as any JSON"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    answer = response.json()
    errors = [f"{'/'.join(map(str, error.absolute_path)) or '(answer)'}: {error.message}"
              for error in validator.iter_errors(answer)]
    assert not errors, f"{method.upper()} {path} answered {answer!r}: {errors}"
    return answer


# --- live server over HTTP ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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

    def __init__(self, app: Quart, host: str = "127.0.0.1") -> None:
        self.app = app
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
            await serve_bound(self.app, config, shutdown_trigger=self._stop.wait)

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
        for reader in self._readers:
            reader.close()
        for client in self._clients:
            client.close()
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            # Open event streams first, or hypercorn waits its graceful timeout for them.
            self._loop.call_soon_threadsafe(self.seccam.bus.close_all, "server stopping")
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30)
        if self._error is not None and not isinstance(self._error, SystemExit):
            raise RuntimeError("the live server failed") from self._error


@pytest.fixture
def seccam_live_server(seccam_data_dir: Path) -> Iterator[Callable[..., LiveServer]]:
    """``seccam_live_server(*plugins, entry_points=False, **config)`` -> a running server."""
    servers: list[LiveServer] = []

    def start(*plugins: object, **options: Any) -> LiveServer:
        app = make_app(options.pop("data_dir", seccam_data_dir), *plugins, **options)
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()
