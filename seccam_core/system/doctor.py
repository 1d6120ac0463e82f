"""``seccam doctor``: is this machine ready to be a camera, and what to do where it is not.

Each check answers ``ok``, ``warn``, ``fail`` or ``skip`` (not applicable here), a
one-line summary, and for ``warn``/``fail`` what to do about it. The full form
(:func:`run_checks`) reads the camera with ffmpeg for a few seconds; the short form
(``quick=True``) runs at ``seccam serve`` start and leaves out everything slow or
already reported elsewhere (the camera pipeline publishes its own state).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import resource
import shutil
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccam_core.commands import (
    Command,
    CommandFailed,
    CommandMissing,
    CommandTimeout,
    run_command,
)
from seccam_core.gpio import MODEL_FILE, current_pin_factory, running_on_pi
from seccam_core.media.camera import CameraConfig
from seccam_core.media.ffmpeg import FfmpegError, FfmpegJob, FfmpegRunner
from seccam_core.media.layout import media_layout
from seccam_core.settings import mask_credentials
from seccam_core.system.metrics import disk_usage
from seccam_core.system.sources import SystemSources, read_text

if TYPE_CHECKING:
    from seccam_core.runtime import Seccam

log = logging.getLogger(__name__)

STATUSES = ("ok", "skip", "warn", "fail")
CAMERA_PROBE_SECONDS = 7.0  # a stream shows two keyframes in this time up to 3.5 s apart
PATTERN_PROBE_SECONDS = 2.5
KEYFRAME_WARN_SECONDS = 2.0
DISK_WARN_FREE = (1e9, 10.0)  # bytes, percent: warn below either
DISK_FAIL_FREE = (2e8, 2.0)
LIFE_TIME_WARN = 0x03  # the card's own estimate, in tenths of its rated life
LIFE_TIME_FAIL = 0x0B
DESCRIPTORS_WANTED = 4096
CLOCK_SANE_AFTER = 1704067200  # 2024-01-01: a Pi without network or RTC boots in the past
COMMAND_TIMEOUT = 10.0


@dataclass
class Check:
    """One check's verdict."""

    name: str
    status: str
    summary: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def worst(checks: list[Check]) -> str:
    return max((c.status for c in checks), key=STATUSES.index, default="ok")


async def log_short_form(seccam: Seccam) -> list[Check]:
    """The short form at ``seccam serve`` start: a warning in the log per problem."""
    checks = await run_checks(seccam, quick=True)
    problems = [c for c in checks if c.status in ("warn", "fail")]
    for check in problems:
        log.warning("doctor: %s: %s; fix: %s", check.name, check.summary, check.fix)
    if not problems:
        log.info("doctor: %d checks passed", len(checks))
    return checks


async def run_checks(seccam: Seccam, runner: FfmpegRunner | None = None, *,
                     quick: bool = False) -> list[Check]:
    """Every check, in a fixed order; ``quick`` is the short form of ``seccam serve``."""
    checks = []
    if not quick:
        checks.append(await camera_check(CameraConfig.from_settings(
            seccam.settings.get("Camera")), runner or FfmpegRunner()))
    checks.append(pins_check())
    if not quick:
        checks.append(await bluez_check(bool(seccam.presence_sources)))
        checks.append(await iptables_check(seccam))
    checks.append(disk_check(media_layout(seccam).recordings_dir))
    checks.append(sd_wear_check(SystemSources.from_env()))
    checks.append(await clock_check(seccam, quick=quick))
    checks.append(data_folder_check(seccam.data_dir))
    checks.append(await descriptors_check(quick=quick))
    return checks


# --- the camera ---------------------------------------------------------------------------


