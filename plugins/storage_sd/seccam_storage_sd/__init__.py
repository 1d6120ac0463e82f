"""seccam-storage-sd: keeps the media storage from filling up, and watches the SD card.

* ``StorageLimit`` settings (``enabled``, ``max_percent``), ``/storage/status``,
  ``/storage/configure``, ``/storage/cleanup``;
* the ``oldest_recordings_first`` storage policy (periodic, and after each recording);
* the ``storage`` and ``sd_health`` alert metrics.
"""

from __future__ import annotations

from quart import Blueprint

from seccam_core import AlertMetric, Event, Seccam, SettingsSection, StoragePolicy, hookimpl
from seccam_storage_sd import api
from seccam_storage_sd.health import sd_health_metric, storage_metric
from seccam_storage_sd.inventory import InventoryCache
from seccam_storage_sd.policy import POLICY_NAME, OldestRecordingsFirst
from seccam_storage_sd.section import STORAGE_SECTION
from seccam_storage_sd.service import STORAGE, StorageService, storage_of


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``StorageLimit`` section: ``enabled`` (false), ``max_percent`` (85)."""
    return [STORAGE_SECTION]


@hookimpl
def seccam_storage_policies() -> list[StoragePolicy]:
    """Oldest recordings (with their sidecars) and snapshots first, until under
    ``max_percent``."""
    return [OldestRecordingsFirst()]


@hookimpl
def seccam_alert_metrics(seccam: Seccam) -> list[AlertMetric]:
    """``storage`` (85 / 95 % of the media filesystem) and ``sd_health`` (0x03 / 0x0B)."""
    return [storage_metric(seccam), sd_health_metric()]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``/storage/status``, ``/storage/configure``, ``/storage/cleanup``."""
    return [api.blueprint]


@hookimpl
def seccam_startup(seccam: Seccam) -> None:
    """Start the policy's schedule and keep the media inventory fresh."""
    policy = seccam.storage_policies.get(POLICY_NAME)
    if not isinstance(policy, OldestRecordingsFirst):
        return
    inventory = InventoryCache()

    def forget_inventory(event: Event) -> None:
        if event.type == "archive_updated":
            inventory.invalidate()

    seccam.bus.add_listener(forget_inventory)
    seccam.provide(STORAGE, StorageService(policy, inventory))
    policy.start(seccam)


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop the policy's schedule."""
    service = storage_of(seccam)
    if service is not None:
        await service.policy.stop()
        seccam.withdraw(STORAGE)
