"""System endpoints: info, stats, alert state, restart, reboot and the update check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from quart import Blueprint, request

from seccam_core.api.context import current_seccam
from seccam_core.deploy import PROJECT_DIR, deploy_info
from seccam_core.media.layout import media_layout
from seccam_core.runtime import Seccam
from seccam_core.system import info, update
from seccam_core.system.service import SECTION, health_of

blueprint = Blueprint("system", __name__)

RESTART_DELAY = 1.0
REBOOT_DELAY = 2.0


async def _system_info(seccam: Seccam) -> dict[str, Any]:
    night_vision = seccam.services.get("night_vision")
    return await asyncio.to_thread(
        info.system_info,
        media_folder=media_layout(seccam).recordings_dir,
        load=health_of(seccam).load,
        metrics=seccam.alert_metrics,
        night_mode=getattr(night_vision, "active", None),
    )


_deploy_cache: dict[str, str | None] = {}


async def _running_deploy_info() -> dict[str, str | None]:
    """The branch and commit of the code this process runs: asked once (two git runs)."""
    if not _deploy_cache:
        _deploy_cache.update(await deploy_info())
    return dict(_deploy_cache)


async def _system_stats(seccam: Seccam) -> dict[str, Any]:
    result = await _system_info(seccam)
    result.update(await asyncio.to_thread(info.system_stats, health_of(seccam).load))
    deploy = await _running_deploy_info()
    result["platform"].update(deploy)
    result.update(deploy)
    return result


@blueprint.get("/system_info")
async def get_system_info() -> dict:
    """CPU temperature and load, storage, RAM, uptime, throttle flags, SD card health."""
    seccam = current_seccam()
    if request.args.get("extended", "").lower() in {"1", "true", "yes"}:
        return await _system_stats(seccam)
    return await _system_info(seccam)


@blueprint.get("/system_stats")
async def get_system_stats() -> dict:
    """``/system_info`` plus processes, cores, network, swap, platform and deploy info."""
    return await _system_stats(current_seccam())


@blueprint.get("/system_alert_state")
async def get_alert_state() -> dict:
    """The health alert levels: ``{overall, alerts: {metric: level}, values}``."""
    return dict(health_of(current_seccam()).sampler.state)


@blueprint.get("/system/alert")
async def get_alert_state_short() -> dict:
    """The health alert levels (the seed's summary-table spelling of ``/system_alert_state``)."""
    return await get_alert_state()


def _schedule(seccam: Seccam, field: str, delay: float, action: str) -> None:
    command = seccam.settings.value(SECTION, field)
    health_of(seccam).power.schedule(command, delay, action)
    seccam.bus.publish("system_power", {"action": action, "delay_seconds": delay})


@blueprint.post("/system/restart")
async def restart() -> dict:
    """Restart the seccam service, one second after answering."""
    _schedule(current_seccam(), "restart_command", RESTART_DELAY, "restart")
    return {"message": "Restarting services..."}


@blueprint.post("/system/reboot")
async def reboot() -> dict:
    """Reboot the machine, two seconds after answering."""
    _schedule(current_seccam(), "reboot_command", REBOOT_DELAY, "reboot")
    return {"message": "Rebooting..."}


def update_repo(seccam: Seccam) -> Path:
    """``System.update_repo``; else the checkout the code runs from, else the working folder.

    An install with ``pip install .`` runs from site-packages: the systemd unit's
    ``WorkingDirectory`` (the clone) is then the checkout to look at.
    """
    configured = seccam.settings.value(SECTION, "update_repo") or ""
    if configured:
        return Path(configured)
    if (PROJECT_DIR / ".git").exists():
        return PROJECT_DIR
    return Path.cwd()


@blueprint.get("/system/update/check")
async def update_check() -> dict:
    """``git fetch`` (20 s), then whether the checkout is behind its remote branch."""
    repo = update_repo(current_seccam())
    return await update.check_for_update(repo, fetch_timeout=update.FETCH_TIMEOUT_SECONDS)
