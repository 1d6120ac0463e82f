"""The OpenAPI 3.1 document, built from the running app's route table.

Nothing here is maintained by hand: paths and methods come from the URL map, summaries
and descriptions from the views' docstrings, request bodies and query parameters from
the JSON Schemas the views validate with (``api/validation.py``), and each sensor
type's calibration schema from the sensor registry. ``docs/api.md`` is rendered from
the same document (``seccam api-docs``).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from quart import Quart

from seccam_core import __version__
from seccam_core.app import IGNORED_METHODS, seccam_of
from seccam_core.auth import EXEMPT_PATHS
from seccam_core.media_links import LINKABLE_PATHS, LIVE_SEGMENT_RULE

CONVERTER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}
SECURITY: list[dict[str, list[str]]] = [{"bearerToken": []}, {"queryToken": []}]
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "what is wrong, field first"}},
    "required": ["error"],
}


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for match in CONVERTER.finditer(rule):
        parameters.append({
            "name": match.group("name"), "in": "path", "required": True,
            "schema": CONVERTER_TYPES.get(match.group("converter") or "", {"type": "string"}),
        })
    return CONVERTER.sub(lambda m: "{" + m.group("name") + "}", rule), parameters


def _docstring(view: Any) -> tuple[str, str]:
    doc = inspect.getdoc(view) or ""
    summary, _, description = doc.partition("\n")
    return summary.strip(), description.strip()


def _resolve(schema: Any, app: Quart) -> Any:
    """A schema may be a callable of the ``Seccam`` facade (e.g. one built from plugins)."""
    return schema(seccam_of(app)) if callable(schema) else schema


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": spec,
         **({"description": spec["description"]} if "description" in spec else {})}
        for name, spec in schema.get("properties", {}).items()
    ]


def _responses(declared: dict[int, dict[str, Any]], secured: bool, app: Quart) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, spec in sorted(declared.items()):
        content_type = spec["content_type"]
        body_schema = _resolve(spec["schema"], app)
        if body_schema is None and content_type != "application/json":
            body_schema = {"type": "string", "format": "binary"}
        elif body_schema is None:
            body_schema = {"$ref": "#/components/schemas/Error"} if status >= 400 else {}
        responses[str(status)] = {
            "description": spec["description"] or "OK",
            "content": {content_type: {"schema": body_schema}},
        }
        if spec.get("headers"):
            responses[str(status)]["headers"] = {
                name: {"description": meaning, "schema": {"type": "string"}}
                for name, meaning in spec["headers"].items()
            }
    if not any(200 <= int(status) < 300 for status in responses):
        responses["200"] = {"description": "OK",
                            "content": {"application/json": {"schema": {}}}}
    if secured:
        responses.setdefault("401", {
            "description": "no valid token",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        })
    responses = dict(sorted(responses.items()))
    responses["default"] = {
        "description": "an error, as JSON naming the problem",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return responses


def build_openapi(app: Quart) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route this app really serves."""
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        schemas = getattr(view, "seccam_schemas", {})
        path, path_parameters = openapi_path(rule.rule)
        secured = rule.rule not in EXEMPT_PATHS
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            summary, description = _docstring(view)
            operation_id = f"{rule.endpoint}.{method.lower()}"
            if operation_id in operation_ids:  # a second spelling of the same endpoint
                operation_id += "." + re.sub(r"\W+", "_", path).strip("_")
            operation_ids.add(operation_id)
            operation: dict[str, Any] = {
                "operationId": operation_id,
                "summary": summary,
                "tags": [rule.endpoint.split(".", 1)[0]],
                "parameters": path_parameters + _query_parameters(
                    _resolve(schemas.get("query", {}), app)),
                "responses": _responses(schemas.get("responses", {}), secured, app),
            }
            if description:
                operation["description"] = description
            if "body" in schemas:
                operation["requestBody"] = {
                    "required": bool(_resolve(schemas["body"], app).get("required")),
                    "content": {"application/json": {"schema": _resolve(schemas["body"], app)}},
                }
            if not secured:
                operation["security"] = []
            elif (rule.rule in LINKABLE_PATHS or rule.rule == LIVE_SEGMENT_RULE) \
                    and method in ("GET", "HEAD"):
                operation["security"] = [*SECURITY, {"mediaLink": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "seccam",
            "version": __version__,
            "description": "The seccam API: JSON in and out, bearer token, live events "
                           "over Server-Sent Events at /events.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "the API token (`seccam token`)"},
                "queryToken": {"type": "apiKey", "in": "query", "name": "token",
                               "description": "the token as `?token=` (for EventSource)"},
                "mediaLink": {"type": "apiKey", "in": "query", "name": "signature",
                              "description": "a signed link from `POST /media/link`: "
                              "`expires` and `signature` in the query, for one file"},
            },
        },
        "security": SECURITY,
    }


