"""The camera's newest frame as a JPEG, for the dashboard's live view.

One ffmpeg run per new ring segment (about one a second), whatever the number of
viewers: every request for the same segment shares the run in flight, then its bytes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from seccam_core.media import stills
from seccam_core.media.camera import CameraPipeline
from seccam_core.media.ffmpeg import FfmpegRunner

LIVE_FRAME_WIDTH = 640
LIVE_FRAME_TIMEOUT = 10.0


class LiveFrame:
    """The last frame of the newest segment, cut once and shared."""

    def __init__(self, camera: CameraPipeline, runner: FfmpegRunner, work_dir: Path) -> None:
        self.camera = camera
        self.runner = runner
        self.work_dir = work_dir
        self._key: tuple[str, float] | None = None
        self._frame: asyncio.Future[bytes] | None = None

    async def jpeg(self) -> tuple[bytes, float]:
        """The JPEG and the time its segment ended (epoch seconds).

        Raises ``CameraUnavailable`` when the camera has no recent video.
        """
        await self.camera.wait_while_starting()
        segment = self.camera.fresh_segment()
        key = (str(segment.path), segment.end)
        frame = self._frame
        if self._key != key or frame is None or (
                frame.done() and (frame.cancelled() or frame.exception() is not None)):
            self._key = key
            frame = self._frame = asyncio.ensure_future(self._cut(segment.path))
        return await asyncio.shield(frame), segment.end

    async def _cut(self, segment: Path) -> bytes:
        await asyncio.to_thread(self.work_dir.mkdir, parents=True, exist_ok=True)
        target = self.work_dir / "live-frame.jpg"
        await asyncio.wait_for(
            stills.last_frame(self.runner, segment, target, scale=f"{LIVE_FRAME_WIDTH}:-2"),
            LIVE_FRAME_TIMEOUT)
        return await asyncio.to_thread(target.read_bytes)
