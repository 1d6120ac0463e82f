"""``seccam doctor``: each check's verdict, through the real command line.

Here is no Raspberry Pi: the pins are gpiozero's MockFactory and the camera is the
test pattern, so those two say ``warn``; the real-GPIO verdict cannot be produced on
this machine. Disks are real tmpfs mounts (root, as CI has), the SD card's sysfs files
are real files in a folder given by ``SECCAM_SYSFS_ROOT``, D-Bus is a private
dbus-daemon and iptables runs in a throw-away network namespace (``unshare --net``).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from seccam_core.contributions import SettingsSection
from seccam_core.settings import SettingsStore
from seccam_core.system.doctor import bluez_check, iptables_check
from seccam_core.testing import free_port, wait_until

SECCAM = [sys.executable, "-m", "seccam_core.cli"]


def doctor(data_dir: Path, env: dict[str, str] | None = None, nofile: int | None = None,
           ) -> tuple[int, dict[str, dict]]:
    environment = {key: value for key, value in os.environ.items()
                   if key != "GPIOZERO_PIN_FACTORY"}  # tox names mock; say so per test
    environment.update({"SECCAM_SAFE_MODE": "1", **(env or {})})

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    result = subprocess.run([*SECCAM, "doctor", "--json", "--data-dir", str(data_dir)],
                            capture_output=True, text=True, timeout=90, env=environment,
                            preexec_fn=limit)
    answer = json.loads(result.stdout)
    checks = {check["name"]: check for check in answer["checks"]}
    worst = max((c["status"] for c in checks.values()),
                key=["ok", "skip", "warn", "fail"].index)
    assert answer["status"] == worst
    for check in checks.values():
        assert check["summary"]
        assert (check["fix"] is not None) == (check["status"] in ("warn", "fail")), check
    return result.returncode, checks


@pytest.fixture
def tmpfs(tmp_path):
    mounted = []

    def mount(size: str) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                        str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


def settings(data_dir: Path, document: dict) -> None:
    path = data_dir / "settings.json"
    path.write_text(json.dumps(document))
    path.chmod(0o600)


def test_doctor_json_on_this_machine(tmpfs, tmp_path):
    data_dir = tmpfs("2g")
    before = {"Camera": {"test_pattern_size": "160x120"}}
    settings(data_dir, before)
    sysfs = tmp_path / "sys"
    (sysfs / "block" / "sda").mkdir(parents=True)  # a disk that is no SD card

    code, checks = doctor(data_dir, {"GPIOZERO_PIN_FACTORY": "mock",
                                     "SECCAM_SYSFS_ROOT": str(sysfs)}, nofile=8192)

    assert list(checks) == ["camera", "pins", "bluez", "iptables", "disk", "sd_wear", "clock",
                            "data_folder", "descriptors"]
    assert code == 0  # warnings only
    camera = checks["camera"]
    assert camera["status"] == "warn" and "test pattern" in camera["summary"]
    assert camera["details"]["size"] == "160x120" and camera["details"]["codec"] == "h264"
    assert camera["details"]["keyframe_interval_seconds"] == 1.0
    pins = checks["pins"]
    assert pins["status"] == "warn" and pins["details"]["factory"] == "MockFactory"
    assert "GPIOZERO_PIN_FACTORY=mock" in pins["summary"]
    assert checks["bluez"]["status"] == "skip"  # no presence plugin (safe mode)
    assert checks["iptables"]["status"] == "skip"  # no captive portal
    assert checks["disk"]["status"] == "ok" and checks["disk"]["details"]["free_percent"] > 99
    assert checks["sd_wear"]["status"] == "skip"
    assert checks["clock"]["status"] == "ok"
    assert checks["data_folder"]["status"] == "ok"
    assert checks["descriptors"]["status"] == "ok"
    assert checks["descriptors"]["details"]["limit"] == 8192
    # It changed nothing: no folders made, the settings as they were (the lock file is
    # how every reader of settings.json shares it with a running server).
    assert {p.name for p in data_dir.iterdir()} <= {"settings.json", "settings.json.lock"}
    assert json.loads((data_dir / "settings.json").read_text()) == before


def test_doctor_names_what_to_fix(tmpfs, tmp_path):
    data_dir = tmpfs("64m")  # under 200 MB free where recordings go
    settings(data_dir, {"Camera": {"source": "rtsp://admin:s3cret-pw@127.0.0.1:9/cam"}})
    (data_dir / "settings.json").chmod(0o644)
    recordings = data_dir / "recordings"
    recordings.mkdir()
    (recordings / "output_19700101_000012.mp4").write_bytes(b"")
    card = tmp_path / "sys" / "block" / "mmcblk0" / "device"
    card.mkdir(parents=True)
    (card / "life_time").write_text("0x0B 0x02\n")

    env = {"SECCAM_SYSFS_ROOT": str(tmp_path / "sys")}
    code, checks = doctor(data_dir, env, nofile=1024)

    assert code == 1
    assert checks["camera"]["status"] == "fail"
    assert "127.0.0.1:9" in checks["camera"]["summary"] and "mediamtx" in checks["camera"]["fix"]
    # ffmpeg's own lines name the URL: the camera's password is masked in them too.
    assert "rtsp://***@127.0.0.1:9/cam" in checks["camera"]["summary"]
    assert "s3cret-pw" not in json.dumps(checks)
    assert checks["disk"]["status"] == "fail"
    assert checks["sd_wear"]["status"] == "fail" and "0x0B" in checks["sd_wear"]["summary"]
    assert checks["clock"]["status"] == "warn" and "before 2000" in checks["clock"]["summary"]
    assert checks["data_folder"]["status"] == "warn"
    assert checks["data_folder"]["fix"] == f"chmod 600 {data_dir / 'settings.json'}"
    assert checks["descriptors"]["status"] == "warn" and "LimitNOFILE=4096" in \
        checks["descriptors"]["fix"]
    pins = checks["pins"]
    assert pins["status"] == "warn" and "not a Raspberry Pi" in pins["summary"]

    (card / "life_time").write_text("0x01 0x02\n")
    missing = tmp_path / "nowhere"
    code, checks = doctor(missing, env)
    assert checks["sd_wear"]["status"] == "ok"
    assert checks["data_folder"]["status"] == "fail" and "does not exist" in \
        checks["data_folder"]["summary"]
    assert not missing.exists()  # the doctor never creates what it examines


async def test_bluez_check_over_a_private_system_bus(monkeypatch, tmp_path):
    assert (await bluez_check(False)).status == "skip"
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    unreachable = await bluez_check(True)
    assert unreachable.status == "fail" and "does not answer" in unreachable.summary

    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={tmp_path}/bus"], stdout=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout is not None
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", daemon.stdout.readline().strip())
        no_bluez = await bluez_check(True)
        assert no_bluez.status == "fail" and no_bluez.summary == "BlueZ is not on the system D-Bus"
        assert "systemctl enable --now bluetooth" in no_bluez.fix
    finally:
        daemon.terminate()
        daemon.wait()


async def test_iptables_check_while_the_portal_is_on(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    portal = SettingsSection(
        name="CaptivePortal", description="the captive portal's fields the doctor reads",
        schema={"type": "object", "properties": {
            "enabled": {"type": "boolean"},
            "iptables_command": {"type": "array", "items": {"type": "string"}}}},
        defaults={"enabled": True, "iptables_command": ["iptables"]})
    store.register(portal)
    seccam = SimpleNamespace(settings=store)

    await store.save("CaptivePortal", {"iptables_command": ["unshare", "--net", "iptables"]})
    working = await iptables_check(seccam)  # type: ignore[arg-type]
    assert working.status == "ok", working

    await store.save("CaptivePortal", {"iptables_command": ["no-such-iptables"]})
    broken = await iptables_check(seccam)  # type: ignore[arg-type]
    assert broken.status == "fail" and "apt-get install iptables" in broken.fix

    await store.save("CaptivePortal", {"enabled": False})
    assert (await iptables_check(seccam)).status == "skip"  # type: ignore[arg-type]


def test_serve_logs_the_short_form_at_start(seccam_data_dir):
    """``seccam serve`` with 1024 descriptors: the log says so and how to fix it.

    The hard limit too: the server raises its soft limit to the hard one at start."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    settings(seccam_data_dir, {**json.loads((seccam_data_dir / "settings.json").read_text()),
                               "Camera": {"test_pattern_size": "160x120"}})
    process = subprocess.Popen(
        [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(free_port()),
         "--data-dir", str(seccam_data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "SECCAM_SAFE_MODE": "1"})
    log_file = seccam_data_dir / "logs" / "api" / "seccam.log"
    try:
        line = wait_until(lambda: next((line for line in (
            log_file.read_text().splitlines() if log_file.exists() else [])
            if "doctor: descriptors" in line), None), 30, "the doctor's line in the log")
        assert "[WARNING]" in line and "may open 1024 files" in line
        assert "LimitNOFILE=4096" in line
        log_text = log_file.read_text()
        assert "doctor: pins: simulated pins" in log_text
        assert "doctor: camera" not in log_text  # the short form leaves the camera out
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
