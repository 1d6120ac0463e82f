"""Write-only settings fields: set through ``POST /settings``, never read back.

A field is named by a path inside its section: ``token`` (a field of the section),
``ntfy.token`` (a field of an object), ``endpoints[].secret`` (a field of every item of
a list of objects). When the section is read (``GET /settings``, the export), the field
is replaced by ``<field>_set: true|false``, so a client learns that one is set and never
its value. A write that omits the field keeps the stored one (list items are matched by
their ``url``, else by position); a write of ``""`` or ``null`` clears it. Markers sent
back (a GET document posted as it is) are ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

MARKER_SUFFIX = "_set"
ITEMS = "[]"


def parts_of(path: str) -> list[str]:
    """``endpoints[].secret`` -> ``["endpoints", "[]", "secret"]``."""
    return path.replace(ITEMS, "." + ITEMS).split(".")


def _parents(node: Any, parts: list[str]) -> Iterator[dict[str, Any]]:
    """Every object that holds the path's last field (which may be absent)."""
    if len(parts) == 1:
        if isinstance(node, dict):
            yield node
        return
    head, rest = parts[0], parts[1:]
    if head == ITEMS:
        for item in node if isinstance(node, list) else ():
            yield from _parents(item, rest)
    elif isinstance(node, dict) and head in node:
        yield from _parents(node[head], rest)


def leaf_values(section: Any, paths: Iterable[str]) -> list[str]:
    """Every non-empty write-only value in ``section``, as strings (for redaction)."""
    found: list[str] = []
    for path in paths:
        parts = parts_of(path)
        for parent in _parents(section, parts):
            value = parent.get(parts[-1])
            values = value if isinstance(value, list) else [value]
            found += [str(v) for v in values if v not in (None, "")]
    return found


def redact(section: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of ``section`` with each write-only field replaced by its ``_set`` marker."""
    result = copy.deepcopy(section)
    for path in paths:
        parts = parts_of(path)
        for parent in _parents(result, parts):
            value = parent.pop(parts[-1], None)
            parent[parts[-1] + MARKER_SUFFIX] = bool(value)
    return result


def strip_markers(patch: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of ``patch`` without the ``_set`` markers a read put in."""
    result = copy.deepcopy(patch)
    for path in paths:
        parts = parts_of(path)
        for parent in _parents(result, parts):
            parent.pop(parts[-1] + MARKER_SUFFIX, None)
    return result


def _match(old_items: list[Any], index: int, item: Any) -> Any:
    if isinstance(item, dict) and "url" in item:
        for old in old_items:
            if isinstance(old, dict) and old.get("url") == item["url"]:
                return old
        return None
    return old_items[index] if index < len(old_items) else None


def _restore(old: Any, new: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        if isinstance(new, dict) and isinstance(old, dict) and head not in new and head in old:
            new[head] = copy.deepcopy(old[head])
        return
    if head == ITEMS:
        if isinstance(new, list) and isinstance(old, list):
            for index, item in enumerate(new):
                _restore(_match(old, index, item), item, rest)
    elif isinstance(new, dict) and isinstance(old, dict):
        _restore(old.get(head), new.get(head), rest)


def keep_omitted(old: dict[str, Any], new: dict[str, Any], paths: Iterable[str]) -> None:
    """Put back into ``new`` (in place) each write-only value it omits and ``old`` has."""
    for path in paths:
        _restore(old, new, parts_of(path))


def _schema_parent(schema: dict[str, Any], parts: list[str]) -> Any:
    """The schema node whose ``properties`` hold the field at ``parts`` ({} if none)."""
    node: Any = schema
    for part in parts[:-1]:
        node = node.get("items", {}) if part == ITEMS else node.get("properties", {}).get(
            part, {})
    return node


def readable_schema(schema: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The section's schema as it reads: each write-only field replaced by its marker."""
    result = copy.deepcopy(schema)
    for path in paths:
        parts = parts_of(path)
        node = _schema_parent(result, parts)
        properties = node.get("properties")
        if isinstance(properties, dict):
            properties.pop(parts[-1], None)
            properties[parts[-1] + MARKER_SUFFIX] = {
                "type": "boolean", "readOnly": True,
                "description": f"whether {parts[-1]} is set (write-only: never shown)"}
            if isinstance(node.get("required"), list) and parts[-1] in node["required"]:
                node["required"].remove(parts[-1])
    return result


def marked_schema(schema: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The section's schema as it is written: each write-only field marked ``writeOnly``.

    A form shows such a field empty, with whether it is set (``<field>_set`` of a read),
    and sends it only when a new value is typed.
    """
    result = copy.deepcopy(schema)
    for path in paths:
        parts = parts_of(path)
        node = _schema_parent(result, parts)
        spec = node.get("properties", {}).get(parts[-1])
        if isinstance(spec, dict):
            spec["writeOnly"] = True
    return result


def quotes_a_secret(text: str, section: Any, paths: Iterable[str]) -> bool:
    """Whether ``text`` holds one of the write-only values in ``section``."""
    return any(value in text for value in leaf_values(section, paths))