def render_markdown(spec: dict[str, Any]) -> str:
    """``docs/api.md``: every operation with its parameters and body fields."""
    lines = [
        "# The seccam HTTP API",
        "",
        "Generated from the running app by `seccam api-docs` (all plugins installed); do",
        "not edit by hand. The same document is served as OpenAPI at `/openapi.json`.",
        "Every operation needs the token (`Authorization: Bearer <token>` or `?token=`)",
        "unless marked *no token*. Errors are JSON: `{\"error\": \"<field>: <problem>\"}`.",
        "",
    ]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            open_marker = " *(no token)*" if operation.get("security") == [] else ""
            lines.append(f"## `{method.upper()} {path}`{open_marker}")
            lines.append("")
            lines.append(operation["summary"] or "(undocumented)")
            if operation.get("description"):
                lines += ["", operation["description"]]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["", "| parameter | in | type | required |", "|---|---|---|---|"]
                for parameter in parameters:
                    kind = parameter["schema"].get("type", "any")
                    lines.append(f"| `{parameter['name']}` | {parameter['in']} | {kind} | "
                                 f"{'yes' if parameter['required'] else 'no'} |")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                lines += _body_lines(body["schema"])
            lines += _response_lines(operation["responses"])
            lines += _answer_lines(operation["responses"])
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _body_lines(schema: dict[str, Any]) -> list[str]:
    """The body's fields; then the fields of each object field (e.g. settings sections)."""
    lines = _field_table(schema, "body field")
    for name, field in schema.get("properties", {}).items():
        if field.get("properties"):
            lines += ["", f"`{name}` fields:", *_field_table(field, "field")]
    return lines + _conditional_fields(schema)


def _field_table(schema: dict[str, Any], header: str) -> list[str]:
    """``| field | type | required | notes |`` for an object schema; nothing for others."""
    properties = schema.get("properties", {})
    if not properties:
        return []
    required = set(schema.get("required", []))
    lines = ["", f"| {header} | type | required | notes |", "|---|---|---|---|"]
    for name, field in properties.items():
        kind = field.get("type", "any")
        if isinstance(kind, list):
            kind = " or ".join(kind)
        lines.append(f"| `{name}` | {kind} | {'yes' if name in required else 'no'} | "
                     f"{_field_notes(field)} |")
    return lines


def _conditional_fields(schema: dict[str, Any]) -> list[str]:
    """``if type is X then calibration is ...``: one table per case (e.g. per sensor type)."""
    lines = []
    for case in schema.get("allOf", []):
        condition = case.get("if", {}).get("properties", {})
        then = case.get("then", {}).get("properties", {})
        if len(condition) != 1 or not then:
            continue
        (key, match), = condition.items()
        for field, field_schema in then.items():
            properties = field_schema.get("properties", {})
            lines += ["", f"`{field}` when `{key}` is `{match.get('const')}`:"]
            if not properties:
                lines += ["", "(no fields)"]
                continue
            lines += ["", "| field | type | notes |", "|---|---|---|"]
            for name, spec in properties.items():
                lines.append(f"| `{name}` | {spec.get('type', 'any')} | {_field_notes(spec)} |")
    return lines


def _answer_lines(responses: dict[str, Any]) -> list[str]:
    """The fields of the JSON success answer (of each item, for a list)."""
    for status, response in responses.items():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if not status.startswith("2") or not schema:
            continue
        if schema.get("type") == "array":
            return _field_table(schema.get("items", {}), f"answer item field ({status})")
        return _field_table(schema, f"answer field ({status})")
    return []


def _response_lines(responses: dict[str, Any]) -> list[str]:
    lines = ["", "| status | content | meaning |", "|---|---|---|"]
    for status, response in responses.items():
        if status == "default":
            continue
        content = ", ".join(f"`{media}`" for media in response.get("content", {}))
        meaning = response["description"] + "".join(
            f"; `{name}`: {header['description']}"
            for name, header in response.get("headers", {}).items())
        lines.append(f"| {status} | {content} | {meaning} |")
    return lines


def _field_notes(field: dict[str, Any]) -> str:
    notes = []
    if "description" in field:
        notes.append(str(field["description"]).rstrip("."))
    if "enum" in field:
        notes.append("one of " + ", ".join(f"`{v}`" for v in field["enum"]))
    if "minimum" in field or "maximum" in field:
        notes.append(f"{field.get('minimum', '')}..{field.get('maximum', '')}")
    if "default" in field:
        notes.append(f"default `{field['default']}`")
    return "; ".join(str(n) for n in notes).replace("|", "\\|")
