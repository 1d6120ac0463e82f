"""The JSON answers of the system, sensor, plugin, deploy, log, OpenAPI and password
routes conform to the response schemas of the generated OpenAPI document.

Each route is called for real, over HTTP on a live server, in a state where its answer
has its fields filled (a Pi's sysfs files, a configured sensor, log files, a git checkout
one commit behind its origin), and the answer is validated against the schema that
``build_openapi`` puts in the document, not against the module constants.
"""

from __future__ import annotations

import json
import time

import pytest
import sensor_doubles
from sensor_doubles import DOOR_PIN
from test_logs_api import MEDIAMTX, make_script_logs, write_api_log
from test_system_health import THERMAL, THROTTLED, sysfs  # noqa: F401 (a fixture)
from test_system_update import git, repos  # noqa: F401 (a fixture)

from seccam_core import hookimpl
from seccam_core.contributions import AlertLevel, AlertMetric, MetricReading
from seccam_core.system.service import HEALTH
from seccam_core.testing import assert_documented

SD_CARD = {"device": "mmcblk0", "name": "SD32G", "serial": "0x1234abcd",
           "life_time": "0x02 0x01", "life_time_est": "0x02", "gb_written_since_boot": 1.25}


def call(server, client, method: str, path: str, **kwargs):
    """Call the route and return its answer, checked against the document."""
    return assert_documented(server.app, method, path, client.request(method, path, **kwargs))


class PiExtras:
    """What a Pi with the SD-card plugin adds to ``/system_info``.

    Stand-ins: the storage_sd plugin (not installed in the core's env) and an IR camera
    (none on this machine). The sd_health figures are the plugin's own field names.
    """

    @hookimpl
    def seccam_alert_metrics(self):
        return [AlertMetric("sd_health",
                            lambda: MetricReading(AlertLevel.OK, dict(SD_CARD), "0x02"))]


def test_system_answers_conform_with_every_field_filled(seccam_live_server, sysfs,  # noqa: F811
                                                        seccam_data_dir):
    for path, text in ((THERMAL, "58312"), (THROTTLED, "50005")):
        sysfs(path, text)
    settings = json.loads((seccam_data_dir / "settings.json").read_text())
    settings["System"]["alert_interval_seconds"] = 0.1
    (seccam_data_dir / "settings.json").write_text(json.dumps(settings))
    server = seccam_live_server(PiExtras())
    client = server.client()
    sampler = server.seccam.require(HEALTH).sampler
    deadline = time.monotonic() + 10
    while sampler.samples < 2 or sampler.state["values"].get("load") is None:
        assert time.monotonic() < deadline, "the sampler took no second sample"
        time.sleep(0.05)

    info = call(server, client, "GET", "/system_info")
    assert info["throttle"]["under_voltage"] and info["sd_health"]["device"] == "mmcblk0"
    assert info["night_mode"] is None and info["cpu_temp_celsius"] == 58.3
    assert info["cpu_load_percent"] is not None
    extended = call(server, client, "GET", "/system_info", params={"extended": "1"})
    stats = call(server, client, "GET", "/system_stats")
    assert set(extended) == set(stats) > set(info)
    assert stats["cpu_per_core_percent"]
    deploy = call(server, client, "GET", "/deploy_info")
    # Strings from a git checkout (an editable install), nulls from an installed package.
    assert (deploy["git_branch"], deploy["git_commit"]) == (
        stats["git_branch"], stats["git_commit"])

    for path in ("/system_alert_state", "/system/alert"):
        state = call(server, client, "GET", path)
        assert state["alerts"] == {"cpu_temp": "ok", "throttle": "critical", "sd_health": "ok"}
        assert state["values"]["throttle"]["raw"] == "0x50005"
        assert state["values"]["temp"] == 58.3 and state["values"]["load"] is not None

    for action in ("restart", "reboot"):  # the conftest's harmless commands
        assert "message" in call(server, client, "POST", f"/system/{action}")


