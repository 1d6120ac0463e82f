"""The core's health plugin: ``cpu_temp`` and ``throttle``, the alert sampler, the
``System`` section and the system endpoints (info, stats, alerts, restart, reboot,
update check)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import system
from seccam_core.contributions import AlertMetric, SettingsSection
from seccam_core.files import system_path_problem
from seccam_core.runtime import Seccam
from seccam_core.system.alert_metrics import core_metrics
from seccam_core.system.alerts import AlertSampler
from seccam_core.system.metrics import CpuLoadMeter
from seccam_core.system.power import PowerControl
from seccam_core.system.service import HEALTH, SECTION, SystemHealth

_COMMAND = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 500},
    "minItems": 1,
    "maxItems": 32,
}

SYSTEM_SECTION = SettingsSection(
    name=SECTION,
    description="Restart and reboot commands, the checkout the update check looks at, and "
    "how often health metrics are sampled. The commands and the repository can only be "
    "changed in settings.json, never through the API.",
    schema={
        "type": "object",
        "properties": {
            "restart_command": {
                **_COMMAND,
                "description": "Argument list (no shell) that restarts the seccam service.",
            },
            "reboot_command": {
                **_COMMAND,
                "description": "Argument list (no shell) that reboots the machine.",
            },
            "update_repo": {
                "type": "string",
                "maxLength": 1000,
                "description": "The git checkout /system/update/check fetches; empty: the "
                "folder seccam runs from.",
            },
            "alert_interval_seconds": {
                "type": "number",
                "minimum": 0.1,
                "maximum": 86400,
                "description": "Seconds between two samples of the health metrics.",
            },
        },
        "additionalProperties": False,
    },
    defaults={
        # sudo -n never waits for a password: without a sudoers rule it fails at once.
        "restart_command": ["sudo", "-n", "systemctl", "restart", "seccam"],
        "reboot_command": ["sudo", "-n", "systemctl", "reboot"],
        "update_repo": "",
        "alert_interval_seconds": 60,
    },
    # A command or a repository (whose config may name programs) set through the API
    # would turn a leaked token into code execution.
    internal_fields=frozenset({"restart_command", "reboot_command", "update_repo"}),
)


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``System`` section."""
    return [SYSTEM_SECTION]


@hookimpl
def seccam_alert_metrics() -> list[AlertMetric]:
    """``cpu_temp`` (65 / 80 °C) and ``throttle`` (critical on any active flag)."""
    return core_metrics()


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """The system endpoints."""
    return [system.blueprint]


def _repo_check(data_dir: Path) -> Any:
    def check(new: Mapping[str, Any], previous: Mapping[str, Any]) -> str | None:
        repo = new.get("update_repo") or ""
        return system_path_problem("System.update_repo", repo, data_dir) if repo else None

    return check


@hookimpl
def seccam_startup(seccam: Seccam) -> None:
    """Start the alert sampler; its first sample is taken at once."""
    seccam.settings.add_check(SYSTEM_SECTION.name, _repo_check(seccam.data_dir))
    load = CpuLoadMeter()
    load.per_core()  # the first reading: the window starts now

    def extra_values(values: dict[str, Any]) -> dict[str, Any]:
        # The original's toast fields, kept for existing dashboards.
        storage = values.get("storage")
        return {
            "temp": values.get("cpu_temp"),
            "load": load.busiest(),
            "storage_pct": storage if isinstance(storage, int | float) else None,
        }

    sampler = AlertSampler(
        seccam.alert_metrics,
        seccam.bus.publish,
        lambda: float(seccam.settings.value(SECTION, "alert_interval_seconds", 60)),
        extra_values,
    )
    seccam.provide(HEALTH, SystemHealth(sampler, load, PowerControl()))
    sampler.start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop the sampler and drop restart/reboot commands still waiting for their delay."""
    health = seccam.withdraw(HEALTH)
    if health is not None:
        await health.sampler.stop()
        await health.power.cancel_pending()
