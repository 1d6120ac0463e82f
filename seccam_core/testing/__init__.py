"""A pytest plugin for seccam and its plugin authors (entry point ``pytest11``).

Install ``seccam-core[testing]`` and these fixtures are there, none of them autouse.
Without the extra, pytest still starts; the fixtures that need it skip, naming it.

``seccam_client`` (start here)
    An in-process client of an app started inside its lifespan (startup and shutdown
    hooks run): ``await seccam_client.get("/plugins")``, the token sent for you. No
    server, no sockets, no camera. Choose plugins with
    ``@pytest.mark.seccam_plugins(my_plugin)``; ``seccam_app`` is the app itself.
``seccam_live_server``
    ``seccam_live_server(plugin, ...)`` runs the real app under hypercorn on a free
    loopback port, in a thread: for SSE (``server.events()``) and end-to-end tests;
    ``server.client()`` is an ``httpx.Client`` with the token. Stopped at the end of the
    test; a server that does not stop fails the test.
``seccam_make_app``
    ``seccam_make_app(plugin, ...)`` builds an unstarted app on the test's data folder.
``seccam_gpio``
    gpiozero's ``MockFactory`` installed for the test, reset and restored afterwards.
    Drive pins with ``seccam_gpio.pin(22).drive_low()``.
``seccam_data_dir``
    A fresh data folder (settings, media, logs) for the test.
``seccam_receiver``
    An HTTP server on loopback recording every request (:class:`LoopbackReceiver`): the
    place an action under test sends its webhooks and notifications.
``seccam_event``
    ``seccam_event("sensor_state", triggered=True)`` makes an :class:`~seccam_core.Event`
    as the bus would, to call an action's ``run`` directly.

Apps made by the kit have no camera unless a test asks for one (``media=True``): the
builtin media plugin starts ffmpeg. A stand-in (``StandInRecorder``) replaces the builtin
it stands in for; it never runs beside it. Every app gets the given plugins and the
builtins; ``entry_points=True`` adds every installed plugin.

``wait_until(predicate, timeout, what)`` polls until something shows over HTTP.
``assert_documented(server.app, "get", "/my/route", response)`` checks an answer against
what ``/openapi.json`` promises for it (status, JSON Schema) and returns its JSON.

A plugin's first test, "is my plugin installed?", with the in-process client::

    @pytest.mark.seccam_plugins(seccam_lightgate)
    async def test_light_gate_is_a_sensor_type(seccam_client):
        answer = await (await seccam_client.get("/sensor/types")).get_json()
        assert "light_gate" in [t["type"] for t in answer]
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from quart import Quart

from seccam_core.app import create_app, seccam_of
from seccam_core.events import Event, encode_frame
from seccam_core.runtime import Config
from seccam_core.sensing.doubles import EdgeRecorder, StandInRecorder, SwitchablePresence
from seccam_core.testing.client import TokenTestClient
from seccam_core.testing.ports import free_port
from seccam_core.testing.receiver import LoopbackReceiver, ReceivedRequest

if TYPE_CHECKING:
    import httpx

    from seccam_core.testing.live import EventReader, LiveServer, SSEEvent

__all__ = [
    "EdgeRecorder",
    "EventReader",
    "LiveServer",
    "LoopbackReceiver",
    "ReceivedRequest",
    "SSEEvent",
    "StandInRecorder",
    "SwitchablePresence",
    "TokenTestClient",
    "assert_documented",
    "free_port",
    "make_app",
    "make_event",
    "wait_until",
]

MEDIA_PLUGIN = "builtin.media"
EXTRA_HINT = "pip install 'seccam-core[testing]'"
_LIVE_NAMES = frozenset({"EventReader", "LiveServer", "SSEEvent"})


def __getattr__(name: str) -> Any:
    # The live server needs httpx (the testing extra): imported when first asked for.
    if name in _LIVE_NAMES:
        _require_extra("httpx")
        from seccam_core.testing import live

        return getattr(live, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _require_extra(module: str) -> None:
    """Skip the test that needs ``module`` when the testing extra is not installed."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"this fixture needs {module}: {EXTRA_HINT}")


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


