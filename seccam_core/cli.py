"""The ``seccam`` command line: ``serve``, ``token``, ``password``, ``plugins``, ``doctor``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import getpass
import json
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccam_core import __version__
from seccam_core.auth import AUTH_SECTION, AuthService, password_problem
from seccam_core.runtime import DEFAULT_PORT, Config
from seccam_core.settings import SettingsStore


def _data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None,
        help="settings, media and logs live here (env SECCAM_DATA_DIR, default ./data)",
    )


def _auth_for(data_dir: str | None) -> AuthService:
    config = Config.from_env(data_dir)
    store = SettingsStore(config.data_dir / "settings.json")
    store.register(AUTH_SECTION)
    return AuthService(store)


def settle_startup_objects() -> None:
    """Move everything alive after startup (modules, schemas, the app) out of the
    collector's reach. A full collection otherwise walks those ~50,000 objects every
    time it runs, which on a Pi stops the event loop for tens of milliseconds: the
    tail of every SSE fan-out. Only here, in the server process: the test kit builds
    many apps in one process and must get their garbage back."""
    gc.collect()
    gc.freeze()


def run_server(config: Config, host: str, port: int) -> int:
    """Serve ``config`` until SIGTERM or SIGINT: logging, pin factory, hypercorn."""
    from seccam_core.app import create_app, seccam_of
    from seccam_core.gpio import choose_pin_factory
    from seccam_core.log_setup import configure_logging
    from seccam_core.server import hypercorn_config, serve_bound
    from seccam_core.system.doctor import log_short_form

    app = create_app(config)
    seccam = seccam_of(app)
    listener = configure_logging(config.data_dir, seccam.settings.secret_values)
    choose_pin_factory()
    server = hypercorn_config(host, port)

    checks: set[asyncio.Task[Any]] = set()

    @app.before_serving
    async def doctor() -> None:  # after the app's own start: settings and plugins are in
        settle_startup_objects()
        # Beside serving, not before it: the checks read the disk and the recordings
        # folder, and a camera that answers late helps nobody.
        task = asyncio.create_task(log_short_form(seccam), name="doctor")
        checks.add(task)
        task.add_done_callback(checks.discard)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        async def shutdown_trigger() -> None:
            await stop.wait()
            # Event streams never end on their own: close them so hypercorn's graceful
            # shutdown does not wait its full timeout for them.
            seccam.bus.close_all("server stopping")

        print(f"seccam {__version__} serving on http://{host}:{port} "
              f"(data in {config.data_dir})", flush=True)
        await serve_bound(app, server, shutdown_trigger=shutdown_trigger,
                          limits=config.connection_limits())

    try:
        asyncio.run(run())
    except OSError as exc:
        print(f"seccam: cannot serve on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    finally:
        listener.stop()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    config = Config.from_env(args.data_dir, show_initial_password=True)
    return run_server(config, args.host, args.port)


def cmd_token(args: argparse.Namespace) -> int:
    print(_auth_for(args.data_dir).ensure_token())
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("New dashboard password: ")
        if getpass.getpass("Again: ") != password:
            print("seccam: the passwords differ; nothing changed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem is not None:
        print(f"seccam: {problem}; nothing changed", file=sys.stderr)
        return 1
    _auth_for(args.data_dir).set_password(password)
    print("Password updated")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from seccam_core.plugins import load_plugins

    config = Config.from_env(None)
    host = load_plugins(disabled=config.disabled_plugins, safe_mode=config.safe_mode)
    listing = host.listing()
    if args.json:
        print(json.dumps(listing, indent=2))
        return 0
    for info in listing:
        state = "disabled" if info["disabled"] else ("ERROR" if info["error"] else "ok")
        origin = f"{info['distribution'] or '?'} {info['version'] or ''}".strip()
        print(f"{info['name']:<28} {state:<8} {origin}")
        if info["hooks"]:
            print(f"{'':<28} hooks: {', '.join(info['hooks'])}")
        if info["error"]:
            print(f"{'':<28} error: {info['error']}")
    return 0


def cmd_api_docs(args: argparse.Namespace) -> int:
    from seccam_core.app import build, create_app
    from seccam_core.openapi import build_openapi, render_markdown

    async def describe() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as scratch:
            app = create_app(Config(data_dir=Path(scratch), disabled_plugins=frozenset()))
            await build(app)
            return build_openapi(app)

    spec = asyncio.run(describe())
    print(json.dumps(spec, indent=2) if args.json else render_markdown(spec), end="")
    return 0


def cmd_settings_docs(args: argparse.Namespace) -> int:
    from seccam_core.app import build, create_app
    from seccam_core.settings_docs import defaults_json, sections_markdown

    async def sections() -> Any:
        with tempfile.TemporaryDirectory() as scratch:
            app = create_app(Config(data_dir=Path(scratch), disabled_plugins=frozenset()))
            seccam = await build(app)
            return dict(seccam.settings.sections)

    registered = asyncio.run(sections())
    print(defaults_json(registered) if args.json else sections_markdown(registered), end="")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from seccam_core.app import build, create_app
    from seccam_core.system.doctor import data_folder_check, run_checks, worst

    config = Config.from_env(args.data_dir)

    async def diagnose() -> list[Any]:
        if config.data_dir.is_dir():
            return await run_checks(await build(create_app(config)))
        # Never create the folder being diagnosed: the other checks use the defaults.
        with tempfile.TemporaryDirectory() as scratch:
            seccam = await build(create_app(dataclasses.replace(config, data_dir=Path(scratch))))
            checks = await run_checks(seccam)
        return [data_folder_check(config.data_dir) if c.name == "data_folder" else c
                for c in checks]

    checks = asyncio.run(diagnose())
    verdict = worst(checks)
    if args.json:
        print(json.dumps({"status": verdict, "checks": [c.as_dict() for c in checks]},
                         indent=2))
    else:
        for check in checks:
            print(f"{check.status:<5} {check.name:<12} {check.summary}")
            if check.fix:
                print(f"{'':<18} fix: {check.fix}")
    return 1 if verdict == "fail" else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seccam", description=__doc__)
    parser.add_argument("--version", action="version", version=f"seccam {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 5005)")
    _data_dir_argument(serve)
    serve.set_defaults(func=cmd_serve)

    token = commands.add_parser("token", help="print the API token")
    _data_dir_argument(token)
    token.set_defaults(func=cmd_token)

    password = commands.add_parser("password", help="set the dashboard password (stdin or prompt)")
    _data_dir_argument(password)
    password.set_defaults(func=cmd_password)

    plugins = commands.add_parser("plugins", help="list plugins, versions and load errors")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.set_defaults(func=cmd_plugins)

    api_docs = commands.add_parser(
        "api-docs", help="print the API description (docs/api.md) of the installed plugins")
    api_docs.add_argument("--json", action="store_true", help="the OpenAPI document instead")
    api_docs.set_defaults(func=cmd_api_docs)

    settings_docs = commands.add_parser(
        "settings-docs", help="describe every settings section of the installed plugins "
                              "(settings/README.md)")
    settings_docs.add_argument("--json", action="store_true",
                               help="the default settings document instead (defaults.json)")
    settings_docs.set_defaults(func=cmd_settings_docs)

    doctor = commands.add_parser(
        "doctor", help="check camera, pins, Bluetooth, firewall, disk, clock, folder, limits")
    _data_dir_argument(doctor)
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
