"""The camera pipeline: one long-running capture process and its pre-roll ring.

A single ffmpeg process reads the camera (an RTSP URL, as MediaMTX serves the Pi
camera; elsewhere a generated test pattern with a running clock) and cuts it into
one-second MPEG-TS segments in a ring folder (a stream is cut at its keyframes, so its
segments are as long as its keyframe interval). ffmpeg reports each finished segment on
its stdout (the segment muxer's CSV list, in stream time), so the pipeline knows every
segment's wall-clock span without polling the disk: see :class:`StreamClock`. Segments
older than the pre-roll (plus a margin) are deleted; the recorder hard-links the ones
it needs, so a recording keeps its segments even after the ring moves on. Every still
(snapshot, thumbnail, timelapse frame) is cut from the newest segment: the camera has
exactly one client.

When the source dies the process is restarted with exponential backoff; every state
change is published as ``camera_state``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccam_core.media.ffmpeg import FfmpegJob, FfmpegProcess, FfmpegRunner
from seccam_core.settings import mask_credentials

log = logging.getLogger(__name__)

TEST_PATTERN = "testpattern"
SEGMENT_SECONDS = 1
RING_MARGIN_SECONDS = 3
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
HEALTHY_AFTER_SECONDS = 30.0
NETWORK_TIMEOUT_US = 5_000_000
"""A network source that sends nothing for 5 s is down (ffmpeg's timeouts, in µs)."""
FIRST_SEGMENT_SECONDS = 30.0
"""How long a fresh capture may take to cut its first segment (probing a stream)."""
STARTUP_WAIT_SECONDS = 5.0

SegmentListener = Callable[["Segment"], None]


class CameraUnavailable(RuntimeError):
    """The camera has no recent video (stopped, starting or its source is down)."""


class CameraStalled(RuntimeError):
    """The capture reported no segment for too long; it was stopped to be restarted."""


@dataclass(frozen=True)
class Segment:
    """One finished segment of the ring and the wall-clock span it covers.

    ``stream_end`` (seconds of stream time) and ``run`` (which capture process cut it)
    let the pipeline correct ``start``/``end`` once it knows its stream clock better.
    """

    path: Path
    start: float
    end: float
    stream_end: float = 0.0
    run: int = 0


class StreamClock:
    """Maps one capture process's stream time to wall-clock time.

    A segment's report arrives when the next segment begins, so ``arrival - stream_end``
    is the offset between the clocks plus a delay that is never negative. When the
    process starts, ffmpeg first reads several seconds of the stream to learn its
    format, and reports those segments in a burst: their delay is seconds, not tens of
    milliseconds. The smallest offset over the recent reports is the best estimate; a
    recent window (not all time) follows a camera clock that drifts against ours.
    A jump in stream time (the source restarted its clock) starts the estimate anew.
    """

    WINDOW = 30
    JUMP_SECONDS = 1.0

    def __init__(self) -> None:
        self._recent: collections.deque[float] = collections.deque(maxlen=self.WINDOW)
        self._last_end: float | None = None

    def report(self, stream_start: float, stream_end: float, arrival: float) -> bool:
        """Take one segment's report; ``True`` when the offset changed (restamp the ring)."""
        before = self.offset
        if self._last_end is not None and abs(stream_start - self._last_end) > self.JUMP_SECONDS:
            self._recent.clear()
        self._last_end = stream_end
        self._recent.append(arrival - stream_end)
        return self.offset != before

    @property
    def offset(self) -> float | None:
        return min(self._recent) if self._recent else None

    def wall(self, stream_time: float) -> float:
        offset = self.offset
        assert offset is not None, "no segment reported yet"
        return offset + stream_time


@dataclass(frozen=True)
class CameraConfig:
    """What the capture process reads: the ``Camera`` settings that matter to it."""

    source: str = TEST_PATTERN
    pre_roll_seconds: float = 5.0
    pattern_size: str = "640x480"
    pattern_fps: int = 10
    stall_seconds: float = 20.0

    @classmethod
    def from_settings(cls, section: dict[str, Any]) -> CameraConfig:
        return cls(
            source=str(section.get("source") or TEST_PATTERN),
            pre_roll_seconds=float(section.get("pre_roll_seconds", 5)),
            pattern_size=str(section.get("test_pattern_size", "640x480")),
            pattern_fps=int(section.get("test_pattern_fps", 10)),
            stall_seconds=float(section.get("stall_seconds", 20)),
        )

    @property
    def is_test_pattern(self) -> bool:
        return self.source == TEST_PATTERN

    def input_args(self) -> list[str]:
        if self.is_test_pattern:
            # testsrc draws a running clock (seconds since the start) into each frame;
            # -re paces it like a real camera.
            return ["-re", "-f", "lavfi", "-i",
                    f"testsrc=size={self.pattern_size}:rate={self.pattern_fps}"]
        args = []
        if self.source.startswith(("rtsp://", "rtsps://")):
            args += ["-rtsp_transport", "tcp", "-timeout", str(NETWORK_TIMEOUT_US)]
        else:
            # Without it, an HTTP source that keeps its connection open but stops
            # sending holds ffmpeg (and the camera) forever.
            args += ["-rw_timeout", str(NETWORK_TIMEOUT_US)]
        return [*args, "-i", self.source]

    def codec_args(self) -> list[str]:
        if self.is_test_pattern:
            fps = str(self.pattern_fps)
            return ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                    "-g", fps, "-keyint_min", fps, "-sc_threshold", "0",
                    "-pix_fmt", "yuv420p", "-threads", "1"]
        return ["-c:v", "copy"]  # the Pi camera already sends H.264: no re-encoding

    def capture_job(self, ring_dir: Path) -> FfmpegJob:
        return FfmpegJob(
            name="capture",
            args=(
                "-loglevel", "warning", *self.input_args(), "-map", "0:v:0", "-an",
                *self.codec_args(),
                "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
                "-segment_format", "mpegts", "-reset_timestamps", "1",
                "-segment_list", "pipe:1", "-segment_list_type", "csv",
                str(ring_dir / "seg_%09d.ts"),
            ),
            timeout=None,
            read_stdout=True,
        )


