"""The JSON values seccam accepts: finite numbers, encodable strings, bounded nesting.

Python's ``json`` module reads ``NaN``, ``Infinity`` and ``1e999`` as floats that pass
every minimum/maximum check, keeps lone surrogates (``"\\ud800"``) that no file name,
log or answer can encode, and recurses without limit. Every JSON body and the stored
settings document are read through :func:`loads`, so such values are refused once,
where they enter, instead of failing later wherever they are used.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
"""Objects and arrays nested deeper than this are refused (no seccam body needs 5)."""


class JsonValueError(ValueError):
    """A JSON text or value seccam refuses; the message names where (``a.b[2]``)."""


def _refuse_constant(name: str) -> Any:
    raise JsonValueError(f"{name} is not a number seccam accepts (only finite numbers)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonValueError(f"{text} is out of range (only finite numbers)")
    return value


def _where(path: list[str]) -> str:
    where = "".join(path).lstrip(".") or "the body"
    return where if len(where) <= 80 else "..." + where[-77:]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def value_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` (already parsed) is not acceptable, naming the field; ``None`` if it is.

    Iterative, so a deeply nested value cannot exhaust the stack while it is checked.
    """
    stack: list[tuple[Any, list[str], int]] = [(value, [], 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return f"{_where(path)}: the text is not valid Unicode (a lone surrogate)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{_where(path)}: {item} is not a finite number"
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                return f"{_where(path)}: nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str) or not _encodable(key):
                        return (f"{_where(path)}: a field name is not valid Unicode "
                                "(a lone surrogate)")
                    stack.append((child, [*path, f".{key}"], depth + 1))
            else:
                stack.extend((child, [*path, f"[{index}]"], depth + 1)
                             for index, child in enumerate(item))
    return None


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses non-finite numbers, lone surrogates and deep nesting.

    Raises :class:`JsonValueError` (a ``ValueError``) with a message for the client.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise JsonValueError(f"the body is nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError as exc:
        raise JsonValueError(f"the body is not UTF-8: {exc.reason}") from None
    except JsonValueError:
        raise
    except ValueError as exc:
        raise JsonValueError(f"not valid JSON: {exc}") from None
    problem = value_problem(value, max_depth=max_depth)
    if problem is not None:
        raise JsonValueError(problem)
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that never writes ``NaN``/``Infinity`` (a ``ValueError`` instead)."""
    return json.dumps(value, allow_nan=False, **options)
