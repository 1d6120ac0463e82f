"""The ``storage`` and ``sd_health`` alert metrics, fed by a real filling filesystem and
by real sysfs-shaped files in a temporary folder (``SECCAM_SYSFS_ROOT``)."""

from __future__ import annotations

import json
import time

import pytest
import seccam_storage_sd
from seccam_storage_sd.health import read_sd_health

from seccam_core import AlertLevel


def _sd_card(root, life_time: str | None, name: str = "mmcblk0"):
    device = root / "block" / name / "device"
    device.mkdir(parents=True)
    (device / "name").write_text("SD32G\n")
    (device / "oemid").write_text("0x5344\n")
    if life_time is not None:
        (device / "life_time").write_text(life_time + "\n")
    (root / "block" / name / "stat").write_text(
        "  100 0 2000 10 300 0 4000000 50 0 60 60 0 0 0 0\n")
    return device


def _fast_sampler(data_dir) -> None:
    (data_dir / "settings.json").write_text(json.dumps({"System": {"alert_interval_seconds": 0.1}}))


def _wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


@pytest.mark.parametrize(("life_time", "level", "estimate"), [
    ("0x01 0x02", AlertLevel.OK, "0x02"),
    ("0x03 0x01", AlertLevel.WARN, "0x03"),
    ("0x0A 0x0B", AlertLevel.CRITICAL, "0x0B"),
])
def test_sd_health_grades_the_wear_estimate(tmp_path, monkeypatch, life_time, level, estimate):
    _sd_card(tmp_path, life_time)
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path))

    reading = read_sd_health()

    assert reading.level == level
    assert reading.value["life_time_est"] == estimate
    assert reading.value["device"] == "mmcblk0"
    assert reading.value["name"] == "SD32G"
    assert reading.value["gb_written_since_boot"] == round(4000000 * 512 / 1e9, 2)


@pytest.mark.parametrize("life_time", [None, "", "garbage"])
def test_sd_health_without_an_estimate_is_unavailable(tmp_path, monkeypatch, life_time):
    _sd_card(tmp_path, life_time)
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path))

    reading = read_sd_health()

    assert reading.level == AlertLevel.UNAVAILABLE
    assert reading.value["life_time_est"] is None


def test_sd_health_off_a_pi_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path / "empty"))

    reading = read_sd_health()

    assert reading.level == AlertLevel.UNAVAILABLE and reading.value is None


def test_the_most_worn_card_counts(tmp_path, monkeypatch):
    _sd_card(tmp_path, "0x01 0x01", "mmcblk0")
    _sd_card(tmp_path, "0x0B 0x0B", "mmcblk1")
    (tmp_path / "block" / "mmcblk1boot0").mkdir()  # an eMMC boot area: not a card
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path))

    reading = read_sd_health()

    assert reading.level == AlertLevel.CRITICAL and reading.value["device"] == "mmcblk1"


def test_sd_health_over_http(seccam_live_server, seccam_data_dir, tmp_path, monkeypatch):
    _sd_card(tmp_path, "0x04 0x02")
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path))
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server(seccam_storage_sd)
    client = server.client()

    state = _wait_until(lambda: (s := client.get("/system_alert_state").json())["alerts"]
                        and s)
    info = client.get("/system_info").json()

    assert state["alerts"]["sd_health"] == "warn" and state["overall"] == "warn"
    assert state["values"]["sd_health"]["life_time_est"] == "0x04"
    assert info["sd_health"]["life_time_est"] == "0x04"
    assert info["sd_health"]["oemid"] == "0x5344"


def test_storage_alert_watches_the_media_filesystem(seccam_live_server, seccam_data_dir,
                                                    small_disk, tmp_path, monkeypatch):
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(tmp_path / "no-sysfs"))
    _fast_sampler(seccam_data_dir)
    server = seccam_live_server(seccam_storage_sd)
    client = server.client()
    events = server.events()
    state = _wait_until(
        lambda: client.get("/system_alert_state").json()["alerts"].get("storage"))
    assert state == "ok"

    small_disk.fill_to(90)  # / is nowhere near that: only the media filesystem is
    warn = events.wait_for("system_alert")
    small_disk.fill_to(97)
    critical = events.wait_for("system_alert")

    assert warn.data["transitions"] == [{"metric": "storage", "from": "ok", "to": "warn"}]
    assert critical.data["transitions"] == [
        {"metric": "storage", "from": "warn", "to": "critical"}]
    assert critical.data["overall"] == "critical"
    state = client.get("/system_alert_state").json()
    assert state["alerts"]["storage"] == "critical"
    assert state["values"]["storage"] == state["values"]["storage_pct"] == small_disk.percent()
