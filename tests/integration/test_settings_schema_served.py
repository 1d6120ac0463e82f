"""Every installed section's schema reaches a client through ``GET /settings/schema``, as
its owner wrote it: a dashboard builds each section's form from it, a plugin's included."""

from __future__ import annotations

from seccam_core.write_only import parts_of


def _field(schema, path):
    node = schema
    for part in parts_of(path):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def test_every_installed_section_is_served_whole(seccam_live_server):
    server = seccam_live_server(entry_points=True, media=True)
    forms = server.client().get("/settings/schema").json()
    sections = server.seccam.settings.sections
    assert {"CaptivePortal", "Mqtt", "Notify", "Webhook", "StorageLimit", "Presence"} <= set(
        forms), "every bundled plugin must be installed"
    assert set(forms) == set(sections)
    for name, section in sections.items():
        served = forms[name]["schema"]
        assert forms[name]["description"] == section.description
        own = section.schema["properties"]
        assert set(served["properties"]) == set(own) - section.secret_fields, name
        for key, spec in served["properties"].items():
            # Every word of the owner's schema (title, description, bounds, pattern,
            # enum, nested properties) is served as written, with a few annotations.
            for word, value in own[key].items():
                if word not in ("properties", "items"):
                    assert spec[word] == value, f"{name}.{key}: {word}"
            if "default" not in own[key] and key in section.defaults:
                assert spec["default"] == section.defaults[key], f"{name}.{key}"
            assert spec.get("readOnly", False) is (key in section.internal_fields)
        for path in section.write_only_fields:
            assert _field(served, path)["writeOnly"] is True, f"{name}.{path}"
        assert sorted(section.write_only_fields) == forms[name]["write_only"]
