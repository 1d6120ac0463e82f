"""Bluetooth device addresses: the one pattern every request and setting is checked against."""

from __future__ import annotations

import re

ADDRESS_PATTERN = r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"
ADDRESS_SCHEMA = {
    "type": "string",
    "pattern": ADDRESS_PATTERN,
    "description": "A Bluetooth address such as AA:BB:CC:DD:EE:FF.",
}
_ADDRESS = re.compile(ADDRESS_PATTERN)


def is_address(value: object) -> bool:
    """Whether ``value`` is a well-formed ``AA:BB:CC:DD:EE:FF`` address."""
    return isinstance(value, str) and _ADDRESS.fullmatch(value) is not None


def normalize(address: str) -> str:
    """The stored spelling: upper case, so comparisons are case-insensitive."""
    return address.upper()
