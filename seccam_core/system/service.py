"""The per-app system health objects, offered to the endpoints as the ``HEALTH`` service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seccam_core.services import ServiceKey
from seccam_core.system.alerts import AlertSampler
from seccam_core.system.metrics import CpuLoadMeter
from seccam_core.system.power import PowerControl

if TYPE_CHECKING:
    from seccam_core.runtime import Seccam

HEALTH: ServiceKey[SystemHealth] = ServiceKey("health", "the health plugin (builtin.health)")
SECTION = "System"


@dataclass
class SystemHealth:
    """The alert sampler, the CPU load meter and the restart/reboot runner of one app."""

    sampler: AlertSampler
    load: CpuLoadMeter
    power: PowerControl


def health_of(seccam: Seccam) -> SystemHealth:
    """The app's :class:`SystemHealth` (set up by the builtin health plugin at startup)."""
    return seccam.require(HEALTH)
