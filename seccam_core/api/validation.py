"""Request validation with JSON Schema: the same schemas document the API.

``@json_body(schema)`` and ``@query_args(schema)`` validate before the view runs and
pass the result as the ``body`` / ``query`` keyword argument. The schema is kept on
the view (``view.seccam_schemas``) so the OpenAPI document is built from what the code
really validates. A failure is a 400 naming the field; nothing else runs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import jsonschema
from quart import g, request

from seccam_core import json_values
from seccam_core.api.context import current_seccam
from seccam_core.errors import ApiError, BadRequest
from seccam_core.json_schema import Validator, brief_message

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_VALIDATORS: dict[int, Any] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    key = id(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = Validator(schema)
    return _VALIDATORS[key]


def validation_message(error: jsonschema.ValidationError) -> str:
    """``gpio: 99 is greater than the maximum of 27``: the field first, then the problem."""
    path = ".".join(str(part) for part in error.absolute_path)
    if isinstance(error.schema, Mapping) and error.schema.get("writeOnly"):
        # A password: name the broken rule, never quote the value.
        return f"{path or 'the body'}: does not meet {error.validator} {error.validator_value!r}"
    message = brief_message(error)
    if error.validator == "required" or not path:
        return message
    return f"{path}: {message}"



def check(schema: Mapping[str, Any], value: Any) -> None:
    """Validate ``value``; raise a 400 naming the first offending field."""
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(value))
    if error is not None:
        raise BadRequest(validation_message(error))


async def read_json_object() -> dict[str, Any]:
    """The request body as a JSON object (``{}`` when empty), or a 400/415.

    Every JSON body is read here: non-finite numbers, lone surrogates and nesting deeper
    than :data:`seccam_core.json_values.MAX_DEPTH` are refused with a 400.
    """
    raw = await request.get_data()
    if not raw or not raw.strip():
        return {}
    if request.mimetype != "application/json":
        raise ApiError(415, "the request body must be JSON (Content-Type: application/json)")
    body = await parsed_json_body()
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


async def parsed_json_body() -> Any:
    """A JSON body parsed once per request by :func:`seccam_core.json_values.loads`.

    The app calls it for every request with a JSON body, whether its view reads one or
    not, so every operation refuses the same values with the same 400.
    """
    if "seccam_body" not in g:
        try:
            g.seccam_body = json_values.loads(await request.get_data())
        except json_values.JsonValueError as exc:
            raise BadRequest(f"the request body is not acceptable JSON: {exc}") from None
    return g.seccam_body


def _remember(view: Any, kind: str, schema: Any) -> None:
    schemas = dict(getattr(view, "seccam_schemas", {}))
    schemas[kind] = schema
    view.seccam_schemas = schemas


NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}


def message_answer(
    *, always: tuple[str, ...] = (), **fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The schema of an answer ``{"message": "..."}`` with these ``fields`` too.

    The fields named in ``always`` are in every answer; the others may be left out.
    """
    return {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "what was done, for people"},
            **fields,
        },
        "required": ["message", *always],
    }


def responds(
    status: int, *, schema: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    content_type: str = "application/json", description: str = "",
    headers: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Document a response of the view (status, media type, JSON Schema) for OpenAPI.

    ``schema`` may be a callable of the ``Seccam`` facade, like :func:`json_body`'s.
    ``headers`` names the headers the answer carries, each with what it means.
    """

    def decorate(view: F) -> F:
        responses = dict(getattr(view, "seccam_schemas", {}).get("responses", {}))
        responses[status] = {"schema": schema, "content_type": content_type,
                             "description": description, "headers": dict(headers or {})}
        _remember(view, "responses", responses)
        return view

    return decorate


def described_body(
    schema: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]],
) -> Callable[[F], F]:
    """Document the JSON body for OpenAPI when the view validates it itself.

    For bodies whose rules only the owner can check, such as a settings update, which is
    validated section by section after merging into what is stored.
    """

    def decorate(view: F) -> F:
        _remember(view, "body", schema)
        return view

    return decorate


def json_body(
    schema: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]],
) -> Callable[[F], F]:
    """Validate the JSON body against ``schema`` and pass it as ``body``.

    ``schema`` may be a callable of the ``Seccam`` facade, for a schema that depends on
    the installed plugins (e.g. each sensor type's calibration); it is built per request.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            body = await read_json_object()
            if callable(schema):
                built = schema(current_seccam())
                error = jsonschema.exceptions.best_match(
                    Validator(built).iter_errors(body))
                if error is not None:
                    raise BadRequest(validation_message(error))
            else:
                check(schema, body)
            return await view(*args, body=body, **kwargs)

        _remember(wrapper, "body", schema)
        return wrapper  # type: ignore[return-value]

    return decorate


def _coerce(value: str, spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value  # left for the schema to reject with a clear message
    if kind == "boolean":
        return value.lower() in {"1", "true", "yes", "on"}
    return value


def query_args(schema: Mapping[str, Any]) -> Callable[[F], F]:
    """Validate query parameters (coerced by the schema's types) and pass them as ``query``."""
    properties = schema.get("properties", {})

    def decorate(view: F) -> F:
        @functools.wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            query = {
                key: _coerce(value, properties.get(key, {}))
                for key, value in request.args.items()
                if key in properties
            }
            check(schema, query)
            return await view(*args, query=query, **kwargs)

        _remember(wrapper, "query", schema)
        return wrapper  # type: ignore[return-value]

    return decorate


def check_request_strings(args: Any, view_args: Mapping[str, Any] | None) -> None:
    """400 when a decoded query or path string cannot be encoded (a lone surrogate) or
    holds a NUL: no file name, log line or answer could carry it.
    """
    fields = [("a query parameter's name", key) for key in args]
    fields += list(args.items(multi=True))  # named by the parameter, as every 400 is
    fields += list((view_args or {}).items())
    for where, value in fields:
        if not isinstance(value, str):
            continue
        if "\x00" in value or json_values.value_problem(value) is not None:
            raise BadRequest(f"{where}: the text holds a NUL or is not valid Unicode")
