"""The hypercorn configuration ``seccam serve`` and the test kit's live server share."""

from __future__ import annotations

from hypercorn.config import Config as HypercornConfig


def hypercorn_config(host: str, port: int) -> HypercornConfig:
    """Keep-alive on, bounded header size and timeouts, no ``Server`` header, no access log
    (seccam logs requests itself, without query strings)."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.include_server_header = False
    config.accesslog = None
    config.keep_alive_timeout = 30
    config.read_timeout = 60
    config.h11_max_incomplete_size = 16 * 1024
    config.graceful_timeout = 5
    return config
