"""The media plugin: the camera, the recorder action, snapshots, timelapse and the archive.

Owns the ``Camera`` and ``Timelapse`` settings sections; provides the ``CAMERA``,
``RECORDER`` and ``ARCHIVE`` services (and ``MEDIA`` for the core); contributes the
``recorder`` action (reacts to ``recording_request``) and the media endpoints.
"""

from __future__ import annotations

import logging

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import media as media_api
from seccam_core.api import timelapse as timelapse_api
from seccam_core.contributions import ActionContext, ActionType, SettingsSection
from seccam_core.events import Event
from seccam_core.incidents import INCIDENTS, IncidentTracker
from seccam_core.media.recorder import RecorderUnavailable
from seccam_core.media.sections import CAMERA_SECTION, TIMELAPSE_SECTION, camera_check
from seccam_core.media.service import MEDIA, MediaService
from seccam_core.runtime import Seccam

log = logging.getLogger(__name__)

async def run_recorder(event: Event, ctx: ActionContext) -> None:
    """Start a sensor recording on ``recording_request`` active, stop it when inactive."""
    media = ctx.seccam.get(MEDIA)
    if media is None:
        return
    recorder = media.recorder
    incident_id = event.data.get("incident_id")
    if event.data.get("active"):
        try:
            recording = await recorder.start("sensor", sensor_type=event.data.get("sensor_type"),
                                             incident_id=incident_id,
                                             sensors=[str(s) for s in
                                                      event.data.get("sensors") or ()])
            if incident_id and recording.incident_id != incident_id:
                # A manual recording runs: it goes on, and this incident has no clip.
                ctx.seccam.bus.publish("recording_failed", {
                    "path": None, "incident_id": incident_id,
                    "error": "another recording was running"})
        except RecorderUnavailable as exc:
            log.error("sensor recording not started: %s", exc)
            ctx.seccam.bus.publish("recording_state", {
                "recording": False, "reason": "sensor", "error": str(exc),
                "incident_id": event.data.get("incident_id")})
    else:
        await recorder.stop(reason="sensor", wait=False)


RECORDER_ACTION = ActionType(
    name="recorder",
    events=frozenset({"recording_request"}),
    run=run_recorder,
    timeout=30.0,
    description="Records while a sensor asks for it, starting with the pre-roll.",
)


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Camera`` and ``Timelapse`` sections."""
    return [CAMERA_SECTION, TIMELAPSE_SECTION]


@hookimpl
def seccam_actions() -> list[ActionType]:
    """The builtin recorder."""
    return [RECORDER_ACTION]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """Snapshots, recordings, the archive and timelapse endpoints."""
    return [media_api.blueprint, timelapse_api.blueprint]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Start the camera pipeline, the timelapse worker; index the archive."""
    # Before anything reads it: a stored folder or source that breaks the rules falls
    # back to the defaults instead of failing the plugin.
    seccam.settings.add_check(CAMERA_SECTION.name, camera_check(seccam.data_dir))
    media = MediaService(seccam)
    media.provide_services()
    await media.start()
    tracker = IncidentTracker(seccam.bus, media.snapshot)
    seccam.provide(INCIDENTS, tracker)
    tracker.start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Finish the running recording, then stop every ffmpeg process."""
    media = seccam.get(MEDIA)
    if media is not None:
        await media.stop()
        media.withdraw_services()
    tracker = seccam.withdraw(INCIDENTS)
    if tracker is not None:
        await tracker.stop()
