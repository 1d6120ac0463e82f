"""JSON Schema validation as seccam applies it, for request bodies and settings alike.

Two rules differ from ``jsonschema``'s defaults, so a schema means what it says:

* ``pattern`` follows ECMA-262, as JSON Schema specifies: ``$`` matches only at the end
  of the text. Python's ``$`` also matches before a final newline, so
  ``"testpattern\\n"`` passed ``^testpattern$`` and the camera restarted forever.
* ``integer`` means an integer: ``22.0`` is refused, never stored for a pin number.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
from jsonschema import validators


def ecma_pattern(pattern: str) -> str:
    """``pattern`` with each ``$`` anchor (outside classes, unescaped) made ``\\Z``."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """The compiled ECMA-like form of a schema pattern (cached)."""
    return re.compile(ecma_pattern(pattern))


PATTERN_SHOWN = 60
"""A longer pattern is not quoted in a 400: a regex of 200 characters helps nobody."""


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
        if len(pattern) <= PATTERN_SHOWN:
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")
        else:
            yield jsonschema.ValidationError(
                f"{instance!r} is not in the form this field takes (see its description)")


def _strict_integer(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


Validator = validators.extend(
    jsonschema.Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", _strict_integer),
)
"""Draft 2020-12 with ECMA ``$`` in patterns and integers that are ints."""


def first_error(schema: Mapping[str, Any], value: Any) -> jsonschema.ValidationError | None:
    """The most relevant validation error of ``value``, or ``None`` when it is valid."""
    return jsonschema.exceptions.best_match(Validator(schema).iter_errors(value))


QUOTE_LIMIT = 60
"""Longer values are not echoed whole in a 400: a 5,000-character name is quoted by
its start and its length."""


def brief_message(error: jsonschema.ValidationError) -> str:
    """The validator's message, with a long value quoted by its start and length."""
    message, instance = error.message, error.instance
    quoted = repr(instance)
    if len(quoted) <= QUOTE_LIMIT or quoted not in message:
        return message
    length = len(instance) if isinstance(instance, str) else len(quoted)
    return message.replace(quoted, f"{quoted[:QUOTE_LIMIT - 20]}… ({length} characters)")


def with_field_order(schema: Any) -> Any:
    """A copy of ``schema`` with ``x-order``, each object's fields in their owner's order:
    a JSON answer sorts keys, and a form should not."""
    if isinstance(schema, Mapping):
        result = {key: with_field_order(value) for key, value in schema.items()}
        if isinstance(schema.get("properties"), Mapping):
            result["x-order"] = list(schema["properties"])
        return result
    if isinstance(schema, list):
        return [with_field_order(item) for item in schema]
    return schema
