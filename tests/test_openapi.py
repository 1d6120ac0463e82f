"""The OpenAPI document is built from the real routes, so it cannot drift."""


import pytest
from openapi_spec_validator import validate
from plugins_for_tests import EveryHookPlugin

from seccam_core.app import route_table
from seccam_core.app import seccam_of as seccam_of_app
from seccam_core.auth import EXEMPT_PATHS
from seccam_core.openapi import build_openapi, openapi_path, render_markdown


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
            path, _ = openapi_path(rule)
            for method in methods:
                assert (path, method) in documented
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                assert operation["summary"], f"{method.upper()} {path} has no docstring"
                open_route = path in EXEMPT_PATHS
                assert (operation.get("security") == []) == open_route


async def test_validated_bodies_are_in_the_spec(seccam_make_app):
    app = seccam_make_app(media=True)
    async with app.test_app():
        spec = build_openapi(app)
    body = spec["paths"]["/auth/set-password"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] and schema["required"] == ["current", "new"]
    markdown = render_markdown(spec)
    assert "## `POST /auth/set-password`" in markdown
    assert "| `current` | string | yes |" in markdown


def _content(spec, path, method, status):
    return spec["paths"][path][method]["responses"][status]["content"]


async def test_non_json_answers_and_contract_errors_are_documented(seccam_make_app):
    app = seccam_make_app(media=True)
    async with app.test_app():
        spec = build_openapi(app)
    assert "video/mp4" in _content(spec, "/stream_video", "get", "206")
    assert "video/mp4" in _content(spec, "/timelapse/video", "get", "200")
    assert "image/jpeg" in _content(spec, "/snapshot_image", "get", "200")
    assert "image/jpeg" in _content(spec, "/sprite/{name}", "get", "200")
    assert "text/plain" in _content(spec, "/logs/script/{category}/{filename}", "get", "200")
    assert "text/event-stream" in _content(spec, "/events", "get", "200")
    failed_snapshot = _content(spec, "/snapshot", "post", "500")["application/json"]
    assert failed_snapshot["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "429" in spec["paths"]["/auth/validate"]["post"]["responses"]
    responses = spec["paths"]
    assert "Retry-After" in responses["/auth/validate"]["post"]["responses"]["429"]["headers"]
    assert "Retry-After" in responses["/events"]["get"]["responses"]["503"]["headers"]
    assert "X-Total-Count" in responses["/archive"]["get"]["responses"]["200"]["headers"]
    assert "Content-Range" in responses["/stream_video"]["get"]["responses"]["206"]["headers"]


async def test_each_sensor_types_calibration_is_inlined_in_configure(seccam_make_app):
    import sensor_doubles

    app = seccam_make_app(sensor_doubles)
    async with app.test_app():
        spec = build_openapi(app)
    schema = spec["paths"]["/sensor/configure"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    by_type = {case["if"]["properties"]["type"]["const"]: case["then"]["properties"]
               for case in schema["allOf"]}
    door = by_type["test_door"]["calibration"]
    assert door["properties"] == sensor_doubles.DOOR_SCHEMA["properties"]
    assert "test_pinless" in by_type
    markdown = render_markdown(spec)
    assert "`calibration` when `type` is `test_door`:" in markdown


async def test_settings_bodies_are_described_by_the_sections(seccam_make_app):
    """A client generator sees every section's fields, and none it may not send."""
    import jsonschema

    app = seccam_make_app(media=True)
    async with app.test_app():
        spec = build_openapi(app)
        document = seccam_of_app(app).settings.public_document()
    read = spec["paths"]["/settings"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.validate(document, read)
    assert "token" not in read["properties"]["Auth"]["properties"]

    update = spec["paths"]["/settings"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert set(update["properties"]) == set(document)
    assert "restart_command" not in update["properties"]["System"]["properties"]
    assert update["properties"]["Api"]["properties"]["cors_origins"]["type"] == "array"
    jsonschema.validate({"Api": {"cors_origins": ["http://a"]}}, update)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Nope": {}}, update)
    markdown = render_markdown(spec)
    assert "| `Camera` | object | no |" in markdown