class CameraPipeline:
    """Keeps the capture process running and the last ``pre_roll_seconds`` on disk."""

    def __init__(
        self,
        runner: FfmpegRunner,
        ring_dir: Path,
        config: CameraConfig,
        publish: Callable[[str, dict[str, Any]], Any],
    ) -> None:
        self.runner = runner
        self.ring_dir = ring_dir
        self.config = config
        self._publish = publish
        self.state = "stopped"
        self.error: str | None = None
        self.restarts = 0
        self._segments: collections.deque[Segment] = collections.deque()
        self._clock = StreamClock()
        self._run_id = 0
        self._listeners: list[SegmentListener] = []
        self._process: FfmpegProcess | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._new_segment = asyncio.Event()
        self._wake = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Start the capture process and its loop; the state follows in events.

        The first process is created before this returns, so a server that fails right
        after startup (its port taken) never cancels a half-created subprocess.
        """
        if self._task is not None:
            return
        self._stopping = False
        first: FfmpegProcess | None = None
        try:
            await asyncio.to_thread(self._clear_ring)
            self._set_state("starting")
            first = await self.runner.start(self.config.capture_job(self.ring_dir))
        except Exception as exc:
            log.exception("camera capture could not start")
            self.error = str(exc)
        self._task = asyncio.create_task(self._run(first), name="camera")

    async def stop(self) -> None:
        """Stop the capture process; the ring's last segment is finished first."""
        self._stopping = True
        self._wake.set()
        if self._process is not None:
            await self._process.stop(grace=3.0)
        if self._task is not None:
            # The loop notices _stopping by itself (stopping a process it has just
            # started); cancelling is the last resort.
            done, _ = await asyncio.wait({self._task}, timeout=5.0)
            if not done:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        self._set_state("stopped")

    async def restart(self, config: CameraConfig) -> None:
        """Apply a new configuration (source, pattern, pre-roll)."""
        await self.stop()
        self.config = config
        await self.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.running else None

    def status(self) -> dict[str, Any]:
        latest = self.latest_segment()
        return {
            "state": self.state,
            "source": self.public_source,
            "error": self.error,
            "restarts": self.restarts,
            "pre_roll_seconds": self.config.pre_roll_seconds,
            "buffered_seconds": round(sum(s.end - s.start for s in self._segments), 1),
            "latest_frame_at": latest.end if latest else None,
        }

    @property
    def public_source(self) -> str:
        """The source without any credentials an RTSP URL may carry."""
        return str(mask_credentials(self.config.source))

    # --- segments -----------------------------------------------------------------

    def segments(self) -> list[Segment]:
        return list(self._segments)

    def current(self, segment: Segment) -> Segment:
        """``segment`` with its wall-clock span as the pipeline now knows it best."""
        if segment.run != self._run_id or self._clock.offset is None:
            return segment
        length = segment.end - segment.start
        end = self._clock.wall(segment.stream_end)
        return Segment(segment.path, end - length, end, segment.stream_end, segment.run)

    def segment_seconds(self) -> float:
        """The longest segment in the ring (the source's keyframe interval, at least)."""
        return max((s.end - s.start for s in self._segments), default=float(SEGMENT_SECONDS))

    def latest_segment(self) -> Segment | None:
        return self._segments[-1] if self._segments else None

    def fresh_segment(self, max_age: float = 3.0) -> Segment:
        """The newest segment, if it ended within ``max_age`` seconds, else an error."""
        latest = self.latest_segment()
        if latest is None or time.time() - latest.end > max_age + SEGMENT_SECONDS:
            reason = self.error or f"camera is {self.state}"
            raise CameraUnavailable(f"no recent video from the camera ({reason})")
        return latest

    async def wait_while_starting(self, time_limit: float = STARTUP_WAIT_SECONDS) -> None:
        """While the camera is starting (a fresh boot), wait a little for its first video."""
        if self.state == "starting" and self._task is not None:
            await self.wait_for_segment(0.0, time_limit)

    def add_listener(self, listener: SegmentListener) -> Callable[[], None]:
        """Call ``listener(segment)`` for every new segment, on the loop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def wait_for_segment(self, ending_after: float, time_limit: float) -> Segment | None:
        """The first segment ending after ``ending_after`` (epoch), else ``None`` in time."""
        deadline = time.monotonic() + time_limit
        while True:
            for segment in reversed(self._segments):
                if segment.end >= ending_after:
                    return segment
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._task is None:
                return None
            self._new_segment.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_segment.wait(), remaining)

    # --- the capture loop ------------------------------------------------------------

    def _set_state(self, state: str, error: str | None = None) -> None:
        if state == self.state and error == self.error:
            return
        self.state, self.error = state, error
        data: dict[str, Any] = {"state": state, "source": self.public_source}
        if error:
            data["error"] = error
        self._publish("camera_state", data)

    def _clear_ring(self) -> None:
        self.ring_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.ring_dir.glob("seg_*.ts"):
            leftover.unlink(missing_ok=True)
        self._segments.clear()
        self._clock = StreamClock()  # a new process has a new stream clock
        self._run_id += 1

    async def _run(self, first: FfmpegProcess | None) -> None:
        try:
            await self._capture_loop(first)
        finally:
            if self._process is not None and self._process.running:
                # Cancelled without stop() (the server failed right after starting):
                # never leave ffmpeg running, and reap it while the loop still runs.
                self._process.kill()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await self._process.wait()

    async def _capture_loop(self, process: FfmpegProcess | None) -> None:
        backoff = BACKOFF_START
        while not self._stopping:
            started = time.monotonic()
            try:
                if process is None:
                    await asyncio.to_thread(self._clear_ring)
                    self._set_state("restarting", self.error)
                    process = await self.runner.start(self.config.capture_job(self.ring_dir))
                self._process = process
                if self._stopping:  # stop() came while the process was being created
                    await process.stop(grace=3.0)
                    break
                await self._read_segments(self._process)
                result = await self._process.wait()
            except CameraStalled as exc:  # said below, as every other stop is
                error = str(exc)
            except Exception as exc:  # ffmpeg missing, ring folder not writable ...
                log.exception("camera capture could not run")
                error = str(exc)
            else:
                error = (result.stderr_tail[-1] if result.stderr_tail
                         else f"capture exited with code {result.returncode}")
            process = None
            if self._stopping:
                break
            if time.monotonic() - started > HEALTHY_AFTER_SECONDS:
                backoff = BACKOFF_START
            self.restarts += 1
            log.warning("camera source %s stopped (%s); restarting in %.0f s",
                        self.public_source, error, backoff)
            self._set_state("restarting", error)
            self._wake.clear()
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _stall_limit(self, first: bool) -> float:
        """Seconds without a segment report after which the capture is stuck: the
        setting, but never under three segments' length (a report comes when the next
        segment begins, so a long keyframe interval spaces them out)."""
        limit = max(self.config.stall_seconds, 3 * self.segment_seconds())
        return max(limit, FIRST_SEGMENT_SECONDS) if first else limit

    async def _read_segments(self, process: FfmpegProcess) -> None:
        stdout = process.process.stdout
        assert stdout is not None
        first = True
        while True:
            limit = self._stall_limit(first)
            try:
                line = await asyncio.wait_for(stdout.readline(), limit)
            except TimeoutError:
                # A stuck capture (a stalled source, a hung decoder): ffmpeg would wait
                # forever and the camera would look alive with no video.
                process.kill()
                await process.wait()
                raise CameraStalled(f"no video for {limit:.0f} s: the source stalled") from None
            first = False
            if not line:
                return
            segment = self._parse_segment_line(line.decode(errors="replace").strip())
            if segment is None:
                continue
            self._segments.append(segment)
            self._set_state("running")
            self._drop_old_segments()
            self._new_segment.set()
            for listener in list(self._listeners):
                try:
                    listener(segment)
                except Exception:
                    log.exception("segment listener failed")

    def _parse_segment_line(self, line: str) -> Segment | None:
        parts = line.rsplit(",", 2)
        if len(parts) != 3:
            return None
        name, start, end = parts
        try:
            stream_start, stream_end = float(start), float(end)
        except ValueError:
            return None
        changed = self._clock.report(stream_start, stream_end, time.time())
        wall_end = self._clock.wall(stream_end)
        segment = Segment(self.ring_dir / Path(name).name,
                          wall_end - max(0.0, stream_end - stream_start), wall_end,
                          stream_end, self._run_id)
        if changed:
            self._segments = collections.deque(self.current(s) for s in self._segments)
        return segment

    def _drop_old_segments(self) -> None:
        keep_after = time.time() - self.config.pre_roll_seconds - RING_MARGIN_SECONDS
        while len(self._segments) > 2 and self._segments[0].end < keep_after:
            old = self._segments.popleft()
            old.path.unlink(missing_ok=True)
