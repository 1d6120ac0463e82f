"""The recorder: recordings that begin with the pre-roll, and own their whole lifecycle.

A recording starts from the segments already in the camera's ring (the seconds before
the trigger), hard-links every new segment into its own work folder while it runs, and
on stop joins them (stream copy, ``+faststart``) into ``output_YYYYmmdd_HHMMSS.mp4``.
The name is reserved when the recording starts (an empty ``.part.mp4``), so two
recordings never share a name. One recording at a time: a sensor request while a
manual recording runs leaves it alone, a manual toggle stops whatever runs. A work
folder left by a crash is finished into a video at the next start, so nothing recorded
is lost and nothing is left behind.

Events: ``recording_state`` on every start and stop, ``archive_updated`` with
``type: "recording"`` once the video is final.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccam_core.catalogue.archive import Archive
from seccam_core.media import stills
from seccam_core.media.camera import CameraPipeline, CameraUnavailable, Segment
from seccam_core.media.ffmpeg import FfmpegError, FfmpegJob, FfmpegRunner
from seccam_core.media.layout import MediaLayout, merge_meta, sidecars, unique_name

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 2.5


class RecorderUnavailable(RuntimeError):
    """A recording cannot start (the camera is stopped)."""


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Recording:
    """One recording in progress."""

    path: Path
    work_dir: Path
    reason: str
    trigger_at: float
    sensor_type: str | None = None
    sensors: list[str] = field(default_factory=list)
    incident_id: str | None = None
    segments: list[Segment] = field(default_factory=list)
    remove_listener: Callable[[], None] | None = None
    limit_task: asyncio.Task[None] | None = None

    @property
    def stem(self) -> str:
        return self.path.name[: -len(".mp4")]

    @property
    def part_path(self) -> Path:
        return self.path.with_name(self.stem + ".part.mp4")

    def take(self, segment: Segment) -> None:
        """Hard-link a segment into the work folder, so the ring may delete its copy."""
        target = self.work_dir / f"{len(self.segments):06d}.ts"
        try:
            os.link(segment.path, target)
        except OSError:
            try:
                shutil.copyfile(segment.path, target)
            except OSError:
                log.warning("segment %s vanished before %s took it", segment.path, self.path.name)
                return
        self.segments.append(dataclasses.replace(segment, path=target))


class Recorder:
    """Starts, stops and finalises recordings; the ``RECORDER`` service."""

    def __init__(
        self,
        camera: CameraPipeline,
        runner: FfmpegRunner,
        layout: Callable[[], MediaLayout],
        archive: Callable[[], Archive],
        work_root: Path,
        publish: Callable[[str, dict[str, Any]], Any],
        *,
        max_seconds: Callable[[], float] = lambda: 3600.0,
        after_recording: Callable[[Path], Any] | None = None,
    ) -> None:
        self.camera = camera
        self.runner = runner
        self._layout = layout
        self._archive = archive
        self.work_root = work_root
        self._publish = publish
        self._max_seconds = max_seconds
        self._after_recording = after_recording
        self.current: Recording | None = None
        self._lock = asyncio.Lock()
        self._finishing: set[asyncio.Task[Path | None]] = set()

    # --- status -----------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        """Whether a recording is in progress."""
        return self.current is not None

    @property
    def current_path(self) -> Path | None:
        """The final path of the recording in progress (``None`` when not recording)."""
        current = self.current
        return current.path if current is not None else None

    def status(self) -> dict[str, Any]:
        current = self.current
        if current is None:
            return {"recording": False}
        return {
            "recording": True,
            "started_at": iso_utc(current.trigger_at),
            "reason": current.reason,
            "path": str(current.path),
            "sensor_type": current.sensor_type,
            "incident_id": current.incident_id,
        }

    # --- start and stop -------------------------------------------------------------------

    async def start(self, reason: str, sensor_type: str | None = None,
                    incident_id: str | None = None,
                    sensors: Sequence[str] = ()) -> Recording:
        """Start a recording that already holds the pre-roll; raise if the camera is off.

        While one runs, it is returned; ``sensors`` (ids of the sensors that triggered)
        are added to its ``.meta.json``, so a clip names every sensor of its incident.
        """
        async with self._lock:
            current = self.current
            if current is not None:
                joined = [s for s in sensors if s not in current.sensors]
                if joined and current.incident_id == incident_id:
                    current.sensors.extend(joined)
                    self._write_meta(current, {})
                return current
            await self.camera.wait_while_starting()
            if self.camera.state != "running":
                # Never claim a recording that cannot have video (ORIGINAL D3).
                reason_text = self.camera.error or f"the camera is {self.camera.state}"
                raise RecorderUnavailable(f"cannot record: {reason_text}")
            trigger_at = time.time()
            layout = self._layout()
            recording = await asyncio.to_thread(
                self._reserve, layout, reason, sensor_type, trigger_at
            )
            recording.incident_id = incident_id
            recording.sensors = list(dict.fromkeys(sensors))
            pre_roll = self.camera.config.pre_roll_seconds
            for segment in self.camera.segments():
                if pre_roll > 0 and segment.end > trigger_at - pre_roll:
                    recording.take(segment)
            recording.remove_listener = self.camera.add_listener(recording.take)
            recording.limit_task = asyncio.create_task(self._stop_at_limit(recording))
            self.current = recording
        self._write_meta(recording, {})
        asyncio.create_task(self._thumbnail(recording))  # noqa: RUF006 - ends on its own
        self._publish("recording_state", self.status())
        log.info("recording %s started (%s)", recording.path.name, reason)
        return recording

    def _reserve(self, layout: MediaLayout, reason: str, sensor_type: str | None,
                 trigger_at: float) -> Recording:
        layout.ensure()
        while True:
            path = unique_name(layout.recordings_dir, "output", ".mp4",
                               datetime.fromtimestamp(trigger_at))
            part = path.with_name(path.name[: -len(".mp4")] + ".part.mp4")
            try:
                os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue  # taken between the check and the create: try the next name
            break
        work_dir = self.work_root / path.name[: -len(".mp4")]
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "target").write_text(str(path), encoding="utf-8")
        return Recording(path, work_dir, reason, trigger_at, sensor_type)

    async def stop(self, reason: str | None = None, *, wait: bool = True) -> Path | None:
        """Stop the running recording (only if it is of ``reason``, when given) and finish it.

        With ``wait`` the finished video's path is returned (``None`` if nothing could be
        saved); without, finishing goes on in the background.
        """
        async with self._lock:
            recording = self.current
            if recording is None or (reason is not None and recording.reason != reason):
                return None
            self.current = None
        stopped_at = time.time()
        self._publish("recording_state", {"recording": False, "reason": recording.reason,
                                          "path": str(recording.path),
                                          "incident_id": recording.incident_id})
        task = asyncio.create_task(self._finish(recording, stopped_at))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)
        if not wait:
            return None
        return await asyncio.shield(task)

    async def toggle(self) -> tuple[bool, Path | None]:
        """Manual button: stop what records, or start a manual recording.

        Returns the new state, and after a stop the finished video (``None`` if nothing
        could be saved).
        """
        if self.current is not None:
            return False, await self.stop()
        await self.start("manual")
        return True, None

    async def close(self) -> None:
        """Server stopping: finish the running recording and every one still finishing."""
        if self.current is not None:
            await self.stop()
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)

    async def _stop_at_limit(self, recording: Recording) -> None:
        await asyncio.sleep(self._max_seconds())
        if self.current is recording:
            log.warning("recording %s reached its limit; stopping it", recording.path.name)
            await self.stop()

    # --- finishing ------------------------------------------------------------------------

    async def _finish(self, recording: Recording, stopped_at: float) -> Path | None:
        if recording.limit_task is not None and recording.limit_task is not asyncio.current_task():
            recording.limit_task.cancel()
        # Wait for the segment that holds the stop moment, so the last second is kept;
        # a stream's segments last a keyframe interval.
        await self.camera.wait_for_segment(
            stopped_at, max(STOP_WAIT_SECONDS, self.camera.segment_seconds() + 1.0))
        if recording.remove_listener is not None:
            recording.remove_listener()
        try:
            duration = await self._join(recording.work_dir, recording.path)
        except (FfmpegError, OSError) as exc:
            log.error("recording %s could not be finished: %s", recording.path.name, exc)
            await asyncio.to_thread(recording.part_path.unlink, True)
            self._publish("recording_failed", {"path": str(recording.path), "error": str(exc),
                                               "incident_id": recording.incident_id})
            return None
        # The first segment's span as the camera knows it now: right after the camera
        # started, the stamps it had at the trigger were still being corrected.
        first_frame_at = (self.camera.current(recording.segments[0]).start
                          if recording.segments else None)
        self._write_meta(recording, {
            "stopped": iso_utc(stopped_at),
            "duration_seconds": duration,
            "first_frame_at": iso_utc(first_frame_at) if first_frame_at else None,
            "pre_roll_seconds": (round(recording.trigger_at - first_frame_at, 3)
                                 if first_frame_at else None),
        })
        if duration is not None and duration >= stills.SPRITE_MIN_SECONDS:
            try:
                await stills.sprite_sheet(self.runner, recording.path, sidecars(recording.path)[1],
                                          duration)
            except (FfmpegError, OSError) as exc:
                log.warning("no sprite for %s: %s", recording.path.name, exc)
        await asyncio.to_thread(self._archive().add, recording.path, duration=duration)
        self._publish("archive_updated", {"path": str(recording.path), "type": "recording",
                                          "incident_id": recording.incident_id})
        log.info("recording %s finished (%.1f s)", recording.path.name, duration or 0)
        if self._after_recording is not None:
            self._after_recording(recording.path)
        return recording.path

    async def _join(self, work_dir: Path, target: Path) -> float | None:
        """Join a work folder's segments into ``target`` (via its .part.mp4); its duration."""
        stem = target.name[: -len(".mp4")]
        part = target.with_name(stem + ".part.mp4")
        listing = work_dir / "segments.txt"

        def write_listing() -> int:
            segments = sorted(work_dir.glob("*.ts"))
            listing.write_text("".join(f"file '{s.name}'\n" for s in segments), encoding="utf-8")
            return len(segments)

        if not await asyncio.to_thread(write_listing):
            raise FfmpegError("no video was captured")
        await self.runner.run(FfmpegJob(
            "join",
            ("-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(part)),
            timeout=120.0,
        ))
        duration = await stills.video_duration(self.runner, part)
        await asyncio.to_thread(os.replace, part, target)
        await asyncio.to_thread(shutil.rmtree, work_dir, True)
        return duration

    def _write_meta(self, recording: Recording, extra: dict[str, Any]) -> None:
        meta = {
            "reason": recording.reason,
            "sensor_type": recording.sensor_type,
            "incident_id": recording.incident_id,
            "sensors": recording.sensors,
            "started": iso_utc(recording.trigger_at),
            **extra,
        }
        target = sidecars(recording.path)[2]
        temp = target.with_name(f".{target.name}.tmp")
        try:
            temp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
            os.replace(temp, target)
        except OSError as exc:
            log.warning("could not write %s: %s", target.name, exc)

    async def _thumbnail(self, recording: Recording) -> None:
        try:
            segment = self.camera.fresh_segment()
            await stills.last_frame(self.runner, segment.path, sidecars(recording.path)[0],
                                    scale="320:-2")
        except (CameraUnavailable, FfmpegError, OSError) as exc:
            log.warning("no thumbnail for %s: %s", recording.path.name, exc)

    # --- crash recovery -------------------------------------------------------------------

    async def recover(self) -> list[Path]:
        """Finish recordings whose work folders a crash left behind."""
        finished: list[Path] = []
        if not self.work_root.is_dir():
            return finished
        for work_dir in sorted(p for p in self.work_root.iterdir() if p.is_dir()):
            target_file = work_dir / "target"
            try:
                target = Path(target_file.read_text(encoding="utf-8").strip())
            except OSError:
                await asyncio.to_thread(shutil.rmtree, work_dir, True)
                continue
            try:
                duration = await self._join(work_dir, target)
            except (FfmpegError, OSError) as exc:
                log.error("could not recover %s: %s", target.name, exc)
                target.with_name(target.name[: -len(".mp4")] + ".part.mp4").unlink(
                    missing_ok=True)
                await asyncio.to_thread(shutil.rmtree, work_dir, True)
                continue
            await asyncio.to_thread(merge_meta, target, {"duration_seconds": duration,
                                                          "recovered": True})
            with contextlib.suppress(FfmpegError, OSError):
                if duration is not None and duration >= stills.SPRITE_MIN_SECONDS:
                    await stills.sprite_sheet(self.runner, target, sidecars(target)[1], duration)
            await asyncio.to_thread(self._archive().add, target, duration=duration)
            self._publish("archive_updated", {"path": str(target), "type": "recording"})
            log.warning("recovered recording %s after an unclean stop", target.name)
            finished.append(target)
        return finished
