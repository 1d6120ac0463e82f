"""One HTTP connection pool per event loop, shared by every plugin that sends requests.

Building a client per message costs the loop milliseconds of TLS setup, so the webhook
and notification actions (and any third-party action) share one ``httpx.AsyncClient``
per loop. httpx is imported at the first call: the core does not depend on it, and a
camera with nothing to send never holds it. A plugin that calls :func:`http_client`
lists httpx among its own dependencies. The app closes the pool at shutdown, after
every plugin has stopped.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary())


def http_client() -> httpx.AsyncClient:
    """This event loop's shared ``httpx.AsyncClient`` (made, or made again, on demand)."""
    import httpx

    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = _CLIENTS[loop] = httpx.AsyncClient()
    return client


async def close_http_client() -> None:
    """Close this loop's pool, if one was made (the app's last step at shutdown)."""
    client = _CLIENTS.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