def parse_framecrc(text: str) -> dict[str, Any]:
    """Codec, size and keyframe times (seconds) from ffmpeg's ``framecrc`` listing."""
    found: dict[str, Any] = {"codec": None, "size": None, "keyframes": [], "frames": 0}
    time_base = 1.0
    for line in text.splitlines():
        if line.startswith("#tb 0:"):
            numerator, denominator = line.split(":", 1)[1].strip().split("/")
            time_base = int(numerator) / int(denominator)
        elif line.startswith("#codec_id 0:"):
            found["codec"] = line.split(":", 1)[1].strip()
        elif line.startswith("#dimensions 0:"):
            found["size"] = line.split(":", 1)[1].strip()
        elif line.startswith("0,"):
            fields = [part.strip() for part in line.split(",")]
            found["frames"] += 1
            flags = next((f for f in fields[6:] if f.startswith("F=")), "F=0x1")
            if int(flags[2:], 16) & 1:
                found["keyframes"].append(int(fields[2]) * time_base)
    return found


def keyframe_interval(keyframes: list[float]) -> float | None:
    """The longest gap between two keyframes seen, in seconds."""
    gaps = [b - a for a, b in itertools.pairwise(keyframes) if b > a]
    return round(max(gaps), 2) if gaps else None


async def camera_check(config: CameraConfig, runner: FfmpegRunner) -> Check:
    """The camera source answers; its codec, size and keyframe interval, read with ffmpeg."""
    seconds = PATTERN_PROBE_SECONDS if config.is_test_pattern else CAMERA_PROBE_SECONDS
    job = FfmpegJob("doctor-camera", (
        "-loglevel", "error", *config.input_args(), "-t", str(seconds), "-map", "0:v:0",
        *config.codec_args(), "-f", "framecrc", "pipe:1"),
        timeout=seconds + 15, read_stdout=True)
    source = config.source if config.is_test_pattern else mask_credentials(config.source)
    try:
        process = await runner.start(job)
    except FfmpegError as exc:
        return Check("camera", "fail", f"cannot read {source}: {exc}", _camera_fix(config))
    stdout = process.process.stdout
    assert stdout is not None
    try:
        out, _ = await asyncio.wait_for(asyncio.gather(stdout.read(), process.wait()),
                                        job.timeout)
    except TimeoutError:
        await process.stop(grace=1.0)
        return Check("camera", "fail", f"{source} does not answer within {job.timeout:.0f} s",
                     _camera_fix(config))
    listing = parse_framecrc(out.decode(errors="replace"))
    if not listing["frames"]:
        stderr = "; ".join(process.stderr_tail) or "no video"
        return Check("camera", "fail", f"{source} sent no video ({stderr})", _camera_fix(config))
    interval = keyframe_interval(listing["keyframes"])
    details = {"source": source, "codec": listing["codec"], "size": listing["size"],
               "keyframe_interval_seconds": interval, "frames": listing["frames"]}
    described = (f"{listing['codec']} {listing['size']}, keyframe every "
                 f"{interval if interval is not None else '?'} s")
    if config.is_test_pattern:
        return Check("camera", "warn", f"the generated test pattern ({described}), no camera",
                     "on a Pi, serve the camera with MediaMTX (deploy/install.sh) and set "
                     "Camera.source to rtsp://127.0.0.1:8554/cam", details)
    if interval is None:
        return Check("camera", "warn",
                     f"{source} answers ({described}) but sent under two keyframes in "
                     f"{seconds:.0f} s", _keyframe_fix(), details)
    if interval > KEYFRAME_WARN_SECONDS:
        return Check("camera", "warn", f"{source} answers: {described}: recordings start up "
                     f"to {interval} s before the pre-roll and end up to {interval} s late",
                     _keyframe_fix(), details)
    if listing["codec"] != "h264":
        return Check("camera", "warn", f"{source} answers: {described}",
                     "browsers play H.264: have the camera send H.264", details)
    return Check("camera", "ok", f"{source} answers: {described}", None, details)


