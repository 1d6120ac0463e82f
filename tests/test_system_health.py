"""Health metrics and alerts, fed by real files in a temporary sysfs/procfs
(``SECCAM_SYSFS_ROOT``, ``SECCAM_PROCFS_ROOT``), over HTTP against a live server."""

from __future__ import annotations

import json
import os
import time

import pytest

from seccam_core.system.service import HEALTH

THERMAL = "class/thermal/thermal_zone0/temp"
THROTTLED = "devices/platform/soc/soc:firmware/get_throttled"


@pytest.fixture
def sysfs(tmp_path, monkeypatch):
    """An empty sysfs root (a machine with no Pi sources) that tests fill in."""
    root = tmp_path / "sys"
    root.mkdir()
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(root))
    monkeypatch.setenv("SECCAM_VCGENCMD", "")

    def write(relative: str, text: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Replaced whole, as sysfs answers: the sampler never sees a half-written file.
        temp = path.with_name(path.name + ".new")
        temp.write_text(text + "\n")
        os.replace(temp, path)

    return write


def _fast_sampler(data_dir, interval: float = 0.1) -> None:
    (data_dir / "settings.json").write_text(
        json.dumps({"System": {"alert_interval_seconds": interval}}))


def _wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return value


def test_off_a_pi_metrics_say_unavailable(seccam_live_server, sysfs, seccam_data_dir):
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server()
    client = server.client()
    sampler = server.seccam.require(HEALTH).sampler
    _wait_until(lambda: sampler.samples >= 2)

    state = client.get("/system_alert_state").json()
    info = client.get("/system_info").json()

    assert state["overall"] == "ok"
    assert state["alerts"] == {"cpu_temp": "unavailable", "throttle": "unavailable"}
    assert state["values"]["cpu_temp"] is None and state["values"]["throttle"] is None
    assert client.get("/system/alert").json() == client.get("/system_alert_state").json()
    assert info["cpu_temp_celsius"] is None and info["throttle"] is None
    assert sampler.published == 0  # "unavailable" at start is not an alert


def test_system_info_reads_the_pi_sources(seccam_live_server, sysfs, tmp_path, monkeypatch):
    sysfs(THERMAL, "58312")
    sysfs(THROTTLED, "50005")
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "uptime").write_text("12345.67 40000.00\n")
    monkeypatch.setenv("SECCAM_PROCFS_ROOT", str(proc))
    server = seccam_live_server()
    client = server.client()

    info = client.get("/system_info").json()

    assert info["cpu_temp_celsius"] == 58.3
    assert info["uptime_seconds"] == 12345
    assert info["throttle"] == {
        "raw": "0x50005",
        "under_voltage": True, "freq_capped": False, "throttled": True,
        "soft_temp_limit": False, "under_voltage_occurred": True,
        "freq_capped_occurred": False, "throttled_occurred": True,
        "soft_temp_limit_occurred": False,
    }
    assert set(info) == {"cpu_temp_celsius", "cpu_load_percent", "storage_info_gb",
                         "ram_usage_mb", "uptime_seconds", "throttle", "sd_health",
                         "night_mode"}
    assert info["ram_usage_mb"]["total_mb"] >= info["ram_usage_mb"]["used_mb"] > 0
    assert info["storage_info_gb"]["total_gb"] >= info["storage_info_gb"]["used_gb"] > 0
    time.sleep(0.6)  # let the CPU load meter's window pass, so the load is a figure
    later = client.get("/system_info").json()
    assert 0 <= later["cpu_load_percent"] <= 100


def test_throttle_flags_from_vcgencmd(seccam_live_server, sysfs, tmp_path, monkeypatch):
    program = tmp_path / "vcgencmd"
    program.write_text("#!/bin/sh\n[ \"$1\" = get_throttled ] && echo throttled=0x80008\n")
    program.chmod(0o755)
    monkeypatch.setenv("SECCAM_VCGENCMD", str(program))
    server = seccam_live_server()

    throttle = server.client().get("/system_info").json()["throttle"]

    assert throttle["raw"] == "0x80008"
    assert throttle["soft_temp_limit"] and throttle["soft_temp_limit_occurred"]
    assert not throttle["under_voltage"]


