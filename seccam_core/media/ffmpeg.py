"""The ffmpeg boundary: every ffmpeg process seccam starts goes through this module.

A :class:`FfmpegJob` says what to run (arguments, timeout, a name for the log); the
:class:`FfmpegRunner` runs it as an asyncio subprocess, logs its stderr, enforces the
timeout and remembers every live process so :meth:`FfmpegRunner.close` can stop them
all. On Linux each child also gets ``PR_SET_PDEATHSIG``: if the server dies without
shutting down (SIGKILL, a crash), the kernel kills its ffmpeg processes too.

The binary is ``SECCAM_FFMPEG``, else ``ffmpeg`` on ``PATH``, else the one shipped in
the imageio-ffmpeg wheel, so a fresh machine needs no system package. ffprobe is not
needed: :func:`parse_duration` reads the duration ffmpeg prints for its input.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import ctypes.util
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from seccam_core.settings import mask_credentials_in

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 20
_PR_SET_PDEATHSIG = 1
_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_FRAME_COUNT = re.compile(r"frame=\s*(\d+)")


class FfmpegError(RuntimeError):
    """An ffmpeg process failed, timed out or could not be started."""


def find_ffmpeg() -> str:
    """``SECCAM_FFMPEG``, else ``ffmpeg`` on PATH, else the imageio-ffmpeg binary."""
    configured = os.environ.get("SECCAM_FFMPEG", "").strip()
    if configured:
        return configured
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise FfmpegError("no ffmpeg: set SECCAM_FFMPEG or install imageio-ffmpeg") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _death_signal_setter() -> Callable[[], None] | None:
    """A pre-exec function asking the kernel to SIGKILL the child when we die (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    prctl = ctypes.CDLL(libc_name, use_errno=True).prctl  # resolved now, not after fork

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)

    return set_death_signal


_SET_DEATH_SIGNAL = _death_signal_setter()


@dataclass(frozen=True)
class FfmpegJob:
    """What to run: ffmpeg arguments (without the binary), a timeout, a name for the log.

    ``timeout`` is ``None`` for long-running processes (the capture) that are stopped
    explicitly. ``read_stdout`` gives the process a stdout pipe for its owner to read.
    ``low_priority`` runs it with ``nice 19`` (timelapse stitching).
    """

    name: str
    args: tuple[str, ...]
    timeout: float | None = 60.0
    read_stdout: bool = False
    low_priority: bool = False


@dataclass
class FfmpegResult:
    """How a finished job ended: its return code and the last lines of its stderr."""

    returncode: int
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return "\n".join(self.stderr_tail)


class FfmpegProcess:
    """A running ffmpeg process started by the runner."""

    def __init__(self, job: FfmpegJob, process: asyncio.subprocess.Process) -> None:
        self.job = job
        self.process = process
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_task = asyncio.create_task(self._drain_stderr(), name=f"ffmpeg:{job.name}")

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def _drain_stderr(self) -> None:
        stream = self.process.stderr
        if stream is None:
            return
        while True:
            line = await stream.readline()
            if not line:
                return
            # Masked here, once for every reader (camera errors, the doctor, the log):
            # ffmpeg prints its input URL, credentials included.
            text = mask_credentials_in(line.decode(errors="replace").rstrip())
            if text:
                self.stderr_tail.append(text)
                log.debug("ffmpeg %s[%d]: %s", self.job.name, self.pid, text)

    async def wait(self) -> FfmpegResult:
        """Wait for the process to end and its stderr to be read."""
        returncode = await self.process.wait()
        # asyncio.wait: neither swallows our own cancellation nor raises the reader's.
        await asyncio.wait({self._stderr_task})
        return FfmpegResult(returncode, list(self.stderr_tail))

    def kill(self) -> None:
        """Kill at once (a cancelled owner that cannot await a graceful stop)."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def stop(self, grace: float = 5.0) -> FfmpegResult:
        """Ask ffmpeg to finish (SIGINT: it closes its outputs), kill it after ``grace``."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(asyncio.shield(self.process.wait()), grace)
            except TimeoutError:
                log.warning("ffmpeg %s[%d] ignored SIGINT; killing it", self.job.name, self.pid)
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
        return await self.wait()


