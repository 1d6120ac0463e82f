"""The HTTP API: one Quart blueprint per area, plus request validation helpers."""
