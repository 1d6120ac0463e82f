"""The per-app storage objects, offered as ``seccam.services["storage"]``."""

from __future__ import annotations

from dataclasses import dataclass

from seccam_core.runtime import Seccam
from seccam_storage_sd.inventory import InventoryCache
from seccam_storage_sd.policy import OldestRecordingsFirst

SERVICE = "storage"


@dataclass
class StorageService:
    """The running policy and the media inventory of one app."""

    policy: OldestRecordingsFirst
    inventory: InventoryCache


def storage_of(seccam: Seccam) -> StorageService | None:
    """The app's :class:`StorageService`, ``None`` before startup or when it failed."""
    service = seccam.services.get(SERVICE)
    return service if isinstance(service, StorageService) else None
