"""System endpoints: info, stats, alert state, restart, reboot and the update check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from quart import Blueprint, request

from seccam_core.api.context import current_seccam
from seccam_core.api.deploy import DEPLOY_FIELDS, running_checkout
from seccam_core.api.validation import message_answer, responds
from seccam_core.contributions import AlertLevel
from seccam_core.deploy import checkout_dir, deploy_info
from seccam_core.media.layout import media_layout
from seccam_core.runtime import Seccam
from seccam_core.system import info, update
from seccam_core.system.metrics import THROTTLE_FLAGS
from seccam_core.system.service import SECTION, health_of

blueprint = Blueprint("system", __name__)

RESTART_DELAY = 1.0
REBOOT_DELAY = 2.0


def _object(properties: dict[str, Any], *, nullable: bool = False,
            description: str = "") -> dict[str, Any]:
    """An object schema with every one of ``properties`` required."""
    schema: dict[str, Any] = {"type": ["object", "null"] if nullable else "object",
                              "properties": properties, "required": list(properties)}
    if description:
        schema["description"] = description
    return schema


NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
STRING = {"type": "string"}
CELSIUS = {"type": ["number", "null"], "description": "SoC temperature in °C; null off a Pi"}
BUSIEST_CORE = {"type": ["number", "null"],
                "description": "busy percent of the busiest core; null before a second reading"}
THROTTLE = _object(
    {"raw": {"type": "string", "description": "the firmware's flags in hex, e.g. 0x50005"},
     **{name: {"type": "boolean"} for name in THROTTLE_FLAGS.values()}},
    nullable=True,
    description="the firmware's throttle flags (now, and occurred since boot); null off a Pi",
)
SD_HEALTH = {
    "type": ["object", "null"],
    "properties": {
        "device": {"type": "string", "description": "the block device, e.g. mmcblk0"},
        "life_time_est": {"type": ["string", "null"],
                          "description": "the card's wear estimate (0x01 new .. 0x0B worn)"},
        "gb_written_since_boot": {"type": ["number", "null"]},
    },
    "description": "the SD card's wear and its sysfs identity files (name, serial, date "
                   "...: strings or null), from a plugin's sd_health metric; null without "
                   "that plugin or a card",
}
MEGABYTES = {"total_mb": INTEGER, "used_mb": INTEGER}
SYSTEM_INFO_FIELDS: dict[str, Any] = {
    "cpu_temp_celsius": CELSIUS,
    "cpu_load_percent": BUSIEST_CORE,
    "storage_info_gb": _object({"total_gb": NUMBER, "used_gb": NUMBER},
                               description="the filesystem holding the recordings"),
    "ram_usage_mb": _object(MEGABYTES),
    "uptime_seconds": INTEGER,
    "throttle": THROTTLE,
    "sd_health": SD_HEALTH,
    "night_mode": {"type": ["boolean", "null"],
                   "description": "whether the IR night mode is on; null without night vision"},
}
SYSTEM_STATS_FIELDS: dict[str, Any] = {
    "process_count": INTEGER,
    "cpu_count": INTEGER,
    "cpu_per_core_percent": {"type": "array", "items": NUMBER,
                             "description": "busy percent of each core (empty at first)"},
    "hostname": STRING,
    "boot_time": {"type": "string", "format": "date-time"},
    "network_io": _object({name: INTEGER for name in (
        "bytes_sent", "bytes_recv", "packets_sent", "packets_recv")}),
    "swap": _object({**MEGABYTES, "percent": NUMBER}),
    "load_average": _object({"1m": NUMBER, "5m": NUMBER, "15m": NUMBER}),
    "platform": _object({**{name: STRING for name in (
        "system", "release", "os", "python", "architecture")}, **DEPLOY_FIELDS}),
    **DEPLOY_FIELDS,
}
SYSTEM_STATS = _object({**SYSTEM_INFO_FIELDS, **SYSTEM_STATS_FIELDS})
SYSTEM_INFO = {
    **SYSTEM_STATS,
    "required": list(SYSTEM_INFO_FIELDS),
    "description": "with extended=1, every field of /system_stats too",
}
LEVEL = {"type": "string", "enum": [level.value for level in AlertLevel]}
ALERT_STATE = _object({
    "overall": {**LEVEL, "description": "the worst level (unavailable counts as ok)"},
    "alerts": {"type": "object", "additionalProperties": LEVEL,
               "description": "each health metric's level, by metric name"},
    "values": {
        "type": "object",
        "properties": {
            "cpu_temp": CELSIUS,
            "throttle": THROTTLE,
            "temp": {**CELSIUS, "description": "cpu_temp again (the original's name)"},
            "load": BUSIEST_CORE,
            "storage_pct": {"type": ["number", "null"],
                            "description": "the storage metric's percent used, if any"},
        },
        "description": "each metric's raw value, by metric name (empty before the first "
                       "sample)",
    },
})
UPDATE_CHECK = {
    "type": "object",
    "properties": {
        "available": {"type": "boolean", "description": "whether the remote branch is ahead"},
        "error": {"type": "string", "description": "why the check could not be made"},
        "branch": STRING,
        "local_commit": {"type": "string", "description": "HEAD, 8 hex digits"},
        "remote_commit": {"type": "string", "description": "the remote branch, 8 hex digits"},
        "commits_behind": INTEGER,
        "summary": {"type": "string", "description": "one line per new commit (at most 20)"},
    },
    "required": ["available"],
}


async def _system_info(seccam: Seccam) -> dict[str, Any]:
    return await asyncio.to_thread(
        info.system_info,
        media_folder=media_layout(seccam).recordings_dir,
        load=health_of(seccam).load,
        metrics=seccam.alert_metrics,
    )


async def _running_deploy_info() -> dict[str, str | None]:
    """The branch and commit of the code this process runs, as ``/deploy_info`` says."""
    return await deploy_info(running_checkout())


async def _system_stats(seccam: Seccam) -> dict[str, Any]:
    result = await _system_info(seccam)
    result.update(await asyncio.to_thread(info.system_stats, health_of(seccam).load))
    deploy = await _running_deploy_info()
    result["platform"].update(deploy)
    result.update(deploy)
    return result


@blueprint.get("/system_info")
@responds(200, schema=SYSTEM_INFO)
async def get_system_info() -> dict:
    """CPU temperature and load, storage, RAM, uptime, throttle flags, SD card health."""
    seccam = current_seccam()
    if request.args.get("extended", "").lower() in {"1", "true", "yes"}:
        return await _system_stats(seccam)
    return await _system_info(seccam)


@blueprint.get("/system_stats")
@responds(200, schema=SYSTEM_STATS)
async def get_system_stats() -> dict:
    """``/system_info`` plus processes, cores, network, swap, platform and deploy info."""
    return await _system_stats(current_seccam())


@blueprint.get("/system_alert_state")
@blueprint.get("/system/alert")  # the seed's summary-table spelling
@responds(200, schema=ALERT_STATE)
async def get_alert_state() -> dict:
    """The health alert levels: ``{overall, alerts: {metric: level}, values}``."""
    return dict(health_of(current_seccam()).sampler.state)


def _schedule(seccam: Seccam, field: str, delay: float, action: str) -> str | None:
    """Schedule the command; the action already in progress instead, if there is one."""
    command = seccam.settings.value(SECTION, field)
    busy = health_of(seccam).power.schedule(command, delay, action)
    if busy is None:
        seccam.bus.publish("system_power", {"action": action, "delay_seconds": delay})
    return busy


POWER_ANSWER = message_answer(in_progress={
    "type": "string", "enum": ["restart", "reboot"],
    "description": "present when this request started nothing: the action already waiting "
                   "or running"})


@blueprint.post("/system/restart")
@responds(200, schema=POWER_ANSWER)
async def restart() -> dict:
    """Restart the seccam service, one second after answering (once: see ``in_progress``)."""
    busy = _schedule(current_seccam(), "restart_command", RESTART_DELAY, "restart")
    if busy is not None:
        return {"message": f"A {busy} is already in progress", "in_progress": busy}
    return {"message": "Restarting services..."}


@blueprint.post("/system/reboot")
@responds(200, schema=POWER_ANSWER)
async def reboot() -> dict:
    """Reboot the machine, two seconds after answering (once: see ``in_progress``)."""
    busy = _schedule(current_seccam(), "reboot_command", REBOOT_DELAY, "reboot")
    if busy is not None:
        return {"message": f"A {busy} is already in progress", "in_progress": busy}
    return {"message": "Rebooting..."}


def update_repo(seccam: Seccam) -> Path:
    """``System.update_repo``; else the checkout the code runs from, else the working folder.

    An install with ``pip install .`` runs from site-packages: the systemd unit's
    ``WorkingDirectory`` (the clone) is then the checkout to look at.
    """
    return checkout_dir(seccam.settings.value(SECTION, "update_repo") or None) or Path.cwd()


@blueprint.get("/system/update/check")
@responds(200, schema=UPDATE_CHECK)
async def update_check() -> dict:
    """``git fetch`` (20 s), then whether the checkout is behind its remote branch."""
    repo = update_repo(current_seccam())
    return await update.check_for_update(repo, fetch_timeout=update.FETCH_TIMEOUT_SECONDS)