def _camera_fix(config: CameraConfig) -> str:
    if config.is_test_pattern:
        return "ffmpeg cannot run: set SECCAM_FFMPEG or install ffmpeg (apt-get install ffmpeg)"
    return ("check that MediaMTX runs (systemctl status mediamtx; journalctl -u mediamtx) and "
            "that Camera.source names its stream, e.g. rtsp://127.0.0.1:8554/cam")


def _keyframe_fix() -> str:
    return ("send a keyframe every second: in /etc/mediamtx/mediamtx.yml set "
            "rpiCameraIDRPeriod equal to rpiCameraFPS, then systemctl restart mediamtx")


# --- pins, Bluetooth, firewall --------------------------------------------------------------


def pins_check(model_file: Path = MODEL_FILE) -> Check:
    """Which pin factory gpiozero uses, and why."""
    named = os.environ.get("GPIOZERO_PIN_FACTORY")
    on_pi = running_on_pi(model_file)
    try:
        factory = type(current_pin_factory()).__name__
    except Exception as exc:  # gpiozero found no usable pin library
        return Check("pins", "fail", f"no pin library works: {exc}",
                     "install seccam with the pi extra (sudo ./deploy/install.sh) and put the "
                     "service user in the gpio group", {"on_pi": on_pi})
    details = {"factory": factory, "on_pi": on_pi, "GPIOZERO_PIN_FACTORY": named}
    if factory == "MockFactory":
        why = (f"GPIOZERO_PIN_FACTORY={named}" if named
               else f"not a Raspberry Pi ({model_file} does not say so)")
        fix = ("unset GPIOZERO_PIN_FACTORY" if on_pi
               else "run seccam on the Raspberry Pi whose pins the sensors are wired to")
        return Check("pins", "warn", f"simulated pins (MockFactory): {why}", fix, details)
    why = f"named by GPIOZERO_PIN_FACTORY={named}" if named else "gpiozero's choice on this Pi"
    chips = sorted(str(p) for p in Path("/dev").glob("gpiochip*"))
    if chips and not any(os.access(chip, os.R_OK | os.W_OK) for chip in chips):
        return Check("pins", "fail", f"{factory} ({why}), but {chips[0]} is not accessible",
                     "add the service user to the gpio group: sudo usermod -aG gpio seccam",
                     details)
    return Check("pins", "ok", f"real GPIO: {factory} ({why})", None, details)


async def _command(*args: str, timeout: float = COMMAND_TIMEOUT) -> tuple[int, str]:
    """Run a command through the command boundary; its exit code and its output."""
    try:
        result = await run_command(Command(argv=args, timeout=timeout, name=f"doctor {args[0]}"))
    except CommandMissing as exc:
        return 127, str(exc)
    except (CommandFailed, CommandTimeout) as exc:
        return 126, str(exc)
    return result.returncode, "\n".join(part for part in (result.stdout, result.stderr) if part)


async def bluez_check(presence_on: bool) -> Check:
    """BlueZ answers on the system D-Bus (only where a presence plugin needs it)."""
    if not presence_on:
        return Check("bluez", "skip", "no Bluetooth presence plugin installed")
    dbus_send = shutil.which("dbus-send")
    if dbus_send is None:
        return Check("bluez", "warn", "cannot ask D-Bus: dbus-send is missing",
                     "sudo apt-get install dbus")
    code, out = await _command(
        dbus_send, "--system", "--print-reply", "--reply-timeout=3000",
        "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner", "string:org.bluez")
    if code != 0:
        return Check("bluez", "fail", f"the system D-Bus does not answer: {out}",
                     "start D-Bus (sudo systemctl start dbus)")
    if "boolean true" not in out:
        return Check("bluez", "fail", "BlueZ is not on the system D-Bus",
                     "sudo apt-get install bluez && sudo systemctl enable --now bluetooth")
    code, out = await _command(
        dbus_send, "--system", "--print-reply", "--reply-timeout=3000", "--dest=org.bluez",
        "/", "org.freedesktop.DBus.ObjectManager.GetManagedObjects")
    if code != 0:
        return Check("bluez", "fail", f"BlueZ refuses this user: {out}",
                     "add the service user to the bluetooth group: "
                     "sudo usermod -aG bluetooth seccam")
    if "org.bluez.Adapter1" not in out:
        return Check("bluez", "warn", "BlueZ answers but has no adapter",
                     "check `bluetoothctl list`; unblock it with `rfkill unblock bluetooth`")
    return Check("bluez", "ok", "BlueZ answers on the system D-Bus with an adapter")


