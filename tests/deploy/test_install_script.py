"""deploy/install.sh, run for real against a temporary root (``--root``).

What cannot happen here is only printed by the script under ``--root``: apt, creating
users, ownership and systemctl (this machine is not a Pi and its services are not
ours). The venv step is left out (``--no-venv``): it installs from PyPI, which the
README's quick start already covers. Everything else is written, compared and removed
for real, and the units are checked by ``systemd-analyze verify``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "install.sh"
STEPS = ["apt packages", "users", "data folder", "venv", "sudo rules", "systemd unit",
         "MediaMTX", "start seccam"]


def install(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                            timeout=120, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def tree(root: Path) -> dict[str, tuple[str, str]]:
    """Every file and folder under ``root``: its mode and content hash."""
    found = {}
    for path in sorted(root.rglob("*")):
        mode = oct(path.stat().st_mode & 0o7777)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[str(path.relative_to(root))] = (mode, digest)
    return found


@pytest.fixture
def mediamtx_release(tmp_path) -> Path:
    """A stand-in for MediaMTX's release archive (its binary is a script here)."""
    binary = tmp_path / "mediamtx"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    archive = tmp_path / "mediamtx_v1.9.0_linux_arm64.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(binary, arcname="mediamtx")
        tar.add(REPO / "deploy" / "mediamtx.yml", arcname="mediamtx.yml")
    return archive


def test_shellcheck_is_clean():
    scripts = sorted(str(p) for p in (REPO / "deploy").glob("*.sh"))
    result = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    out = install("--dry-run", "--root", str(root))
    for step in STEPS:
        assert f"==> {step}" in out, step
    for target in ("var/lib/seccam/settings.json", "etc/sudoers.d/seccam",
                   "etc/systemd/system/seccam.service", "etc/mediamtx/mediamtx.yml"):
        assert f" {root}/{target}" in out, target
    assert "python3 -m venv" in out and "useradd --system" in out
    assert "MediaMTX is not installed" in out  # and how to add it
    assert list(root.iterdir()) == []
    assert "==> remove what the install put there" in install(
        "--dry-run", "--uninstall", "--root", str(root))
    assert list(root.iterdir()) == []


def test_install_twice_changes_nothing_the_second_time_and_the_units_verify(
        tmp_path, mediamtx_release):
    root = tmp_path / "root"
    root.mkdir()
    first = install("--root", str(root), "--no-venv", "--mediamtx", str(mediamtx_release))

    unit = root / "etc/systemd/system/seccam.service"
    assert unit.read_bytes() == (REPO / "deploy/seccam.service").read_bytes()
    assert oct(unit.stat().st_mode & 0o777) == "0o644"
    sudoers = root / "etc/sudoers.d/seccam"
    assert oct(sudoers.stat().st_mode & 0o777) == "0o440"
    rules = [line for line in sudoers.read_text().splitlines() if not line.startswith("#")]
    assert rules == [
        "seccam ALL=(root) NOPASSWD: /usr/bin/systemctl restart seccam, /usr/bin/systemctl reboot",
        "seccam ALL=(root) NOPASSWD: /usr/sbin/iptables -w 5 -t nat *",
    ]
    assert subprocess.run(["visudo", "-c", "-q", "-f", str(sudoers)]).returncode == 0
    settings = root / "var/lib/seccam/settings.json"
    assert oct(settings.stat().st_mode & 0o777) == "0o600"
    assert json.loads(settings.read_text()) == {
        "Camera": {"source": "rtsp://127.0.0.1:8554/cam"},
        "CaptivePortal": {"iptables_command": ["sudo", "-n", "/usr/sbin/iptables"]},
    }
    assert (root / "etc/mediamtx/mediamtx.yml").read_bytes() == \
        (REPO / "deploy/mediamtx.yml").read_bytes()
    assert os.access(root / "usr/local/bin/mediamtx", os.X_OK)
    assert (root / "etc/systemd/system/mediamtx.service").is_file()
    assert "systemctl enable seccam (not run: --root)" in first

    before = tree(root)
    second = install("--root", str(root), "--no-venv", "--mediamtx", str(mediamtx_release))
    assert tree(root) == before
    assert "+ install" not in second and "+ rm" not in second
    assert "unchanged:" in second

    # A settings file the owner changed is never overwritten.
    settings.write_text('{"Camera": {"pre_roll_seconds": 7}}')
    install("--root", str(root), "--no-venv")
    assert json.loads(settings.read_text()) == {"Camera": {"pre_roll_seconds": 7}}

    # systemd-analyze checks that ExecStart exists: give it the root's /opt and
    # /usr/local/bin (a stand-in seccam, since the venv step was left out) in a private
    # mount namespace, so the host is untouched.
    stand_in = root / "opt/seccam/venv/bin/seccam"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    units = " ".join(str(root / "etc/systemd/system" / name)
                     for name in ("seccam.service", "mediamtx.service"))
    verify = subprocess.run(
        ["unshare", "--mount", "sh", "-c",
         f"mount --bind {root}/opt /opt && mount --bind {root}/usr/local/bin /usr/local/bin"
         f" && systemd-analyze verify {units}"],
        capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr


def test_uninstall_keeps_the_recordings_unless_purged(tmp_path, mediamtx_release):
    root = tmp_path / "root"
    root.mkdir()
    install("--root", str(root), "--no-venv", "--mediamtx", str(mediamtx_release))
    recording = root / "var/lib/seccam/recordings/output_20260101_120000.mp4"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"a recording")

    out = install("--uninstall", "--root", str(root))
    assert "systemctl disable --now seccam" in out
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert left == ["var/lib/seccam/recordings/output_20260101_120000.mp4",
                    "var/lib/seccam/settings.json"]

    install("--uninstall", "--purge", "--root", str(root))
    assert not (root / "var/lib/seccam").exists()


def test_mediamtx_config_serves_what_the_installed_settings_read():
    """One keyframe a second (IDR period = frame rate) at the address seccam reads."""
    config = (REPO / "deploy" / "mediamtx.yml").read_text()

    def value(key: str) -> str:
        [found] = re.findall(rf"^\s*{key}:\s*(\S+)", config, re.MULTILINE)
        return found

    assert value("rpiCameraIDRPeriod") == value("rpiCameraFPS")
    assert value("source") == "rpiCamera"
    host_port = value("rtspAddress")
    assert host_port.startswith("127.0.0.1:")  # the camera is not offered to the network
    path = re.search(r"^paths:\n\s+(\w+):", config, re.MULTILINE).group(1)  # type: ignore[union-attr]
    script = SCRIPT.read_text()
    assert f'"source": "rtsp://{host_port}/{path}"' in script
