"""``/`` and ``/ui/<version>/...``: the dashboard page and its files, served without a token.

Only the exact paths of :data:`seccam_core.dashboard.BUNDLE` are on the guard's exempt
list; any other ``/ui/`` path needs the token like every API route (and is a 404 with
it). Every API call the page makes still sends the token.
"""

from __future__ import annotations

from quart import Blueprint, Response, request

from seccam_core.api.validation import responds
from seccam_core.dashboard import BUNDLE, CONTENT_SECURITY_POLICY, Asset
from seccam_core.errors import NotFound

blueprint = Blueprint("dashboard", __name__)

PAGE_CACHE = "no-cache"
"""Revalidated on every load (ETag), so an upgrade's new asset version is picked up."""
ASSET_CACHE = "public, max-age=31536000, immutable"
"""An asset URL carries the version: its bytes never change."""


def _send(asset: Asset, cache: str) -> Response:
    headers = {"Cache-Control": cache, "ETag": asset.etag, "Vary": "Accept-Encoding",
               "Content-Security-Policy": CONTENT_SECURITY_POLICY,
               "X-Frame-Options": "DENY"}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return Response(b"", status=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, content_type=asset.content_type, headers=headers)


@blueprint.get("/")
@responds(200, content_type="text/html", description="the dashboard page")
async def page() -> Response:
    """The dashboard (no token: the page holds nothing secret; it asks for the password)."""
    return _send(BUNDLE.assets["/"], PAGE_CACHE)


@blueprint.get("/ui/<path:name>")
@responds(200, content_type="text/javascript", description="a script, style or image "
          "of the dashboard; only the paths the page names are served without a token")
@responds(404, description="no such file")
async def asset(name: str) -> Response:
    """One of the dashboard's files, under the version the page names."""
    found = BUNDLE.assets.get(request.path)
    if found is None:
        raise NotFound("no such dashboard file")
    return _send(found, ASSET_CACHE)