async def iptables_check(seccam: Seccam) -> Check:
    """The captive portal's iptables command works (only while the portal is on)."""
    if "CaptivePortal" not in seccam.settings.sections:
        return Check("iptables", "skip", "no captive portal plugin installed")
    if not seccam.settings.value("CaptivePortal", "enabled", False):
        return Check("iptables", "skip", "the captive portal is off")
    command = [str(part) for part in seccam.settings.value(
        "CaptivePortal", "iptables_command", ["iptables"])]
    code, out = await _command(*command, "-w", "5", "-t", "nat", "-S", "PREROUTING")
    shown = " ".join(command)
    if code != 0:
        last = out.splitlines()[-1] if out else f"exit status {code}"
        return Check("iptables", "fail", f"`{shown}` does not work: {last}",
                     "install iptables (sudo apt-get install iptables); as a service user, "
                     "run it through the sudo rule deploy/install.sh writes",
                     {"command": command})
    return Check("iptables", "ok", f"`{shown}` reads the nat table", None,
                 {"command": command})


# --- storage, clock, folders, limits ----------------------------------------------------------


def disk_check(folder: Path) -> Check:
    """Free space where the recordings go."""
    usage = disk_usage(folder)
    free_percent = round(100.0 * usage.free / usage.total, 1) if usage.total else 0.0
    details = {"folder": str(folder), "free_bytes": usage.free, "free_percent": free_percent}
    summary = f"{usage.free / 1e9:.2f} GB free ({free_percent} %) where recordings go ({folder})"
    fix = ("free space, or enable the storage_sd plugin's auto-delete; a USB drive for "
           "Camera.recordings_dir takes the wear off the SD card")
    if usage.free < DISK_FAIL_FREE[0] or free_percent < DISK_FAIL_FREE[1]:
        return Check("disk", "fail", summary, fix, details)
    if usage.free < DISK_WARN_FREE[0] or free_percent < DISK_WARN_FREE[1]:
        return Check("disk", "warn", summary, fix, details)
    return Check("disk", "ok", summary, None, details)


def sd_wear_check(sources: SystemSources) -> Check:
    """The SD card's own wear estimate (``life_time``), where the card reports one."""
    estimates: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for block in sorted(sources.sysfs("block").iterdir()):
            raw = read_text(block / "device" / "life_time")
            if block.name.startswith("mmcblk") and raw:
                with contextlib.suppress(ValueError):
                    estimates[block.name] = max(int(part, 16) for part in raw.split())
    if not estimates:
        return Check("sd_wear", "skip", "no SD card reports its wear here")
    device, worst_estimate = max(estimates.items(), key=lambda item: item[1])
    summary = (f"{device}: up to {min(worst_estimate, 10) * 10} % of its rated life used"
               if worst_estimate < LIFE_TIME_FAIL else f"{device}: past its rated life")
    summary += f" (life_time 0x{worst_estimate:02X})"
    details = {"device": device, "life_time_est": f"0x{worst_estimate:02X}"}
    fix = "replace the SD card soon (an endurance card), or record to a USB drive"
    if worst_estimate >= LIFE_TIME_FAIL:
        return Check("sd_wear", "fail", summary, fix, details)
    if worst_estimate >= LIFE_TIME_WARN:
        return Check("sd_wear", "warn", summary, fix, details)
    return Check("sd_wear", "ok", summary, None, details)


