"""The media service: one camera pipeline, the recorder, snapshots, timelapse, the archive.

Built by the builtin media plugin at startup and offered as the ``MEDIA`` service
(with ``CAMERA``, ``RECORDER`` and ``ARCHIVE`` beside it). It applies ``Camera`` and
``Timelapse`` settings changes while running, keeps the archive catalogue in step with
deletions announced on the bus and with the recordings folder (a new
``Camera.recordings_dir`` switches the catalogue's scope before the settings write
answers), and stops every ffmpeg process on shutdown. The archive is the catalogue
plugin's (``CATALOGUE``), started before this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccam_core.catalogue.archive import Archive
from seccam_core.catalogue.service import CATALOGUE
from seccam_core.events import Event
from seccam_core.media import stills
from seccam_core.media.camera import CameraConfig, CameraPipeline
from seccam_core.media.ffmpeg import FfmpegRunner
from seccam_core.media.layout import MediaLayout, media_layout, unique_name
from seccam_core.media.live_frame import LiveFrame
from seccam_core.media.live_video import LiveVideo
from seccam_core.media.recorder import Recorder
from seccam_core.media.timelapse import Timelapse
from seccam_core.services import ARCHIVE, CAMERA, RECORDER, SNAPSHOTS, ServiceKey

if TYPE_CHECKING:
    from seccam_core.runtime import Seccam

log = logging.getLogger(__name__)

MEDIA: ServiceKey[MediaService] = ServiceKey("media", "the media plugin (builtin.media)")
"""The whole media service, as the core's own endpoints use it (not for plugins)."""

SNAPSHOT_TIMEOUT = 10.0



class MediaService:
    """Owns every media component of one app."""

    def provide_services(self) -> None:
        """Offer the camera, the recorder and the archive to the other plugins."""
        self.seccam.provide(MEDIA, self)
        self.seccam.provide(CAMERA, self.camera)
        self.seccam.provide(RECORDER, self.recorder)
        self.seccam.provide(ARCHIVE, self.archive)
        self.seccam.provide(SNAPSHOTS, self)

    def withdraw_services(self) -> None:
        """Take them away again at shutdown."""
        self.seccam.withdraw(MEDIA)
        self.seccam.withdraw(CAMERA)
        self.seccam.withdraw(RECORDER)
        self.seccam.withdraw(ARCHIVE)
        self.seccam.withdraw(SNAPSHOTS)

    def __init__(self, seccam: Seccam, runner: FfmpegRunner | None = None) -> None:
        self.seccam = seccam
        self.runner = runner or FfmpegRunner()
        self.layout: MediaLayout = media_layout(seccam)
        self.archive: Archive = seccam.require(CATALOGUE).archive
        camera_dir = seccam.data_dir / "camera"
        publish = seccam.bus.publish
        self.camera = CameraPipeline(
            self.runner, camera_dir / "ring", self._camera_config(), publish
        )
        self.recorder = Recorder(
            self.camera, self.runner, lambda: self.layout, lambda: self.archive,
            camera_dir / "work", publish,
            max_seconds=lambda: float(seccam.settings.value("Camera", "max_recording_seconds",
                                                            3600)),
            after_recording=self._after_recording,
        )
        self.timelapse = Timelapse(
            self.camera, self.runner, lambda: self.layout, lambda: self.archive,
            lambda: seccam.settings.get("Timelapse"), publish,
        )
        self.live_frame = LiveFrame(self.camera, self.runner, camera_dir / "live")
        self.live_video = LiveVideo(self.camera, camera_dir / "live" / "hls")
        self._remove_listener: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._shared_snapshot: tuple[int, asyncio.Future[Path]] | None = None

    def _camera_config(self) -> CameraConfig:
        return CameraConfig.from_settings(self.seccam.settings.get("Camera"))

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.layout.ensure)
        self._remove_listener = self.seccam.bus.add_listener(self._on_event)
        await asyncio.to_thread(self.live_video.start)
        await self.camera.start()
        self._spawn(self.recorder.recover(), "recover-recordings")
        await self.timelapse.start()

    async def stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
        await self.timelapse.stop()
        await self.recorder.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.camera.stop()
        await asyncio.to_thread(self.live_video.stop)
        await self.runner.close()

    # --- snapshots ------------------------------------------------------------------------

    async def snapshot(self) -> Path:
        """One JPEG from the live camera into the recordings folder, never overwriting.

        Requests arriving while a capture started in the same second is running share
        it (and its path): a burst of requests costs one ffmpeg run, not one each.
        """
        second = int(time.time())
        shared = self._shared_snapshot
        if shared is not None and shared[0] == second and not shared[1].done():
            return await asyncio.shield(shared[1])
        capture = asyncio.ensure_future(self._capture_snapshot())
        self._shared_snapshot = (second, capture)
        return await asyncio.shield(capture)

    async def _capture_snapshot(self) -> Path:
        await self.camera.wait_while_starting()
        segment = self.camera.fresh_segment()
        target = await asyncio.to_thread(self._reserve_snapshot)
        try:
            await asyncio.wait_for(
                stills.last_frame(self.runner, segment.path, target), SNAPSHOT_TIMEOUT
            )
        except BaseException:
            await asyncio.to_thread(target.unlink, True)
            raise
        await asyncio.to_thread(self.archive.add, target)
        self.seccam.bus.publish("archive_updated", {"path": str(target), "type": "snapshot"})
        return target

    def _reserve_snapshot(self) -> Path:
        import os

        self.layout.ensure()
        while True:
            target = unique_name(self.layout.recordings_dir, "snapshot", ".jpg", datetime.now())
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            return target

    # --- reacting to the bus ---------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.type == "settings_changed":
            sections = event.data.get("sections", [])
            if "Camera" in sections:
                self._switch_folder()
                self._spawn(self._apply_camera_settings(), "camera-settings")
            if "Timelapse" in sections:
                self.timelapse.reconfigure()
        elif event.type == "archive_updated" and event.data.get("type") == "deleted":
            if event.data.get("count"):  # many files at once: find out which
                self._spawn(self.archive.reconcile(), "archive-reconcile")
            else:
                self.archive.forget(str(event.data.get("path", "")))
        elif event.type == "storage_cleanup":
            for path in event.data.get("deleted", []) or []:
                self.archive.forget(str(path))

    def _switch_folder(self) -> None:
        # On the loop, in the settings write's own publish: the next answer is already
        # about the new folder (the catalogue runs its jobs in order).
        layout = media_layout(self.seccam)
        if layout != self.layout:
            self.layout = layout
            self.archive.switch(layout)
            log.info("recordings folder is now %s", layout.recordings_dir)

    async def _apply_camera_settings(self) -> None:
        config = self._camera_config()
        if dataclasses.replace(config, pre_roll_seconds=0) != dataclasses.replace(
                self.camera.config, pre_roll_seconds=0):
            await self.camera.restart(config)
        else:
            self.camera.config = config  # a new pre-roll needs no new capture process

    def _after_recording(self, path: Path) -> None:
        for policy in self.seccam.storage_policies.values():
            self._spawn(self._enforce(policy), f"storage:{policy.name}")

    async def _enforce(self, policy: Any) -> None:
        try:
            await policy.enforce(self.seccam)
        except Exception:
            log.exception("storage policy %s failed after a recording", policy.name)
