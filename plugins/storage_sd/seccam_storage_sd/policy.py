"""The storage policy: oldest recordings and snapshots first, periodically and after
every recording.

One worker task per app waits for the next check: the interval
(``StorageLimit.check_interval_seconds``) or a wake-up (a finished recording, a changed
setting). Checks never overlap: ``/storage/cleanup`` waits for a running one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from seccam_core import CleanupReport, Event, Seccam, StoragePolicy, media_layout
from seccam_storage_sd.cleanup import CleanupOutcome, clean_oldest_first
from seccam_storage_sd.recordings import recording_stem
from seccam_storage_sd.section import SECTION

log = logging.getLogger(__name__)

POLICY_NAME = "oldest_recordings_first"
MIB = 1024 * 1024
MAX_LISTED_DELETIONS = 100
"""Deletions announced one by one; beyond this, one summary event (SSE queues are bounded)."""


def protected_stems(seccam: Seccam) -> set[str]:
    """The recording the recorder is writing now, if there is a recorder that says so."""
    recorder = seccam.recorder
    current = recorder.current_path if recorder is not None else None
    if current is None:
        return set()
    return {recording_stem(current.name)}


def cleanup_response(enabled: bool, outcome: CleanupOutcome | None) -> dict[str, Any]:
    """The original's ``/storage/cleanup`` shapes (skipped / ok / cleaned), plus ours."""
    if not enabled or outcome is None:
        return {"enabled": False, "action": "skipped"}
    response: dict[str, Any] = {"enabled": True, "action": outcome.action}
    if outcome.action != "ok":
        response.update(
            deleted=outcome.deleted,
            freed_mb=round(outcome.freed_bytes / MIB, 1),
            freed_bytes=outcome.freed_bytes,
        )
    response.update(disk_percent=outcome.disk_percent, threshold=outcome.threshold)
    if outcome.action == "insufficient":
        response.update(needed_bytes=outcome.needed_bytes,
                        reclaimable_bytes=outcome.reclaimable_bytes, error=outcome.error)
    return response


def forget_in_archive(seccam: Seccam, deleted: list[str]) -> None:
    """Tell the media archive catalogue (if there is one) about every deleted file.

    The events carry at most ``MAX_LISTED_DELETIONS`` paths; the index must lose none.
    """
    archive = seccam.archive
    if archive is None:
        return
    for path in deleted:
        try:
            archive.forget(path)
        except Exception:
            log.exception("the archive catalogue could not forget %s", path)
            return


class OldestRecordingsFirst(StoragePolicy):
    """Deletes the oldest finished recordings (with their sidecars) and snapshots above
    ``max_percent``.

    Never the recording in progress, never anything but a recording named by the media
    layout, never outside the recordings folder, never through a symlink.
    """

    name = POLICY_NAME

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._remove_listener: Any = None
        self._last_action: str | None = None
        self.checks = 0

    # --- the check ------------------------------------------------------------------

    async def check(self, seccam: Seccam) -> dict[str, Any]:
        """Run one check now and answer in the ``/storage/cleanup`` shape."""
        limit = seccam.settings.get(SECTION)
        if not limit.get("enabled"):
            return cleanup_response(False, None)
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            folder = media_layout(seccam).recordings_dir
            outcome = await asyncio.to_thread(
                clean_oldest_first, folder, limit["max_percent"],
                lambda: protected_stems(seccam),
            )
            self.checks += 1
        self._announce(seccam, outcome)
        return cleanup_response(True, outcome)

    async def enforce(self, seccam: Seccam) -> CleanupReport:
        """One check now (the rules are the same for the cleanup button)."""
        response = await self.check(seccam)
        return CleanupReport(
            deleted=list(response.get("deleted", [])),
            freed_bytes=int(response.get("freed_bytes", 0)),
            details=response,
        )

    def _announce(self, seccam: Seccam, outcome: CleanupOutcome) -> None:
        previous, self._last_action = self._last_action, outcome.action
        forget_in_archive(seccam, outcome.deleted)
        if outcome.action == "cleaned" and outcome.deleted:
            log.warning("storage above %s%%: deleted %d recordings and snapshots, freed %.1f MB",
                        outcome.threshold, len(outcome.deleted), outcome.freed_bytes / MIB)
        elif outcome.action == "insufficient" and previous != "insufficient":
            log.error("storage above %s%%: %s", outcome.threshold, outcome.error)
        else:
            return
        seccam.bus.publish("storage_cleanup", {
            "action": outcome.action,
            "deleted": outcome.deleted[:MAX_LISTED_DELETIONS],
            "deleted_count": len(outcome.deleted),
            "freed_bytes": outcome.freed_bytes,
            "disk_percent": outcome.disk_percent,
            "threshold": outcome.threshold,
            **({"error": outcome.error} if outcome.error else {}),
        })
        for path in outcome.deleted[:MAX_LISTED_DELETIONS]:
            seccam.bus.publish("archive_updated", {"path": path, "type": "deleted"})
        rest = len(outcome.deleted) - MAX_LISTED_DELETIONS
        if rest > 0:
            folder = str(media_layout(seccam).recordings_dir)
            seccam.bus.publish("archive_updated", {"path": folder, "type": "deleted",
                                                   "count": rest})

    # --- the schedule ---------------------------------------------------------------

    def wake(self) -> None:
        """Ask for a check as soon as possible (coalesced with one already asked for)."""
        if self._wake is not None:
            self._wake.set()

    def _on_event(self, event: Event) -> None:
        finished = event.type == "archive_updated" and event.data.get("type") == "recording"
        reconfigured = (event.type == "settings_changed"
                        and SECTION in event.data.get("sections", ()))
        if finished or reconfigured:
            self.wake()

    def start(self, seccam: Seccam) -> None:
        """Check now, then every interval and after every finished recording."""
        self._wake = asyncio.Event()
        self._wake.set()
        self._remove_listener = seccam.bus.add_listener(self._on_event)
        self._task = asyncio.get_running_loop().create_task(
            self._run(seccam), name="seccam-storage-policy"
        )

    async def _run(self, seccam: Seccam) -> None:
        assert self._wake is not None
        while True:
            interval = float(seccam.settings.value(SECTION, "check_interval_seconds", 300))
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that arrives as the event is set, and the task would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.check(seccam)
            except Exception:
                log.exception("storage check failed; the next one runs as scheduled")

    async def stop(self) -> None:
        """Stop the schedule (a check in its worker thread finishes on its own)."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait() neither raises the task's cancellation nor swallows our own.
            await asyncio.wait([task])
