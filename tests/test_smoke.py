async def test_settings_need_token(seccam_client):
    anonymous = await seccam_client.get("/settings", token=None)
    assert anonymous.status_code == 401
    assert (await anonymous.get_json()) == {"error": "Unauthorized"}
    ok = await seccam_client.get("/settings")
    assert ok.status_code == 200


def test_live_events(seccam_live_server):
    server = seccam_live_server()
    reader = server.events()
    client = server.client()
    response = client.post("/settings", json={"Api": {"cors_origins": ["http://x"]}})
    assert response.status_code == 200, response.text
    event = reader.wait_for("settings_changed")
    assert event.data == {"sections": ["Api"]}
