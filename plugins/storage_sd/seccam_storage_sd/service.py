"""The per-app storage objects, provided as the ``STORAGE`` service."""

from __future__ import annotations

from dataclasses import dataclass

from seccam_core import Seccam, ServiceKey
from seccam_storage_sd.inventory import InventoryCache
from seccam_storage_sd.policy import OldestRecordingsFirst


@dataclass
class StorageService:
    """The running policy and the media inventory of one app."""

    policy: OldestRecordingsFirst
    inventory: InventoryCache


def storage_of(seccam: Seccam) -> StorageService | None:
    """The app's :class:`StorageService`, ``None`` before startup or when it failed."""
    return seccam.get(STORAGE)


STORAGE: ServiceKey[StorageService] = ServiceKey("storage", "the storage_sd plugin")