def test_system_stats_adds_platform_and_deploy_info(seccam_live_server, sysfs):
    server = seccam_live_server()
    client = server.client()

    stats = client.get("/system_stats").json()
    extended = client.get("/system_info?extended=1").json()

    for key in ("process_count", "cpu_count", "cpu_per_core_percent", "hostname",
                "boot_time", "network_io", "swap", "load_average", "platform",
                "git_branch", "git_commit", "cpu_temp_celsius", "ram_usage_mb"):
        assert key in stats and key in extended
    assert stats["process_count"] > 1
    assert stats["platform"]["python"].count(".") == 2
    deploy = client.get("/deploy_info").json()
    assert stats["git_commit"] == stats["platform"]["git_commit"] == deploy["git_commit"]


def test_alerts_are_published_once_per_level_change(seccam_live_server, sysfs,
                                                    seccam_data_dir):
    sysfs(THERMAL, "50000")
    sysfs(THROTTLED, "0")
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server()
    events = server.events()
    sampler = server.seccam.require(HEALTH).sampler

    def samples_after(count: int) -> None:
        start = sampler.samples
        _wait_until(lambda: sampler.samples >= start + count)

    samples_after(3)
    sysfs(THERMAL, "70000")
    warn = events.wait_for("system_alert")
    samples_after(5)
    sysfs(THERMAL, "85000")
    critical = events.wait_for("system_alert")
    samples_after(5)
    sysfs(THROTTLED, "4")  # throttled now
    throttled = events.wait_for("system_alert")
    samples_after(5)
    sysfs(THROTTLED, "40000")  # throttling occurred, but is not active now
    unthrottled = events.wait_for("system_alert")
    samples_after(5)
    sysfs(THERMAL, "50000")
    cooled = events.wait_for("system_alert")
    samples_after(5)

    assert warn.data["transitions"] == [{"metric": "cpu_temp", "from": "ok", "to": "warn"}]
    assert warn.data["values"]["cpu_temp"] == warn.data["values"]["temp"] == 70.0
    assert critical.data["transitions"] == [
        {"metric": "cpu_temp", "from": "warn", "to": "critical"}]
    assert throttled.data["transitions"] == [
        {"metric": "throttle", "from": "ok", "to": "critical"}]
    assert throttled.data["alerts"] == {"cpu_temp": "critical", "throttle": "critical"}
    assert unthrottled.data["transitions"] == [
        {"metric": "throttle", "from": "critical", "to": "ok"}]
    assert unthrottled.data["overall"] == "critical"  # still too hot
    assert cooled.data["transitions"] == [
        {"metric": "cpu_temp", "from": "critical", "to": "ok"}]
    assert cooled.data["overall"] == "ok"
    assert cooled.data["ts"].endswith("+00:00")
    assert sampler.samples > 25
    assert sampler.published == 5  # one per change, none for the 25-odd quiet samples
    state = server.client().get("/system_alert_state").json()
    assert state == {"overall": "ok", "alerts": {"cpu_temp": "ok", "throttle": "ok"},
                     "values": state["values"]}


def test_a_metric_that_is_already_critical_at_start_is_published(seccam_live_server, sysfs,
                                                                 seccam_data_dir):
    sysfs(THERMAL, "81000")
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server()
    events = server.events(last_event_id=0)  # replay: the first sample may come first

    alert = events.wait_for("system_alert")

    assert alert.data["transitions"] == [{"metric": "cpu_temp", "from": "ok",
                                          "to": "critical"}]
    assert alert.data["overall"] == "critical"


def test_a_failing_metric_reads_unavailable_and_the_others_go_on(seccam_live_server, sysfs,
                                                                 seccam_data_dir):
    """A deliberately broken plugin metric (it raises) stands in for a buggy plugin."""
    from seccam_core import hookimpl
    from seccam_core.contributions import AlertMetric

    class BrokenMetricPlugin:
        @hookimpl
        def seccam_alert_metrics(self):
            def read():
                raise OSError("sensor fell off")
            return [AlertMetric("broken", read)]

    sysfs(THERMAL, "66000")
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server(BrokenMetricPlugin())
    client = server.client()
    sampler = server.seccam.require(HEALTH).sampler
    _wait_until(lambda: sampler.samples >= 3)

    state = client.get("/system_alert_state").json()

    assert state["alerts"]["broken"] == "unavailable"
    assert state["alerts"]["cpu_temp"] == "warn" and state["overall"] == "warn"