def _kill_created(creation: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if creation.cancelled() or creation.exception() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        creation.result().kill()


class FfmpegRunner:
    """Starts every ffmpeg process, and stops the ones still running on :meth:`close`."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or find_ffmpeg()
        self._live: set[FfmpegProcess] = set()
        self._closed = False

    @property
    def live_pids(self) -> list[int]:
        return [p.pid for p in self._live if p.running]

    async def start(self, job: FfmpegJob) -> FfmpegProcess:
        """Start ``job``; the caller owns the process until it ends (or :meth:`close`)."""
        if self._closed:
            raise FfmpegError("the ffmpeg runner is closed (server stopping)")
        argv: list[str] = [self.binary, "-hide_banner", "-nostdin", "-nostats", *job.args]
        if job.low_priority and shutil.which("nice"):
            argv = ["nice", "-n", "19", *argv]
        creation = asyncio.ensure_future(asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if job.read_stdout else asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_SET_DEATH_SIGNAL,
            start_new_session=True,  # a Ctrl-C on the console reaches us, not ffmpeg
        ))
        try:
            # Cancelling a half-created subprocess makes Python 3.11 wait forever for
            # pipes that never connect: let the creation finish, then kill the process.
            process = await asyncio.shield(creation)
        except asyncio.CancelledError:
            creation.add_done_callback(_kill_created)
            raise
        except OSError as exc:
            raise FfmpegError(f"cannot start ffmpeg ({self.binary}): {exc}") from exc
        running = FfmpegProcess(job, process)
        self._live.add(running)
        process_done = asyncio.ensure_future(process.wait())
        process_done.add_done_callback(lambda _: self._live.discard(running))
        log.debug("ffmpeg %s[%d] started: %s", job.name, process.pid,
                  mask_credentials_in(" ".join(job.args)))
        return running

    async def run(self, job: FfmpegJob) -> FfmpegResult:
        """Run ``job`` to its end; raise :class:`FfmpegError` on failure or timeout."""
        running = await self.start(job)
        try:
            if job.timeout is None:
                result = await running.wait()
            else:
                result = await asyncio.wait_for(running.wait(), job.timeout)
        except TimeoutError:
            await running.stop(grace=1.0)
            raise FfmpegError(f"ffmpeg {job.name} timed out after {job.timeout} s") from None
        except asyncio.CancelledError:
            await running.stop(grace=1.0)
            raise
        if result.returncode != 0:
            last = result.stderr_tail[-1] if result.stderr_tail else "no output"
            raise FfmpegError(f"ffmpeg {job.name} failed ({result.returncode}): {last}")
        return result

    async def probe(self, path: Path, time_limit: float = 20.0) -> FfmpegResult:
        """ffmpeg's description of a media file (stderr), without decoding it."""
        running = await self.start(FfmpegJob("probe", ("-i", str(path)), timeout=time_limit))
        try:
            return await asyncio.wait_for(running.wait(), time_limit)
        except TimeoutError:
            await running.stop(grace=1.0)
            raise FfmpegError(f"probing {path.name} timed out") from None

    async def close(self, grace: float = 5.0) -> None:
        """Stop every process still running (server shutdown): no orphan is left."""
        self._closed = True
        live = [p for p in self._live if p.running]
        if live:
            await asyncio.gather(*(p.stop(grace) for p in live), return_exceptions=True)


def parse_duration(stderr: str) -> float | None:
    """The ``Duration: HH:MM:SS.ss`` ffmpeg prints for its input, in seconds."""
    match = _DURATION.search(stderr)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def parse_frame_count(stderr: str) -> int | None:
    """The last ``frame=N`` of ffmpeg's progress line (after a decode to ``-f null``)."""
    counts = _FRAME_COUNT.findall(stderr)
    return int(counts[-1]) if counts else None