def make_app(data_dir: Path, *plugins: object, entry_points: bool = False,
             media: bool = False, **options: Any) -> Quart:
    """An app on ``data_dir`` with these plugins and the builtins.

    The camera (the builtin media plugin) runs only with ``media=True``. A plugin object
    with ``seccam_stands_in_for = ("builtin.media",)`` replaces those plugins: asking
    for ``media=True`` beside such a stand-in is an error, not two recorders.
    """
    disabled = set(options.pop("disabled_plugins", ()))
    replaced = {name for plugin in plugins
                for name in getattr(plugin, "seccam_stands_in_for", ())}
    if media and MEDIA_PLUGIN in replaced:
        raise ValueError("a stand-in replaces the media plugin here: leave out media=True")
    if not media:
        disabled.add(MEDIA_PLUGIN)
    disabled |= replaced
    options.setdefault("safe_mode", False)
    config = Config(data_dir=data_dir, plugins=plugins, entry_points=entry_points,
                    disabled_plugins=frozenset(disabled), **options)
    return create_app(config)


@pytest.fixture
def seccam_make_app(seccam_data_dir: Path) -> Callable[..., Quart]:
    """``seccam_make_app(*plugins, entry_points=False, **config)`` -> an unstarted app."""

    def make(*plugins: object, **options: Any) -> Quart:
        return make_app(options.pop("data_dir", seccam_data_dir), *plugins, **options)

    return make


try:
    import pytest_asyncio
except ImportError:  # seccam-core without its testing extra: skip, never break pytest

    @pytest.fixture
    def seccam_app() -> Quart:
        """Needs pytest-asyncio (the testing extra)."""
        pytest.skip(f"seccam_app needs pytest-asyncio: {EXTRA_HINT}")

else:

    @pytest_asyncio.fixture
    async def seccam_app(  # type: ignore[misc]
        request: pytest.FixtureRequest, seccam_make_app: Callable[..., Quart]
    ) -> AsyncIterator[Quart]:
        """A started app (inside ``test_app()``) with ``@pytest.mark.seccam_plugins``
        plugins; ``seccam_app.seccam`` is its :class:`~seccam_core.Seccam`."""
        marker = request.node.get_closest_marker("seccam_plugins")
        plugins = marker.args if marker else ()
        app = seccam_make_app(*plugins, **(marker.kwargs if marker else {}))
        async with app.test_app() as test_app:
            test_app.seccam = seccam_of(app)  # type: ignore[attr-defined]
            yield test_app  # type: ignore[misc]


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


# --- for action authors ------------------------------------------------------------------


_event_ids = itertools.count(1)


def make_event(event_type: str, data: dict[str, Any] | None = None, /, **fields: Any) -> Event:
    """An :class:`~seccam_core.Event` as the bus publishes it (id, time, SSE frame)."""
    payload = {**(data or {}), **fields}
    event_id = next(_event_ids)
    return Event(event_id, event_type, payload, time.time(),
                 encode_frame(event_id, event_type, payload))


@pytest.fixture
def seccam_event() -> Callable[..., Event]:
    """``seccam_event("incident", id="...", state="new")`` -> an :class:`Event`."""
    return make_event


@pytest.fixture
def seccam_receiver() -> Iterator[LoopbackReceiver]:
    """An HTTP receiver on loopback recording every request; closed after the test."""
    receiver = LoopbackReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


# --- live server over HTTP --------------------------------------------------------------


@pytest.fixture
def seccam_live_server(seccam_data_dir: Path) -> Iterator[Callable[..., LiveServer]]:
    """``seccam_live_server(*plugins, entry_points=False, media=False, **config)`` -> a
    running server; ``stop_timeout=`` sets how long its stop may take before the test
    fails."""
    _require_extra("httpx")
    from seccam_core.testing.live import LiveServer

    servers: list[LiveServer] = []

    def start(*plugins: object, **options: Any) -> LiveServer:
        stop_timeout = options.pop("stop_timeout", None)
        app = make_app(options.pop("data_dir", seccam_data_dir), *plugins, **options)
        server = LiveServer(app) if stop_timeout is None else LiveServer(
            app, stop_timeout=stop_timeout)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()
