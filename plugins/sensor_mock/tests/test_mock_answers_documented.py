"""The mock's trigger and release answers conform to the generated OpenAPI document."""

from __future__ import annotations

import pytest
import seccam_sensor_mock

from seccam_core.testing import assert_documented


@pytest.mark.parametrize("action", ["trigger", "release"])
def test_mock_answers_conform_to_their_documented_schema(seccam_live_server, action):
    server = seccam_live_server(seccam_sensor_mock)
    client = server.client()
    assert client.post("/sensor/configure", json={"type": "mock"}).status_code == 200
    path = f"/sensor/mock/{action}"

    answer = assert_documented(server.app, "post", path, client.post(path))

    assert answer["message"]
