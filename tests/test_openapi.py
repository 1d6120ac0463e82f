"""The OpenAPI document is built from the real routes, so it cannot drift."""

from openapi_spec_validator import validate
from plugins_for_tests import EveryHookPlugin

from seccam_core.app import route_table
from seccam_core.auth import EXEMPT_PATHS
from seccam_core.openapi import build_openapi, render_markdown


def test_openapi_is_served_without_a_token_and_validates(seccam_live_server):
    server = seccam_live_server(EveryHookPlugin())
    spec = server.client(token=None).get("/openapi.json").json()
    validate(spec)
    assert "/every-hook/item/{item_id}" in spec["paths"], "plugin routes are described"
    parameter = spec["paths"]["/every-hook/item/{item_id}"]["post"]["parameters"][0]
    assert parameter == {"name": "item_id", "in": "path", "required": True,
                         "schema": {"type": "integer"}}


async def test_every_route_is_described(seccam_make_app):
    app = seccam_make_app(EveryHookPlugin())
    async with app.test_app():
        spec = build_openapi(app)
        documented = {
            (path, method.upper())
            for path, operations in spec["paths"].items() for method in operations
        }
        for rule, methods in route_table(app).items():
            path = rule.replace("<int:item_id>", "{item_id}")
            for method in methods:
                assert (path, method) in documented
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                assert operation["summary"], f"{method.upper()} {path} has no docstring"
                open_route = path in EXEMPT_PATHS
                assert (operation.get("security") == []) == open_route


async def test_validated_bodies_are_in_the_spec(seccam_make_app):
    app = seccam_make_app()
    async with app.test_app():
        spec = build_openapi(app)
    body = spec["paths"]["/auth/set-password"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] and schema["required"] == ["current", "new"]
    markdown = render_markdown(spec)
    assert "## `POST /auth/set-password`" in markdown
    assert "| `current` | string | yes |" in markdown
