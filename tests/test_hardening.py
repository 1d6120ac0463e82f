"""Issue 17's classes of bad input, across every route of the real app.

Each test generates its cases (hypothesis) over every JSON operation, every settings
field with a pattern, or every route that writes a section, instead of the one example
the issue named: non-finite numbers, text that cannot be encoded, deep nesting, patterns
that accepted a trailing newline, and a section that one route stored and another would
have refused.
"""

from __future__ import annotations

import json

import pytest
import sensor_doubles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.app import route_table
from seccam_core.json_schema import compiled

FIXTURE_OK = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"]
UNENCODABLE = ['"\\ud800"', '"a\\udfffb"', '"\\udc80\\udc80"']


def _deep(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _json_posts(app) -> list[str]:
    return sorted(rule for rule, methods in route_table(app).items()
                  if "POST" in methods and "<" not in rule)


@st.composite
def poisoned_bodies(draw) -> str:
    """A JSON object text whose one (possibly nested) value is a bad value."""
    bad = draw(st.sampled_from(
        NON_FINITE + UNENCODABLE + [_deep(40), _deep(2000), _deep(100_000)]))
    key = draw(st.sampled_from(["password", "type", "gpio", "path", "Camera", "enabled",
                                "\\ud800", "new"]))
    nested = draw(st.integers(min_value=0, max_value=3))
    body = f'{{"{key}": {bad}}}'
    for _ in range(nested):
        body = f'{{"Camera": {body}}}'
    return body


@FIXTURE_OK
@given(index=st.integers(min_value=0), body=poisoned_bodies(), authorized=st.booleans())
@pytest.mark.seccam_plugins(media=True)
async def test_every_json_operation_refuses_bad_values_with_a_400(
        seccam_app, index, body, authorized):
    """NaN/Infinity, lone surrogates and deep nesting: a 400 naming the problem on every
    POST (the login without a token included); nothing is stored, GET stays valid JSON."""
    client = seccam_app.test_client()
    token = seccam_app.seccam.auth.token
    paths = _json_posts(seccam_app.app)
    assert "/auth/validate" in paths and "/settings" in paths
    path = paths[index % len(paths)]
    before = seccam_app.seccam.settings.public_document()
    headers = {"Content-Type": "application/json"}
    if authorized:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post(path, data=body, headers=headers)
    assert response.status_code < 500, (path, body[:80], response.status_code)
    if authorized or path == "/auth/validate":
        assert response.status_code in (400, 413, 415), (path, body[:80])
        assert "error" in await response.get_json()
    assert seccam_app.seccam.settings.public_document() == before
    document = (await (await client.get(
        "/settings", headers={"Authorization": f"Bearer {token}"})).get_data()).decode()
    assert "NaN" not in document and "Infinity" not in document
    json.loads(document)


async def test_unencodable_query_and_path_strings_are_400s(seccam_client):
    """Percent-encoded surrogates and NULs in query parameters and path parts."""
    encoded = ["%ED%A0%80", "%00", "a%00b", "%F0%90%80", "%C0%AF", "%ED%BF%BF"]
    targets = ["/logs/api?search={}", "/logs/api?{}=1", "/logs/script/install/{}.log",
               "/archive/new_count?since={}", "/auth/status?token={}"]
    for target in targets:
        for text in encoded:
            response = await seccam_client.get(target.format(text))
            assert response.status_code < 500, (target, text)


@FIXTURE_OK
@given(data=st.data(), tail=st.sampled_from(["\n", "\r\n", "\x00"]))
@pytest.mark.seccam_plugins(sensor_doubles, media=True)
async def test_settings_patterns_are_whole_string_matches(seccam_app, data, tail):
    """Every string field with a pattern, in every section: a value that matches, plus a
    trailing newline, is refused (Python's ``$`` accepted it)."""
    store = seccam_app.seccam.settings
    client = seccam_app.test_client()
    headers = {"Authorization": f"Bearer {seccam_app.seccam.auth.token}"}
    fields = sorted(
        (section, field, spec["pattern"])
        for section, schema in store.update_schema()["properties"].items()
        for field, spec in schema["properties"].items()
        if isinstance(spec, dict) and "pattern" in spec
    )
    assert ("Camera", "source") in {(s, f) for s, f, _ in fields}
    section, field, pattern = data.draw(st.sampled_from(fields))
    value = data.draw(st.from_regex(compiled(pattern), fullmatch=True)
                      .filter(lambda v: len(v) < 300 and "\n" not in v))
    response = await client.post("/settings", json={section: {field: value + tail}},
                                 headers=headers)
    assert response.status_code == 400, (section, field, value + tail)
    assert (await response.get_json())["error"].startswith(f"{section}.")


@FIXTURE_OK
@given(bad=st.one_of(
        st.fixed_dictionaries({"type": st.sampled_from(
            ["\x00", "test_door\x00", "test_door\n", "no_such_type", " test_door"])}),
        st.fixed_dictionaries({"type": st.just("test_door"), "gpio": st.sampled_from(
            [22.0, 3.5, 28, -1, True])}),
        st.fixed_dictionaries({"type": st.just("test_door"), "calibration": st.one_of(
            st.fixed_dictionaries({"sensitivity": st.sampled_from([2.5, 0, 11, "5", 5.0])}),
            st.fixed_dictionaries({"bounce_time": st.sampled_from([2, -0.1, "x"])}),
            st.fixed_dictionaries({"unknown": st.integers()}),
        )}),
))
@pytest.mark.seccam_plugins(sensor_doubles)
async def test_a_sensor_section_passes_the_same_checks_on_every_route(
        seccam_app, seccam_gpio, bad):
    """``POST /settings`` and ``/settings/import`` refuse what ``/sensor/configure`` does."""
    client = seccam_app.test_client()
    headers = {"Authorization": f"Bearer {seccam_app.seccam.auth.token}"}
    stored = seccam_app.seccam.settings.get("Sensor")
    configure = await client.post("/sensor/configure", json=bad, headers=headers)
    assert configure.status_code == 400, bad
    for path in ("/settings", "/settings/import"):
        response = await client.post(path, json={"Sensor": bad}, headers=headers)
        assert response.status_code == 400, (path, bad)
    assert seccam_app.seccam.settings.get("Sensor") == stored


PATH_SETTINGS = [("Camera", "recordings_dir", "seccam"), ("Logs", "mediamtx_log", "m.log"),
                 ("System", "update_repo", "repo")]


@FIXTURE_OK
@given(setting=st.sampled_from(PATH_SETTINGS),
       system=st.sampled_from(["etc", "usr", "proc", "boot", "dev", "sys", "run"]),
       spelling=st.sampled_from(["/{s}/{leaf}", "/./{s}/{leaf}", "/proc/self/root/{s}/{leaf}",
                                 "//{s}//{leaf}", "/{s}/x/../{leaf}", "/tmp/../{s}/{leaf}",
                                 "/proc/1/root/{s}/{leaf}",
                                 # climbs to / from any working directory (CI runs deeper than here)
                                 "/proc/self/cwd/" + "../" * 64 + "{s}/{leaf}"]))
@pytest.mark.seccam_plugins(media=True)
async def test_every_folder_or_file_setting_is_judged_by_its_real_path(
        seccam_app, setting, system, spelling):
    """Whoever writes it (the API, or the owner's trusted write for settings.json-only
    fields), a folder or file setting that resolves into a system folder is refused."""
    from seccam_core.settings import SettingsError

    section, field, leaf = setting
    value = spelling.format(s=system, leaf=leaf)
    store = seccam_app.seccam.settings
    before = store.get(section)
    with pytest.raises(SettingsError) as refused:
        store.update({section: {field: value}}, trusted=True)
    assert str(refused.value.body()["error"]).startswith(f"{section}.{field}")
    assert store.get(section) == before


LONG_VALUES = st.one_of(
    st.text(min_size=300, max_size=20_000),
    st.lists(st.integers(), min_size=100, max_size=2_000),
)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=LONG_VALUES)
@pytest.mark.seccam_plugins(sensor_doubles, media=True)
async def test_a_400_quotes_a_long_value_by_its_start_never_whole(seccam_client, value):
    """Every field of every JSON operation (each settings field included) given a long
    text or list, each of them every time: the 400 stays short and never echoes the
    value whole, no long pattern quoted either (it once quoted a 200
    character regex of Camera.recordings_dir)."""
    spec = await (await seccam_client.get("/openapi.json")).get_json()
    bodies = []
    for path, operations in spec["paths"].items():
        schema = (operations.get("post", {}).get("requestBody", {}).get("content", {})
                  .get("application/json", {}).get("schema", {}))
        bodies += [(path, name, {name: value}) for name in schema.get("properties", {})
                   if path != "/settings"]
    forms = await (await seccam_client.get("/settings/schema")).get_json()
    for section, form in forms.items():
        bodies += [("/settings", f"{section}.{name}", {section: {name: value}})
                   for name in form["schema"].get("properties", {})]
    assert len(bodies) > 60
    for path, field, body in bodies:
        answer = await seccam_client.post(path, json=body)
        assert answer.status_code < 500, (path, field)
        if answer.status_code == 400:
            error = (await answer.get_json())["error"]
            assert len(error) < 300, (path, error[:400])
            echoed = value if isinstance(value, str) else json.dumps(value)[1:-1]
            assert echoed not in error, (path, field)
