"""The mock's trigger and release answers conform to the generated OpenAPI document."""

from __future__ import annotations

import jsonschema
import pytest
import seccam_sensor_mock

from seccam_core.openapi import build_openapi


@pytest.mark.parametrize("action", ["trigger", "release"])
def test_mock_answers_conform_to_their_documented_schema(seccam_live_server, action):
    server = seccam_live_server(seccam_sensor_mock)
    client = server.client()
    assert client.post("/sensor/configure", json={"type": "mock"}).status_code == 200
    path = f"/sensor/mock/{action}"

    response = client.post(path)

    assert response.status_code == 200, response.text
    documented = build_openapi(server.app)["paths"][path]["post"]["responses"]["200"]
    schema = documented["content"]["application/json"]["schema"]
    assert schema["required"] == ["message"]
    jsonschema.Draft202012Validator(schema).validate(response.json())
