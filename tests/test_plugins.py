"""The plugin contract: loading, isolation of broken plugins, duplicates, the hook manual."""

import inspect
import textwrap

import pytest
from plugins_for_tests import EveryHookPlugin
from quart.testing.app import LifespanError

from seccam_core import hookimpl, hookspecs
from seccam_core.plugins import load_plugins
from seccam_core.sensing.types import SensorType


def install_fake_distribution(site, name, module_source):
    """A real distribution on sys.path: dist-info with an entry point, and its module."""
    (site / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"seccam_{name}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: seccam-{name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[seccam]\n{name} = {name}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_plugin_whose_import_raises_is_listed_and_the_server_serves(site, seccam_live_server):
    install_fake_distribution(site, "broken", "raise RuntimeError('no such sensor chip')\n")
    install_fake_distribution(site, "fine", """
        from seccam_core import hookimpl
        @hookimpl
        def seccam_startup(seccam):
            pass
    """)
    server = seccam_live_server(entry_points=True)
    client = server.client()
    plugins = {p["name"]: p for p in client.get("/plugins").json()["plugins"]}
    assert "no such sensor chip" in plugins["broken"]["error"]
    assert plugins["broken"]["distribution"] == "seccam-broken"
    assert plugins["fine"] == {
        "name": "fine", "distribution": "seccam-fine", "version": "1.2.3", "builtin": False,
        "hooks": ["seccam_startup"], "error": None, "disabled": False,
    }
    assert client.get("/settings").status_code == 200


def test_misspelt_hook_is_an_error_for_that_plugin_only():
    class Typo:
        @hookimpl
        def seccam_sensor_typse(self):
            return []

    host = load_plugins(extra=[Typo()], entry_points_enabled=False)
    assert "seccam_sensor_typse" in host.infos["Typo"].error
    assert host.infos["builtin.core"].error is None


def test_disabled_plugins_are_listed_but_not_loaded(site):
    install_fake_distribution(site, "blocked", "raise SystemExit('must not be imported')\n")
    host = load_plugins(disabled=frozenset({"blocked"}))
    assert host.infos["blocked"].disabled and host.infos["blocked"].error is None


def test_safe_mode_loads_no_third_party_plugin(site):
    install_fake_distribution(site, "extra", "")
    host = load_plugins(safe_mode=True)
    assert "extra" not in host.infos and "builtin.core" in host.infos


def sensor_plugin(plugin_name):
    class Plugin:
        seccam_plugin_name = plugin_name

        @hookimpl
        def seccam_sensor_types(self):
            return [SensorType(name="reed_switch", label="x", factory=lambda c, e: None)]

    return Plugin()


async def test_duplicate_names_stop_startup_naming_both_plugins(seccam_make_app):
    app = seccam_make_app(sensor_plugin("first-reed"), sensor_plugin("second-reed"))
    with pytest.raises(LifespanError, match=r"reed_switch.*first-reed.*second-reed"):
        async with app.test_app():
            pass


async def test_plugin_raising_in_a_hook_is_left_out(seccam_make_app):
    class Faulty:
        @hookimpl
        def seccam_sensor_types(self):
            raise ValueError("calibration table missing")

    app = seccam_make_app(Faulty(), EveryHookPlugin())
    async with app.test_app() as test_app:
        seccam = app.extensions["seccam"]
        assert "calibration table missing" in seccam.plugins.infos["Faulty"].error
        assert "test_nothing" in seccam.sensor_types
        token = seccam.auth.token
        response = await test_app.test_client().get(
            "/every-hook/ping", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200


async def test_plugin_route_colliding_with_a_core_route_is_a_startup_error(seccam_make_app):
    from quart import Blueprint

    class Squatter:
        @hookimpl
        def seccam_register_routes(self, seccam):
            bp = Blueprint("squatter", __name__)

            @bp.get("/settings")
            async def mine():
                return {}

            return [bp]

    app = seccam_make_app(Squatter())
    with pytest.raises(LifespanError, match=r"GET /settings.*Squatter"):
        async with app.test_app():
            pass


def test_every_hook_has_an_author_facing_docstring():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("seccam_")]
    assert len(specs) == 9
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert len(doc.split()) >= 15, f"{spec.__name__} needs a real docstring"


async def test_every_hook_is_called_by_the_core(seccam_make_app):
    plugin = EveryHookPlugin()
    app = seccam_make_app(plugin)
    async with app.test_app():
        seccam = app.extensions["seccam"]
        assert seccam.sensor_types["test_nothing"].label == "Nothing"
        assert "test_noop" in seccam.actions
        assert "test_nobody" in seccam.presence_sources
        assert "test_keep_all" in seccam.storage_policies
        assert "test_metric" in seccam.alert_metrics
        assert seccam.settings.get("TestSection") == {"level": 3}
    hooks = {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("seccam_")}
    assert set(plugin.called) == hooks
    assert plugin.called[-1] == "seccam_shutdown"


async def test_a_plugin_failing_in_any_hook_contributes_nothing(seccam_make_app):
    """The review's ghost contribution: a plugin declared a sensor type, then raised in
    seccam_actions; its sensor type stayed in /sensor/types."""

    class HalfBroken:
        @hookimpl
        def seccam_sensor_types(self):
            return [SensorType(name="ghost", label="Ghost", factory=lambda c, e: None)]

        @hookimpl
        def seccam_actions(self):
            raise RuntimeError("broker address missing")

    app = seccam_make_app(HalfBroken())
    async with app.test_app() as test_app:
        seccam = app.extensions["seccam"]
        assert "broker address missing" in seccam.plugins.infos["HalfBroken"].error
        answer = await (await test_app.test_client().get(
            "/sensor/types", headers={"Authorization": f"Bearer {seccam.auth.token}"}
        )).get_json()
        assert "ghost" not in [t["type"] for t in answer]
        assert "ghost" not in seccam.sensor_types


async def test_a_plugin_failing_at_startup_loses_its_contributions_and_routes(
        seccam_make_app):
    class FailsToStart(EveryHookPlugin):
        seccam_plugin_name = "fails_to_start"

        @hookimpl
        def seccam_startup(self, seccam):
            raise OSError("device busy")

    app = seccam_make_app(FailsToStart())
    async with app.test_app() as test_app:
        seccam = app.extensions["seccam"]
        assert "device busy" in seccam.plugins.infos["fails_to_start"].error
        assert "test_nothing" not in seccam.sensor_types
        assert "test_noop" not in seccam.actions
        response = await test_app.test_client().get(
            "/every-hook/ping", headers={"Authorization": f"Bearer {seccam.auth.token}"})
        assert response.status_code == 503
        assert "fails_to_start" in (await response.get_json())["error"]


def _ordered(name, **marks):
    class Ordered:
        seccam_plugin_name = name

        @hookimpl(**marks)
        def seccam_sensor_types(self):
            return [SensorType(name=name, label=name, factory=lambda c, e: None)]

    return Ordered()


async def test_tryfirst_and_trylast_order_the_contributions(seccam_make_app):
    """Before: contributions were collected in pluggy's stored order, which puts
    ``trylast`` first and ``tryfirst`` last: the opposite of what pluggy promises."""
    app = seccam_make_app(_ordered("late", trylast=True), _ordered("plain_a"),
                          _ordered("early", tryfirst=True), _ordered("plain_b"))
    async with app.test_app():
        names = list(app.extensions["seccam"].sensor_types)
    assert names == ["early", "plain_a", "plain_b", "late"]


@pytest.mark.parametrize("marks", [{"hookwrapper": True}, {"wrapper": True}])
def test_hook_wrappers_are_refused_naming_the_plugin(marks):
    class Wrapper:
        @hookimpl(**marks)
        def seccam_sensor_types(self):
            return (yield)

    host = load_plugins(extra=[Wrapper()], entry_points_enabled=False)
    assert "hook wrapper" in host.infos["Wrapper"].error
    assert not host.pm.is_registered(host.pm.get_plugin("Wrapper"))


def _rewiring_blueprint(kind):
    from quart import Blueprint

    blueprint = Blueprint(f"rewire_{kind}", __name__)

    async def rewrite(response):
        response.set_data(b'{"hijacked": true}')
        return response

    async def ignore(error):
        return {"swallowed": True}

    def grab(state):
        state.app.config["SECRET_KEY"] = "mine"

    if kind == "after_app_request":
        blueprint.after_app_request(rewrite)
    elif kind == "before_app_request":
        blueprint.before_app_request(lambda: None)
    elif kind == "app_errorhandler":
        blueprint.app_errorhandler(404)(ignore)
    elif kind == "record":
        blueprint.record(grab)
    elif kind == "app_url_value_preprocessor":
        blueprint.app_url_value_preprocessor(lambda endpoint, values: None)
    return blueprint


@pytest.mark.parametrize("kind", ["after_app_request", "before_app_request",
                                  "app_errorhandler", "record", "app_url_value_preprocessor"])
async def test_a_plugin_blueprint_cannot_reach_the_app(seccam_make_app, kind):
    """Before: after_app_request on a plugin blueprint rewrote every /settings answer."""

    class Rewirer:
        @hookimpl
        def seccam_register_routes(self, seccam):
            return [_rewiring_blueprint(kind)]

    app = seccam_make_app(Rewirer())
    with pytest.raises(LifespanError, match=r"plugin Rewirer: blueprint 'rewire_.*reaches the app"):
        async with app.test_app():
            pass


async def test_blueprint_level_handlers_are_allowed(seccam_make_app):
    from quart import Blueprint

    class OwnHandlers:
        @hookimpl
        def seccam_register_routes(self, seccam):
            blueprint = Blueprint("own_handlers", __name__)
            blueprint.after_request(lambda response: response)

            @blueprint.get("/own/ping")
            async def ping():
                return {"pong": True}

            return [blueprint]

    app = seccam_make_app(OwnHandlers())
    async with app.test_app() as test_app:
        token = app.extensions["seccam"].auth.token
        response = await test_app.test_client().get(
            "/own/ping", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
