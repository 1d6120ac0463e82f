"""Timelapse: a frame every ``interval_minutes``, stitched per day into one video.

Frames go to ``<timelapse>/frames/YYYY-MM-DD/frame_HHMMSS.jpg`` (cut from the camera's
newest segment, scaled to the chosen resolution, date and time burnt in). When the date
changes, the previous day's frames are stitched at ``fps`` into
``timelapse_YYYYmmdd.mp4`` (+ ``.thumb.jpg``); the frames are deleted only once the
video decodes with the expected number of frames. Frames are files, so a restart loses
nothing: today's frames are counted again and earlier days left over are stitched.

The clock (``now``) and the length of a minute (``minute_seconds``) are attributes, so
tests run a day in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from seccam_core.catalogue.archive import Archive
from seccam_core.media import stills
from seccam_core.media.camera import CameraPipeline, CameraUnavailable
from seccam_core.media.ffmpeg import FfmpegError, FfmpegJob, FfmpegRunner
from seccam_core.media.layout import MediaLayout, merge_meta, sidecars

log = logging.getLogger(__name__)

RESOLUTIONS = {"original": None, "640:480": "640:480", "640x480": "640:480",
               "320:240": "320:240", "320x240": "320:240"}
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
)
DAY_FORMAT = "%Y-%m-%d"
STITCH_TIMEOUT = 600.0


def _font() -> str | None:
    return next((f for f in FONT_CANDIDATES if os.path.isfile(f)), None)


def frame_filter(resolution: str, when: datetime) -> str | None:
    """The ffmpeg filter graph for one frame: scale, then the date and time burnt in."""
    parts = []
    scale = RESOLUTIONS.get(resolution)
    if scale:
        parts.append(f"scale={scale}")
    font = _font()
    if font:
        stamp = when.strftime("%Y-%m-%d %H:%M:%S").replace(":", r"\:")
        parts.append(f"drawtext=fontfile={font}:text='{stamp}':x=8:y=h-th-8:"
                     "fontsize=16:fontcolor=white:box=1:boxcolor=black@0.5")
    return ",".join(parts) or None


class Timelapse:
    """The timelapse worker: ``seccam.services["timelapse"]``."""

    def __init__(
        self,
        camera: CameraPipeline,
        runner: FfmpegRunner,
        layout: Callable[[], MediaLayout],
        archive: Callable[[], Archive],
        settings: Callable[[], dict[str, Any]],
        publish: Callable[[str, dict[str, Any]], Any],
        *,
        now: Callable[[], datetime] = datetime.now,
        minute_seconds: float = 60.0,
    ) -> None:
        self.camera = camera
        self.runner = runner
        self._layout = layout
        self._archive = archive
        self._settings = settings
        self._publish = publish
        self.now = now
        self.minute_seconds = minute_seconds
        self.today_frame_count = 0
        self.last_capture: datetime | None = None
        self.last_error: str | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._day: date | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Count today's frames, stitch earlier days left over, start the loop."""
        self._day = self.now().date()
        await self._recount()
        await self.stitch_leftovers()
        self._task = asyncio.create_task(self._run(), name="timelapse")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def reconfigure(self) -> None:
        """Settings changed: take a frame now if enabled and start a new interval."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        settings = self._settings()
        return {
            "enabled": bool(settings.get("enabled")),
            "interval_minutes": settings.get("interval_minutes"),
            "fps": settings.get("fps"),
            "resolution": settings.get("resolution"),
            "today_frame_count": self.today_frame_count,
            "last_capture": (self.last_capture.astimezone().isoformat(timespec="seconds")
                             if self.last_capture else None),
            "error": self.last_error,
        }

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            settings = self._settings()
            await self._roll_over_day()
            if settings.get("enabled"):
                try:
                    await self.capture_frame(settings.get("resolution", "640x480"))
                    self.last_error = None
                except (CameraUnavailable, FfmpegError, OSError) as exc:
                    self.last_error = str(exc)
                    log.warning("timelapse frame skipped: %s", exc)
                except Exception as exc:  # the loop must outlive any one frame (ORIGINAL D14)
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("timelapse frame failed")
                wait = max(1.0, float(settings.get("interval_minutes", 5))) * self.minute_seconds
            else:
                wait = 30.0 * self.minute_seconds / 60.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _roll_over_day(self) -> None:
        today = self.now().date()
        if self._day is not None and today != self._day:
            self._day = today
            self.today_frame_count = 0
            try:
                await self.stitch_leftovers()
            except Exception:  # frames stay on disk; the next start tries again
                log.exception("timelapse stitching failed")
        self._day = today

    # --- frames -----------------------------------------------------------------------------

    def _day_dir(self, day: date) -> Path:
        return self._layout().frames_dir / day.strftime(DAY_FORMAT)

    async def capture_frame(self, resolution: str = "640x480") -> Path:
        """Take one frame now into today's folder."""
        when = self.now()
        segment = self.camera.fresh_segment()
        folder = self._day_dir(when.date())
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        target = folder / f"frame_{when.strftime('%H%M%S')}.jpg"
        counter = 2
        while target.exists():
            target = folder / f"frame_{when.strftime('%H%M%S')}_{counter}.jpg"
            counter += 1
        graph = frame_filter(resolution, when)
        args = ["-i", str(segment.path), *(["-vf", graph] if graph else []), "-q:v", "3"]
        await stills.write_jpeg(self.runner, "timelapse-frame", args, target)
        self.today_frame_count += 1
        self.last_capture = when
        return target

    async def _recount(self) -> None:
        folder = self._day_dir(self.now().date())

        def count() -> tuple[int, float | None]:
            frames = list(folder.glob("frame_*.jpg")) if folder.is_dir() else []
            newest = max((f.stat().st_mtime for f in frames), default=None)
            return len(frames), newest

        self.today_frame_count, newest = await asyncio.to_thread(count)
        if newest is not None:
            self.last_capture = datetime.fromtimestamp(newest)

    # --- stitching ----------------------------------------------------------------------------

    async def stitch_leftovers(self) -> list[Path]:
        """Stitch every day folder before today (left by a date change or a restart)."""
        frames_dir = self._layout().frames_dir
        today = self.now().date()
        days = []
        if frames_dir.is_dir():
            for folder in sorted(frames_dir.iterdir()):
                try:
                    day = datetime.strptime(folder.name, DAY_FORMAT).date()
                except ValueError:
                    continue
                if day < today:
                    days.append(day)
        made = []
        for day in days:
            try:
                video = await self.stitch(day)
            except (FfmpegError, OSError) as exc:
                self.last_error = f"stitching {day}: {exc}"
                log.error("timelapse for %s not stitched (frames kept): %s", day, exc)
                continue
            if video is not None:
                made.append(video)
        return made

    async def stitch(self, day: date) -> Path | None:
        """Stitch one day's frames into ``timelapse_YYYYmmdd.mp4``; delete them once verified."""
        layout = self._layout()
        folder = self._day_dir(day)
        frames = sorted(folder.glob("frame_*.jpg")) if folder.is_dir() else []
        if not frames:
            await asyncio.to_thread(shutil.rmtree, folder, True)
            return None
        layout.timelapse_dir.mkdir(parents=True, exist_ok=True)
        target = layout.timelapse_dir / f"timelapse_{day.strftime('%Y%m%d')}.mp4"
        counter = 2
        while target.exists():
            target = layout.timelapse_dir / f"timelapse_{day.strftime('%Y%m%d')}_{counter}.mp4"
            counter += 1
        temp = target.with_name(f".{target.name}.tmp")
        fps = self._settings().get("fps", 24)
        try:
            await self.runner.run(FfmpegJob(
                "timelapse-stitch",
                ("-loglevel", "error", "-y", "-framerate", str(fps),
                 "-pattern_type", "glob", "-i", str(folder / "frame_*.jpg"),
                 "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                 "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23",
                 "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", str(temp)),
                timeout=STITCH_TIMEOUT, low_priority=True,
            ))
            decoded = await stills.decoded_frames(self.runner, temp)
            if decoded != len(frames):
                raise FfmpegError(f"the video has {decoded} frames, expected {len(frames)}")
            await asyncio.to_thread(os.replace, temp, target)
        finally:
            await asyncio.to_thread(temp.unlink, True)
        with contextlib.suppress(FfmpegError, OSError):
            await stills.write_jpeg(self.runner, "timelapse-thumb", [
                "-i", str(target), "-frames:v", "1", "-vf", "scale=320:-2", "-q:v", "3",
            ], sidecars(target)[0])
        duration = len(frames) / fps
        with contextlib.suppress(OSError):  # only the duration after a restart is lost
            await asyncio.to_thread(merge_meta, target, {
                "duration_seconds": duration, "frames": len(frames), "fps": fps})
        await asyncio.to_thread(shutil.rmtree, folder, True)
        await asyncio.to_thread(self._archive().add, target, duration=duration)
        self._publish("archive_updated", {"path": str(target), "type": "timelapse"})
        log.info("timelapse %s stitched from %d frames", target.name, len(frames))
        return target