def test_update_check_answers_conform(repos, seccam_live_server, seccam_data_dir,  # noqa: F811
                                      tmp_path):
    _, work, checkout = repos
    (work / "README").write_text("two\n")
    git("commit", "-am", "fix: sensor timeout", cwd=work)
    git("push", "origin", "main", cwd=work)
    settings = json.loads((seccam_data_dir / "settings.json").read_text())
    settings["System"]["update_repo"] = str(checkout)
    (seccam_data_dir / "settings.json").write_text(json.dumps(settings))
    server = seccam_live_server()

    behind = call(server, server.client(), "GET", "/system/update/check")
    assert behind["commits_behind"] == 1 and behind["summary"].endswith("fix: sensor timeout")

    server.call(lambda: server.seccam.settings.update(
        {"System": {"update_repo": str(tmp_path)}}, trusted=True))
    refused = call(server, server.client(), "GET", "/system/update/check")
    assert refused["available"] is False and "not a git checkout" in refused["error"]


@pytest.fixture
def sensor_server(seccam_gpio, seccam_live_server):
    server = seccam_live_server(sensor_doubles)
    server.http = server.client()
    return server


def test_sensor_answers_conform(sensor_server):
    server, client = sensor_server, sensor_server.http
    types = call(server, client, "GET", "/sensor/types")
    door = next(t for t in types if t["type"] == "test_door")
    assert door["calibration"] and door["wiring"]

    configured = call(server, client, "POST", "/sensor/configure",
                      json={"type": "test_door", "hold_seconds": 5})
    assert configured["config"]["gpio"] == DOOR_PIN
    status = call(server, client, "GET", "/sensor/status")
    assert status["sensor"]["gpio"] == DOOR_PIN and status["hold_seconds"] == 5

    read = call(server, client, "POST", "/sensor/test", json={"type": "test_door"})
    assert read["source"] == "active_sensor" and isinstance(read["value"], bool)
    probed = call(server, client, "POST", "/sensor/test", json={"type": "test_door", "gpio": 5})
    assert probed["source"] == "probe"
    pinless = call(server, client, "POST", "/sensor/test", json={"type": "test_pinless"})
    assert pinless["value"] is None and pinless["message"]

    assert "error" not in call(server, client, "POST", "/sensor/disable")
    assert "error" not in call(server, client, "POST", "/sensor/enable")
    broken = call(server, client, "POST", "/sensor/configure", json={"type": "test_broken"})
    assert "device not found" in broken["error"]
    assert "device not found" in call(server, client, "POST", "/sensor/enable")["error"]
    failed = call(server, client, "GET", "/sensor/status")
    assert failed["sensor"] is None and "device not found" in failed["error"]


def test_plugin_openapi_and_password_answers_conform(seccam_live_server):
    server = seccam_live_server(sensor_doubles)
    client = server.client()
    plugins = call(server, client, "GET", "/plugins")["plugins"]
    assert any(p["builtin"] for p in plugins)
    assert all(p["hooks"] for p in plugins if not p["disabled"])
    document = call(server, server.client(token=None), "GET", "/openapi.json")
    assert document["openapi"].startswith("3.1")
    changed = call(server, client, "POST", "/auth/set-password",
                   json={"current": server.seccam.initial_password, "new": "good-password"})
    assert changed == {"message": "Password updated"}


def test_log_answers_conform(seccam_live_server, seccam_data_dir):
    make_script_logs(seccam_data_dir)
    write_api_log(seccam_data_dir, [
        "left over from before the rotation",
        "2026-04-01 10:00:00 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1",
        "2026-04-01 10:00:01 [ERROR] seccam_core.app: unexpected error",
        "Traceback (most recent call last):",
    ])
    (seccam_data_dir / "logs" / "mediamtx" / "mediamtx.log").write_text("\n".join(MEDIAMTX))
    server = seccam_live_server()
    client = server.client()

    for path in ("/logs", "/logs/api"):
        entries = call(server, client, "GET", path)
        assert [e["level"] for e in entries] == ["ERROR", "INFO", None]
    assert len(call(server, client, "GET", "/logs/mediamtx")) == len(MEDIAMTX)
    for path in ("/logs/install", "/logs/scripts"):
        listing = call(server, client, "GET", path)
        assert {e["category"] for e in listing} == {"install", "update", "ap-setup",
                                                    "bluetooth-pairing"}
