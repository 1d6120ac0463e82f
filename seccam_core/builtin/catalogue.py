"""The catalogue plugin: the archive catalogue and event history in SQLite, the
``History`` section and the history endpoints.

Registered before the media plugin: the media service answers from
the ``CATALOGUE`` service's archive, and stops before the catalogue closes.
"""

from __future__ import annotations

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import history as history_api
from seccam_core.catalogue.history import HISTORY_SECTION
from seccam_core.catalogue.service import CATALOGUE, Catalogue
from seccam_core.contributions import SettingsSection
from seccam_core.runtime import Seccam


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``History`` section: retention by age and size, the health sample interval."""
    return [HISTORY_SECTION]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``/events/history``, ``/event_history`` (+ ``/csv``), ``/health_history``."""
    return [history_api.blueprint]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Open the catalogue (answers at once; the folders are reconciled behind)."""
    catalogue = Catalogue(seccam)
    seccam.provide(CATALOGUE, catalogue)
    await catalogue.start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Close the database once the media service has stopped writing to it."""
    catalogue = seccam.withdraw(CATALOGUE)
    if isinstance(catalogue, Catalogue):
        await catalogue.stop()
