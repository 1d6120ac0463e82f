"""``GET /settings/schema``: what a client needs to build a form for any section, and a
400 that never quotes a write-only value (a form shows it beside the field)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core import SettingsSection, hookimpl
from seccam_core.errors import ApiError
from seccam_core.settings import SettingsStore
from seccam_core.testing import assert_documented

DOOR = SettingsSection(
    name="Door",
    description="A third party's section, as a plugin installed tomorrow contributes it.",
    schema={
        "type": "object",
        "properties": {
            "chime": {"type": "boolean", "title": "Chime",
                      "description": "Ring when the door opens."},
            "volume": {"type": "integer", "minimum": 1, "maximum": 11, "default": 5,
                       "description": "How loud."},
            "api_key": {"type": ["string", "null"], "maxLength": 40,
                        "pattern": "^key_[a-z0-9]+$", "description": "The cloud's key."},
            "bells": {"type": "array", "maxItems": 3, "items": {
                "type": "object",
                "properties": {"url": {"type": "string", "pattern": "^https?://\\S+$"},
                               "secret": {"type": ["string", "null"],
                                          "pattern": "^whsec_[a-z0-9]{4,}$"}},
                "required": ["url"], "additionalProperties": False}},
            "pairing_code": {"type": "string"},
            "firmware": {"type": "string", "description": "Set by the plugin."},
        },
        "required": ["chime", "pairing_code"],
        "additionalProperties": False,
    },
    defaults={"chime": True, "volume": 5, "api_key": None, "bells": [],
              "pairing_code": "", "firmware": "1.0"},
    secret_fields=frozenset({"pairing_code"}),
    internal_fields=frozenset({"firmware"}),
    write_only_fields=frozenset({"api_key", "bells[].secret"}),
)


class DoorPlugin:
    """Contributes the ``Door`` section and nothing else."""

    @hookimpl
    def seccam_settings_sections(self):
        return [DOOR]


def test_a_plugin_section_is_served_as_a_form_schema(seccam_live_server):
    server = seccam_live_server(DoorPlugin())
    http = server.client()
    answer = http.get("/settings/schema")
    forms = assert_documented(server.app, "get", "/settings/schema", answer)

    assert set(forms) == set(server.seccam.settings.sections)
    door = forms["Door"]
    assert door["description"] == DOOR.description
    assert door["write_only"] == ["api_key", "bells[].secret"]
    assert door["read_only"] == ["firmware"]
    fields = door["schema"]["properties"]
    assert "pairing_code" not in fields, "a secret field is not even named"
    assert door["schema"]["required"] == ["chime"]
    assert fields["chime"] == {"type": "boolean", "title": "Chime",
                               "description": "Ring when the door opens.", "default": True}
    assert fields["volume"] == {"type": "integer", "minimum": 1, "maximum": 11, "default": 5,
                                "description": "How loud."}
    assert fields["api_key"]["writeOnly"] is True
    assert fields["api_key"]["pattern"] == "^key_[a-z0-9]+$"
    assert fields["bells"]["items"]["properties"]["secret"]["writeOnly"] is True
    assert "writeOnly" not in fields["bells"]["items"]["properties"]["url"]
    assert fields["firmware"]["readOnly"] is True
    assert http.get("/settings/schema", headers={"Authorization": ""}).status_code == 401


def test_the_served_schema_never_carries_a_stored_secret(seccam_live_server):
    server = seccam_live_server(DoorPlugin())
    http = server.client()
    key, bell_secret = "key_" + "s3cr3t" * 4, "whsec_" + "b3ll" * 5
    http.post("/settings", json={"Door": {"api_key": key, "bells": [
        {"url": "http://bell.example/", "secret": bell_secret}]}}).raise_for_status()
    text = http.get("/settings/schema").text
    token = server.seccam.settings.get("Auth")["token"]
    assert key not in text and bell_secret not in text and token not in text


def test_a_form_built_from_the_schema_posts_back_unchanged(seccam_live_server):
    """Every section's defaults, minus the fields a form does not send (read-only,
    write-only), is a valid update that changes nothing on a fresh server."""
    server = seccam_live_server(DoorPlugin(), entry_points=True)
    http = server.client()
    forms = http.get("/settings/schema").json()
    stored = http.get("/settings").json()
    update = {
        name: {key: spec["default"] for key, spec in form["schema"]["properties"].items()
               if "default" in spec and not spec.get("readOnly") and not spec.get("writeOnly")
               and key in stored[name]}
        for name, form in forms.items()
    }
    for name, fields in update.items():
        for key, value in fields.items():
            assert stored[name][key] == value, f"{name}.{key}: the default is served"
    answer = http.post("/settings", json=update)
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"] == []


SCHEMA_TEXT = repr(DOOR.schema) + "Door.bells.0.secret"  # what a message may say anyway


@pytest.fixture
def door_store(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.register(DOOR)
    return store


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(secret=st.text(min_size=4, max_size=60).filter(lambda s: s not in SCHEMA_TEXT),
       where=st.sampled_from(["api_key", "bell", "bells_too_many"]))
def test_a_refused_write_only_value_is_never_quoted(door_store, secret, where):
    """The 400 names the field and the broken rule; the value typed into a password box
    never comes back (a form shows the message beside the field, on screen)."""
    bell = {"url": "http://bell.example/", "secret": secret}
    body = {"api_key": {"api_key": secret},
            "bell": {"bells": [bell]},
            "bells_too_many": {"bells": [bell] * 4}}[where]
    try:
        door_store.update({"Door": body})
    except ApiError as refused:
        assert refused.status == 400
        assert refused.message.startswith("Door.")
        assert secret not in refused.message
    stored = door_store.get("Door")
    assert stored["api_key"] in (None, secret)
