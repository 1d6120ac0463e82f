"""``create_app(config)``: the Quart app, its guard, its lifecycle and its blueprints.

Nothing happens at import time. ``create_app`` loads the settings and the plugins; the
registries, blueprints and background work are built when the app starts serving
(``before_serving``), so tests build as many apps as they like inside ``test_app()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from quart import Quart, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from seccam_core.api.context import request_token
from seccam_core.api.file_ranges import SeccamResponse
from seccam_core.api.validation import check_request_strings, parsed_json_body
from seccam_core.auth import EXEMPT_PATHS
from seccam_core.errors import ApiError, EngineError, PluginError, engine_status
from seccam_core.http_pool import close_http_client
from seccam_core.log_setup import log_access
from seccam_core.media_links import linkable
from seccam_core.runtime import Config, Seccam
from seccam_core.sensing.controller import SensorController

log = logging.getLogger(__name__)

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CORS_HEADERS = "Authorization, Content-Type, Last-Event-ID"
LOGIN_PATH = "/auth/validate"


def create_app(config: Config) -> Quart:
    """Build one app. Plugins are loaded now; they contribute when the app starts."""
    app = Quart("seccam_core", static_folder=None)
    app.response_class = SeccamResponse
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        PROVIDE_AUTOMATIC_OPTIONS=True,
        JSON_SORT_KEYS=False,
    )
    seccam = Seccam(config)
    app.extensions["seccam"] = seccam

    @app.before_serving
    async def start() -> None:
        await _start(app, seccam)

    @app.after_serving
    async def stop() -> None:
        watch = app.extensions.pop("seccam_settings_watch", None)
        if watch is not None:
            watch.cancel()
        await _stop(seccam)

    app.asgi_app = EveryAnswer(app.asgi_app)  # type: ignore[method-assign]
    app.before_request(_guard)
    app.before_request(_refuse_unencodable_strings)
    app.after_request(_finish_response)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def seccam_of(app: Quart) -> Seccam:
    return app.extensions["seccam"]


# --- lifecycle ------------------------------------------------------------------------


async def build(app: Quart) -> Seccam:
    """Collect every plugin's contributions and register their routes (once per app).

    Separate from starting, so the API description can be built without starting
    cameras and pins (``seccam api-docs``).
    """
    seccam = seccam_of(app)
    if app.extensions.get("seccam_built"):
        return seccam
    app.extensions["seccam_built"] = True
    for plugin, blueprint in await seccam.collect_contributions():
        before = app_wiring(app)
        try:
            app.register_blueprint(blueprint)
        except ValueError as exc:
            raise PluginError(f"plugin {plugin}: {exc}") from exc
        rewired = [what for what, value in app_wiring(app).items() if before[what] != value]
        if rewired:
            raise PluginError(
                f"plugin {plugin}: blueprint {blueprint.name!r} reaches the app "
                f"({', '.join(rewired)}); a plugin blueprint may only add its own routes "
                "and blueprint-level handlers")
        app.extensions.setdefault("seccam_route_owners", {})[blueprint.name] = plugin
    _reject_route_collisions(app)
    return seccam


async def _start(app: Quart, seccam: Seccam) -> None:
    seccam.loop = asyncio.get_running_loop()
    await build(app)
    seccam.auth.ensure_token()
    seccam.initial_password = seccam.auth.ensure_password()
    if seccam.initial_password and seccam.config.show_initial_password:
        # Only where it is: the console is a persistent journal under systemd.
        print(
            "\n  No password was set, so one was generated for the dashboard. It is in\n\n"
            f"      {seccam.auth.first_password_file}\n\n"
            "  (readable by this user only), removed at the first successful login.\n"
            "  Change it with `seccam password`.\n",
            flush=True,
        )
    await seccam.start_actions()
    app.extensions["seccam_settings_watch"] = asyncio.create_task(
        seccam.settings.watch(), name="settings-watch")
    await seccam.plugins.call_lifecycle("seccam_startup", seccam=seccam)
    for plugin in seccam.plugins.failed():
        seccam.drop_contributions(plugin)
    log.info("seccam started with %d plugins", len(seccam.plugins.infos))


async def _stop(seccam: Seccam) -> None:
    seccam.bus.close_all("server stopping")
    # Sensors and actions stop before the plugins (camera, recorder): no recording may
    # start during shutdown, and no action may wait on a camera that is going away.
    sensors = seccam.sensors
    if isinstance(sensors, SensorController):
        try:
            async with asyncio.timeout(seccam.config.shutdown_timeout):
                await sensors.stop()
        except Exception:
            log.exception("stopping the sensor failed")
    await seccam.stop_actions()
    try:
        async with asyncio.timeout(seccam.config.shutdown_timeout):
            await seccam.plugins.call_lifecycle("seccam_shutdown", reverse=True, seccam=seccam)
    except TimeoutError:
        log.error("plugin shutdown took longer than %ss", seccam.config.shutdown_timeout)
    await close_http_client()


APP_WIRING = (
    "before_request_funcs", "after_request_funcs", "teardown_request_funcs",
    "before_websocket_funcs", "after_websocket_funcs", "teardown_websocket_funcs",
    "url_value_preprocessors", "url_default_functions", "template_context_processors",
)


def app_wiring(app: Quart) -> dict[str, Any]:
    """What a blueprint could change about the whole app, as comparable values.

    Blueprint-level handlers live under the blueprint's own name; app-level ones (those
    ``before_app_request``, ``after_app_request``, ``app_errorhandler``, ``record`` ...
    add) under ``None`` or on the app itself.
    """
    wiring: dict[str, Any] = {
        name: list(getattr(app, name, {}).get(None, [])) for name in APP_WIRING
    }
    wiring["error handlers"] = {code: dict(handlers) for code, handlers
                                in app.error_handler_spec.get(None, {}).items()}
    wiring["serving hooks"] = [list(app.before_serving_funcs), list(app.after_serving_funcs),
                               list(app.while_serving_gens)]
    wiring["config"] = dict(app.config)
    wiring["extensions"] = set(app.extensions)
    wiring["view functions"] = {name for name in app.view_functions if "." not in name}
    return wiring


def _reject_route_collisions(app: Quart) -> None:
    owners = app.extensions.get("seccam_route_owners", {})
    seen: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - IGNORED_METHODS:
            key = (rule.rule, method)
            if key in seen:
                first, second = seen[key], rule.endpoint
                who = [owners.get(e.split(".", 1)[0], "the core") for e in (first, second)]
                raise PluginError(
                    f"route {method} {rule.rule} is served twice: by {first} ({who[0]}) "
                    f"and by {second} ({who[1]})"
                )
            seen[key] = rule.endpoint


# --- per request --------------------------------------------------------------------


def _same_origin(origin: str) -> bool:
    """The page was served by this server (host and port match; the scheme may differ
    behind a TLS proxy)."""
    try:
        return urlsplit(origin).netloc.lower() == request.host.lower()
    except ValueError:
        return False


def _allowed_origin(seccam: Seccam, origin: str) -> bool:
    """Same origin always; ``null`` never; the login only from the same origin, so no
    other page can try passwords and read the token; else ``Api.cors_origins``."""
    if origin == "null":
        return False
    if _same_origin(origin):
        return True
    if request.path == LOGIN_PATH:
        return False
    origins = seccam.settings.value("Api", "cors_origins", [])
    if origin in origins:
        return True
    # A wildcard is only honoured while the token guard is on: bearer tokens are not
    # sent by browsers on their own, so a foreign page cannot act without one.
    return "*" in origins and seccam.auth.enabled


def _raw_header(name: bytes) -> str | None:
    """A request header straight from the ASGI scope (``name`` in lower case). For the
    headers most requests lack (``Origin``, ``Content-Type``): werkzeug's lookup of a
    missing header raises and catches an exception, on every request."""
    for key, value in request.scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _guard() -> Response | None:
    seccam = seccam_of(current_app)
    method = request.method
    if method not in SAFE_METHODS or request.path == LOGIN_PATH:
        origin = _raw_header(b"origin")
        if origin and not _allowed_origin(seccam, origin):
            return _json_error(403, "this origin is not allowed (Api.cors_origins)")
    if method == "OPTIONS":
        return None  # automatic responses only: no view runs for OPTIONS
    if request.path in EXEMPT_PATHS:
        return None
    if not seccam.auth.enabled:
        return _failed_owner(seccam)
    if not seccam.auth.token_valid(request_token()) and not _signed_link(seccam):
        return _json_error(401, "Unauthorized")
    return _failed_owner(seccam)


def _signed_link(seccam: Seccam) -> bool:
    """A live signed link to one media file (see :mod:`seccam_core.media_links`)."""
    if not linkable(request.path):
        return False
    return seccam.auth.links.valid(request.method, request.path,
                                   list(request.args.items(multi=True)))


def _failed_owner(seccam: Seccam) -> Response | None:
    """A 503 for the routes of a plugin that failed after they were registered."""
    if not seccam.plugins.failed_names or request.blueprint is None:
        return None
    owner = current_app.extensions.get("seccam_route_owners", {}).get(request.blueprint)
    if owner in seccam.plugins.failed_names:
        return _json_error(503, f"plugin {owner} failed at startup: see GET /plugins")
    return None


async def _refuse_unencodable_strings() -> None:
    """Query and path strings, and a JSON body if any, checked once for every route.

    The common request, a GET with no query and no body, skips the parsing: werkzeug's
    header lookup of a missing ``Content-Type`` alone costs an exception per request."""
    if request.query_string or request.view_args:
        check_request_strings(request.args, request.view_args)
    if _raw_header(b"content-type") is None:
        return
    if request.mimetype == "application/json" and (await request.get_data()).strip():
        await parsed_json_body()


async def _finish_response(response: Response) -> Response:
    origin = _raw_header(b"origin")
    if origin and _allowed_origin(seccam_of(current_app), origin):
        headers = response.headers
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            headers["Access-Control-Allow-Methods"] = headers.get("Allow", "GET, POST")
            headers["Access-Control-Max-Age"] = "600"
    return response


SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))
NO_STORE = (b"cache-control", b"no-store")


class EveryAnswer:
    """ASGI middleware around the Quart app: the fixed security headers (and
    ``Cache-Control: no-store`` unless the view set one) on every answer, errors
    included, and its access-log line. Done on the raw ASGI message, which costs a
    fraction of werkzeug's header objects in an ``after_request`` hook."""

    def __init__(self, asgi_app: Any) -> None:
        self.asgi_app = asgi_app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.asgi_app(scope, receive, send)
            return

        async def answer(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
                client = scope.get("client")
                # Only the path is logged: the query string may carry ?token=.
                log_access(scope["method"], scope["path"], message["status"],
                           client[0] if client else None)
            await send(message)

        await self.asgi_app(scope, receive, answer)


# --- errors ---------------------------------------------------------------------------


def _json_error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


async def _api_error(error: ApiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


async def _engine_error(error: EngineError) -> Response:
    response = jsonify(error.body())
    response.status_code = engine_status(error)
    return response


async def _http_error(error: HTTPException) -> Response:
    response = _json_error(error.code or 500, error.description or error.name)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


async def _unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _json_error(500, "internal error: see the server log")


def route_table(app: Quart) -> dict[str, set[str]]:
    """``{rule: methods}`` of the real app, HEAD and OPTIONS left out (tests, OpenAPI)."""
    table: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        table[rule.rule] |= set(rule.methods or ()) - IGNORED_METHODS
    return dict(table)
