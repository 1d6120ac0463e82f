"""The in-process client: the app called directly, no server, no sockets."""

from __future__ import annotations

from typing import Any

from seccam_core.runtime import Seccam


class TokenTestClient:
    """A Quart test client that sends the API token unless told ``token=None``."""

    def __init__(self, app: Any, seccam: Seccam) -> None:
        self._client = app.test_client()
        self.seccam = seccam

    async def request(self, method: str, path: str, *, token: str | bool | None = True,
                      **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is True:
            token = self.seccam.auth.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self._client.open(path, method=method, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)
