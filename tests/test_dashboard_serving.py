"""The dashboard's page and files: served without a token at their exact paths only,
with the security headers, compressed, cached by version, and every module import
resolving to a served file."""

from __future__ import annotations

import re

from seccam_core.auth import API_EXEMPT_PATHS, EXEMPT_PATHS
from seccam_core.dashboard import BUNDLE, CONTENT_SECURITY_POLICY

IMPORT = re.compile(r"""(?:import|from)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")
LINKED = re.compile(r"""(?:href|src)="(/ui/[^"]+)\"""")


def test_the_exempt_list_is_the_api_three_plus_each_dashboard_file():
    assert API_EXEMPT_PATHS | BUNDLE.paths == EXEMPT_PATHS
    assert "/" in BUNDLE.paths
    assert all(path == "/" or path.startswith(BUNDLE.prefix) for path in BUNDLE.paths)
    assert {"/", BUNDLE.prefix + "js/app.js", BUNDLE.prefix + "js/api.js",
            BUNDLE.prefix + "js/events.js", BUNDLE.prefix + "js/ui.js",
            BUNDLE.prefix + "app.css"} <= BUNDLE.paths


def test_every_file_the_page_names_and_every_import_is_served():
    page = BUNDLE.assets["/"].body.decode()
    linked = LINKED.findall(page)
    assert linked and all(path in BUNDLE.paths for path in linked), linked
    for path, asset in BUNDLE.assets.items():
        if not path.endswith(".js"):
            continue
        folder = path.rsplit("/", 1)[0]
        for target in IMPORT.findall(asset.body.decode()):
            parts = folder.split("/")
            for piece in target.split("/"):
                if piece == "..":
                    parts.pop()
                elif piece != ".":
                    parts.append(piece)
            assert "/".join(parts) in BUNDLE.paths, f"{path} imports {target}"


def test_no_inline_script_or_style_in_the_page():
    page = BUNDLE.assets["/"].body.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"\son\w+\s*=", page)  # no inline event handler
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


async def test_the_page_and_files_answer_without_a_token(seccam_client):
    for path in sorted(BUNDLE.paths):
        answer = await seccam_client.get(path, token=None,
                                         headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, path
        headers = answer.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in headers["Vary"]
        expected = "no-cache" if path == "/" else "public, max-age=31536000, immutable"
        assert headers["Cache-Control"] == expected, path
        again = await seccam_client.get(path, token=None,
                                        headers={"If-None-Match": headers["ETag"]})
        assert again.status_code == 304, path
    plain = await seccam_client.get("/", token=None)
    assert "Content-Encoding" not in plain.headers
    assert (await plain.get_data()) == BUNDLE.assets["/"].body


async def test_any_other_path_under_ui_needs_the_token(seccam_client):
    for path in ("/ui/x", BUNDLE.prefix + "js/nothing.js", "/ui/0000/js/app.js",
                 BUNDLE.prefix + "js/../js/app.js"):
        answer = await seccam_client.get(path, token=None)
        assert answer.status_code == 401, path
    answer = await seccam_client.get(BUNDLE.prefix + "js/nothing.js")
    assert answer.status_code == 404
