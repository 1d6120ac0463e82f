"""The token guard, checked against every route the real app serves."""

import re

import pytest
from plugins_for_tests import EveryHookPlugin

from seccam_core.app import route_table
from seccam_core.auth import EXEMPT_PATHS

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def concrete(rule: str) -> str:
    """A request path for a rule: converters filled with plausible values."""
    return CONVERTER.sub(lambda m: "1" if m.group(1) in ("int", "float") else "x", rule)


@pytest.fixture
async def app_with_plugin(seccam_make_app):
    app = seccam_make_app(EveryHookPlugin())
    async with app.test_app() as test_app:
        yield app, test_app


async def test_every_route_needs_the_token(app_with_plugin):
    app, test_app = app_with_plugin
    table = route_table(app)
    assert "/every-hook/ping" in table, "plugin routes are part of the walk"
    client = test_app.test_client()
    checked = 0
    for rule, methods in table.items():
        path = concrete(rule)
        for method in sorted(methods):
            if path in EXEMPT_PATHS:
                continue
            for token in (None, "wrong-token", "tökén"):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await client.open(path, method=method, headers=headers)
                assert response.status_code == 401, (method, path, token)
                assert await response.get_json() == {"error": "Unauthorized"}
            checked += 1
    assert checked >= 10


async def test_head_is_guarded_like_get(app_with_plugin):
    """An unauthenticated HEAD must not run the GET view (the original's S4)."""
    _, test_app = app_with_plugin
    response = await test_app.test_client().head("/settings")
    assert response.status_code == 401


async def test_routes_answer_with_the_token(app_with_plugin):
    app, test_app = app_with_plugin
    auth = app.extensions["seccam"].auth
    client = test_app.test_client()
    for rule, methods in route_table(app).items():
        if rule == "/events":
            continue  # a stream: covered over HTTP in test_events
        path = concrete(rule)
        for method in sorted(methods):
            token = auth.token  # /auth/regenerate replaces it along the way
            response = await client.open(
                path, method=method, headers={"Authorization": f"Bearer {token}"},
                query_string={"token": token} if method == "GET" else None,
            )
            assert response.status_code != 401, (method, path)
            assert response.status_code < 500, (method, path, await response.get_data())


async def test_token_in_query_string(seccam_client):
    token = seccam_client.seccam.auth.token
    response = await seccam_client.get(f"/settings?token={token}", token=None)
    assert response.status_code == 200


async def test_options_preflight_runs_no_view(seccam_client):
    await seccam_client.post("/settings",
                             json={"Api": {"cors_origins": ["http://dashboard.local:3000"]}})
    response = await seccam_client.request(
        "OPTIONS", "/settings", token=None,
        headers={"Origin": "http://dashboard.local:3000",
                 "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://dashboard.local:3000"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert await response.get_data() == b""


def test_no_route_defines_its_own_options(seccam_make_app):
    """Automatic OPTIONS responses only: a view for OPTIONS would bypass the guard."""
    app = seccam_make_app()
    for rule in app.url_map.iter_rules():
        assert "OPTIONS" not in (rule.methods or set()) or rule.provide_automatic_options
