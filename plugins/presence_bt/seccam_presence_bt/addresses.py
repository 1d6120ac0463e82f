"""Bluetooth device addresses: the one pattern every request and setting is checked against."""

from __future__ import annotations

ADDRESS_PATTERN = r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"
ADDRESS_SCHEMA = {
    "type": "string",
    "pattern": ADDRESS_PATTERN,
    "description": "A Bluetooth address such as AA:BB:CC:DD:EE:FF.",
}


def normalize(address: str) -> str:
    """The stored spelling: upper case, so comparisons are case-insensitive."""
    return address.upper()