async def clock_check(seccam: Seccam, *, quick: bool = False) -> Check:
    """The clock is set (a Pi has no battery clock), so recordings are not dated 1970."""
    now = time.time()
    shown = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(now))
    fix = ("connect the Pi to a network with internet time (NTP), or fit a real-time clock; "
           "check with timedatectl")
    if now < CLOCK_SANE_AFTER:
        return Check("clock", "fail", f"the clock is not set: it says {shown}", fix)
    recordings = media_layout(seccam).recordings_dir
    early = await asyncio.to_thread(_early_recordings, recordings)
    if early:
        return Check("clock", "warn", f"{len(early)} recordings are dated before 2000 "
                     f"(e.g. {early[0]}): they were made before the clock was set", fix,
                     {"early_recordings": len(early)})
    if not quick and shutil.which("timedatectl"):
        code, out = await _command("timedatectl", "show", "-p", "NTPSynchronized", "--value")
        if code == 0 and out == "no":
            return Check("clock", "warn", f"{shown}, not synchronised with network time yet",
                         fix)
    return Check("clock", "ok", f"set: {shown}")


def _early_recordings(folder: Path) -> list[str]:
    """Recordings named before 2000, oldest first. One pass over the folder's entries
    (it may hold 100,000 recordings): only the few matches are kept and sorted."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries
                          if entry.name.startswith("output_") and entry.name < "output_2000"
                          and entry.name.endswith(".mp4"))
    except OSError:
        return []


def data_folder_check(data_dir: Path) -> Check:
    """The data folder belongs to this user and the settings file is private."""
    details: dict[str, Any] = {"data_dir": str(data_dir), "user_id": os.geteuid()}
    if not data_dir.is_dir():
        return Check("data_folder", "fail", f"{data_dir} does not exist",
                     f"create it for the service user: sudo install -d -o seccam -g seccam "
                     f"-m 0750 {data_dir}", details)
    if not os.access(data_dir, os.W_OK | os.X_OK):
        return Check("data_folder", "fail", f"{data_dir} is not writable by this user",
                     f"sudo chown -R seccam:seccam {data_dir} (run seccam as its owner)",
                     details)
    settings = data_dir / "settings.json"
    with contextlib.suppress(FileNotFoundError):
        info = settings.stat()
        details["settings_mode"] = oct(stat.S_IMODE(info.st_mode))
        if info.st_mode & 0o077:
            return Check("data_folder", "warn",
                         f"{settings} is readable by other users (it holds the token)",
                         f"chmod 600 {settings}", details)
        if info.st_uid != os.geteuid():
            return Check("data_folder", "warn", f"{settings} belongs to another user "
                         f"(uid {info.st_uid})", f"sudo chown -R seccam:seccam {data_dir}, "
                         "and run seccam as that user", details)
    return Check("data_folder", "ok", f"{data_dir} is writable and settings are private",
                 None, details)


async def descriptors_check(*, quick: bool = False) -> Check:
    """The open-file limit: event streams, segments, logs and sockets all take one."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit, whose = soft, "this process"
    if not quick and "INVOCATION_ID" not in os.environ and shutil.which("systemctl"):
        # Run by hand: the service's own limit is what matters.
        code, out = await _command("systemctl", "show", "seccam", "-p", "LoadState",
                                   "-p", "LimitNOFILE")
        shown = dict(line.partition("=")[::2] for line in out.splitlines())
        if code == 0 and shown.get("LoadState") == "loaded" and shown.get(
                "LimitNOFILE", "").isdigit():
            limit, whose = int(shown["LimitNOFILE"]), "seccam.service"
    details = {"limit": limit, "of": whose}
    if limit < DESCRIPTORS_WANTED:
        return Check("descriptors", "warn", f"{whose} may open {limit} files",
                     f"set LimitNOFILE={DESCRIPTORS_WANTED} in the unit "
                     "(deploy/seccam.service has it)", details)
    return Check("descriptors", "ok", f"{whose} may open {limit} files", None, details)
