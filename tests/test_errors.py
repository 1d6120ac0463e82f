"""Errors are JSON a client can act on, never HTML or a traceback."""


async def test_unknown_path_is_json_404(seccam_client):
    response = await seccam_client.get("/no/such/thing")
    assert response.status_code == 404
    assert "error" in await response.get_json()


async def test_wrong_method_is_json_405_with_allow(seccam_client):
    response = await seccam_client.request("DELETE", "/settings")
    assert response.status_code == 405
    assert "error" in await response.get_json()
    assert "GET" in response.headers["Allow"]


async def test_oversized_body_is_json_413(seccam_client):
    response = await seccam_client.post(
        "/settings", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "error" in await response.get_json()


async def test_form_posts_are_refused(seccam_client):
    response = await seccam_client.post(
        "/settings", data="Auth=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415


async def test_foreign_origin_cannot_post_when_auth_is_off(seccam_client):
    """With auth off, a web page on another origin must not drive the API (the original's S1)."""
    await seccam_client.post("/settings", json={"Auth": {"enabled": False},
                                                "Api": {"cors_origins": ["*"]}})
    response = await seccam_client.post(
        "/auth/regenerate", token=None, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    allowed = await seccam_client.post("/settings", json={"Api": {"cors_origins": ["http://pi:3000"]}})
    assert allowed.status_code == 200
    response = await seccam_client.post(
        "/auth/regenerate", token=None, headers={"Origin": "http://pi:3000"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://pi:3000"


async def test_security_headers(seccam_client):
    response = await seccam_client.get("/auth/status")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_no_server_version_over_http(seccam_live_server):
    server = seccam_live_server()
    response = server.client().get("/auth/status")
    assert "server" not in response.headers


async def test_deploy_info_names_branch_and_commit_or_nulls(seccam_client):
    body = await (await seccam_client.get("/deploy_info")).get_json()
    assert set(body) == {"git_branch", "git_commit"}
    for value in body.values():
        assert value is None or (isinstance(value, str) and value)
