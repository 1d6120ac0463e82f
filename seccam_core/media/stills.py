"""Still images cut with ffmpeg: snapshots, thumbnails, timelapse frames, sprite sheets.

Each function writes to a temporary name and renames into place, so a reader never
sees half a JPEG and a failed run leaves nothing behind. Every still job of a runner
waits for a place in a small pool (:data:`STILL_POOL_SIZE`): 200 snapshot requests at
once ran 9 ffmpeg processes (about 500 MB) before, more than a 512 MB Pi has.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from pathlib import Path

from seccam_core.media.ffmpeg import (
    FfmpegError,
    FfmpegJob,
    FfmpegRunner,
    parse_duration,
    parse_frame_count,
)

SPRITE_FRAMES = 10
SPRITE_TILE = (160, 90)
SPRITE_MIN_SECONDS = 2.0
STILL_TIMEOUT = 10.0
STILL_POOL_SIZE = 2
"""Still jobs (snapshots, thumbnails, sprites, timelapse frames) running at once, per runner."""

_pools: weakref.WeakKeyDictionary[FfmpegRunner, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def still_pool(runner: FfmpegRunner) -> asyncio.Semaphore:
    """The runner's pool of still-job places (made on first use)."""
    pool = _pools.get(runner)
    if pool is None:
        pool = _pools[runner] = asyncio.Semaphore(STILL_POOL_SIZE)
    return pool


def _temp_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


async def write_jpeg(runner: FfmpegRunner, name: str, args: list[str], target: Path,
                     time_limit: float = STILL_TIMEOUT) -> Path:
    temp = _temp_for(target)
    try:
        async with still_pool(runner):
            await runner.run(FfmpegJob(
                name, ("-loglevel", "error", "-y", *args, "-f", "image2", "-update", "1",
                       str(temp)),
                timeout=time_limit,
            ))
        if not temp.is_file() or temp.stat().st_size == 0:
            raise FfmpegError(f"ffmpeg {name} wrote no image")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


async def last_frame(runner: FfmpegRunner, segment: Path, target: Path,
                     scale: str | None = None) -> Path:
    """The last frame of a segment as a JPEG (a snapshot, a thumbnail, a timelapse frame)."""
    filters = ["-vf", f"scale={scale}"] if scale else []
    return await write_jpeg(runner, "still", ["-i", str(segment), *filters, "-q:v", "2"],
                             target)


async def sprite_sheet(runner: FfmpegRunner, video: Path, target: Path,
                       duration: float) -> Path:
    """10 evenly spaced frames, 160x90 each, side by side: a 1600x90 hover-scrub strip."""
    width, height = SPRITE_TILE
    rate = SPRITE_FRAMES / max(duration, 0.1)
    graph = (f"fps={rate:.6f},scale={width}:{height},setsar=1,"
             f"tile={SPRITE_FRAMES}x1")
    return await write_jpeg(
        runner, "sprite", ["-i", str(video), "-vf", graph, "-frames:v", "1", "-q:v", "4"],
        target, time_limit=60.0,
    )


async def video_duration(runner: FfmpegRunner, video: Path) -> float | None:
    """The duration ffmpeg reports for a video file, in seconds."""
    return parse_duration((await runner.probe(video)).stderr)


async def decoded_frames(runner: FfmpegRunner, video: Path, time_limit: float = 120.0) -> int:
    """Decode the whole video; the number of frames, or :class:`FfmpegError` if broken."""
    result = await runner.run(FfmpegJob(
        "verify", ("-loglevel", "error", "-stats", "-xerror", "-i", str(video),
                   "-f", "null", "-"),
        timeout=time_limit,
    ))
    frames = parse_frame_count(result.stderr)
    if frames is None:
        raise FfmpegError(f"could not count the frames of {video.name}")
    return frames
