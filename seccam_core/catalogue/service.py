"""The catalogue service: the database, the archive and the history of one app.

Offered as the ``CATALOGUE`` service by the builtin catalogue plugin, which
starts before the media plugin (the media service answers from ``catalogue.archive``).
In the background it checks every ``CHECK_SECONDS`` that the database file is still
there and whether a media folder changed (then reconciles), reconciles anyway every
hour (a change by hand can hide behind one of ours in the folder's modification time),
prunes the history every hour and keeps a health sample every
``History.health_sample_minutes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from seccam_core.catalogue.archive import Archive, ReconcileReport
from seccam_core.catalogue.database import Database
from seccam_core.catalogue.history import SECTION, History
from seccam_core.media.layout import media_layout
from seccam_core.services import ServiceKey
from seccam_core.system.service import HEALTH

if TYPE_CHECKING:
    from seccam_core.runtime import Seccam

log = logging.getLogger(__name__)

FILE_NAME = "catalogue.sqlite3"
CATALOGUE: ServiceKey[Catalogue] = ServiceKey("catalogue",
                                              "the catalogue plugin (builtin.catalogue)")
CHECK_SECONDS = 60.0
PRUNE_SECONDS = 3600.0
FULL_RECONCILE_SECONDS = 3600.0  # also when the folder's modification time did not move


class Catalogue:
    """The archive catalogue and the event history, in ``<data>/catalogue.sqlite3``."""

    def __init__(self, seccam: Seccam, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.seccam = seccam
        self.db = Database(seccam.data_dir / FILE_NAME, on_reset=self._on_reset)
        self.archive = Archive(self.db, media_layout(seccam))
        self.history = History(self.db, lambda: seccam.settings.get(SECTION))
        self.check_seconds = check_seconds
        self._remove_listener: Any = None
        self._tasks: list[asyncio.Task[None]] = []

    def _on_reset(self) -> None:
        self.archive.rebuilt()

    async def start(self) -> None:
        """Open the file (on its thread) and answer from it at once; reconcile behind."""
        self.db.start()
        self.seccam.bus.continue_after(await self.history.last_event_id())
        self.archive.open()
        self._remove_listener = self.seccam.bus.add_listener(self.history.on_event)
        self.history.prune()
        self._tasks = [
            asyncio.create_task(self._every(self.check_seconds, self.check), name="catalogue"),
            asyncio.create_task(self._every(PRUNE_SECONDS, self._prune), name="history-prune"),
            asyncio.create_task(self._every(FULL_RECONCILE_SECONDS, self.archive.reconcile),
                                name="archive-reconcile"),
            asyncio.create_task(self._sample_health(), name="health-history"),
        ]

    async def stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        self._tasks = []
        self.history.flush()  # queued before close: the close finishes foreground jobs
        await asyncio.to_thread(self.db.close)

    async def check(self) -> None:
        """Recreate a deleted database; reconcile a folder whose contents changed."""
        await self.db.run(self.db.check_file, background=True)
        await self.archive.reconcile(only_if_changed=True)

    async def reconcile(self) -> ReconcileReport | None:
        """On demand: recreate a deleted database, then compare with the folder now."""
        await self.db.run(self.db.check_file)
        return await self.archive.reconcile()

    async def _prune(self) -> None:
        await asyncio.wrap_future(self.history.prune())

    @staticmethod
    async def _every(seconds: float, work: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except Exception:
                log.exception("catalogue upkeep failed; it runs again in %s s", seconds)

    async def _sample_health(self) -> None:
        last = time.monotonic()
        while True:
            # Looked at every second, so a new interval applies at once.
            await asyncio.sleep(1.0)
            minutes = float(self.seccam.settings.value(SECTION, "health_sample_minutes", 5))
            if time.monotonic() - last < minutes * 60:
                continue
            last = time.monotonic()
            health = self.seccam.get(HEALTH)
            sampler = health.sampler if health is not None else None
            if sampler is None or not getattr(sampler, "samples", 0):
                continue
            with contextlib.suppress(RuntimeError):
                await asyncio.wrap_future(self.history.record_health(sampler.state))
