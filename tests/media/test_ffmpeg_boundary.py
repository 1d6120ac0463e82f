"""The ffmpeg boundary: finding the binary, failures, timeouts, and no orphans."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from seccam_core.media.ffmpeg import (
    FfmpegError,
    FfmpegJob,
    FfmpegRunner,
    find_ffmpeg,
    parse_duration,
)

ENDLESS = ("-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5",
           "-f", "null", "-")


def test_the_binary_comes_from_the_environment_then_path_then_the_wheel(monkeypatch, tmp_path):
    monkeypatch.setenv("SECCAM_FFMPEG", "/opt/custom/ffmpeg")
    assert find_ffmpeg() == "/opt/custom/ffmpeg"
    monkeypatch.delenv("SECCAM_FFMPEG")
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg() == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    wheel = find_ffmpeg()
    assert "imageio_ffmpeg" in wheel
    assert subprocess.run([wheel, "-version"], capture_output=True).returncode == 0


async def test_a_failing_job_raises_with_ffmpegs_own_reason(tmp_path):
    runner = FfmpegRunner()
    with pytest.raises(FfmpegError, match="No such file"):
        await runner.run(FfmpegJob("broken", ("-i", str(tmp_path / "missing.mp4"),
                                              "-f", "null", "-")))
    await runner.close()


async def test_a_job_past_its_timeout_is_killed():
    runner = FfmpegRunner()
    started = []
    original_start = runner.start

    async def remember(job):
        process = await original_start(job)
        started.append(process.pid)
        return process

    runner.start = remember  # type: ignore[method-assign]
    with pytest.raises(FfmpegError, match="timed out"):
        await runner.run(FfmpegJob("slow", ENDLESS, timeout=0.5))
    assert started and not psutil.pid_exists(started[0])
    await runner.close()


async def test_close_stops_every_running_process_and_refuses_new_ones():
    runner = FfmpegRunner()
    first = await runner.start(FfmpegJob("a", ENDLESS, timeout=None))
    second = await runner.start(FfmpegJob("b", ENDLESS, timeout=None))
    assert sorted(runner.live_pids) == sorted([first.pid, second.pid])
    await runner.close()
    assert not first.running and not second.running
    assert not psutil.pid_exists(first.pid) and not psutil.pid_exists(second.pid)
    with pytest.raises(FfmpegError, match="closed"):
        await runner.start(FfmpegJob("late", ENDLESS))


def test_ffmpeg_dies_with_a_server_that_is_killed(tmp_path):
    """A server killed with SIGKILL cannot clean up: the kernel's death signal must."""
    pid_file = tmp_path / "pid"
    script = textwrap.dedent(f"""
        import asyncio
        from seccam_core.media.ffmpeg import FfmpegJob, FfmpegRunner
        async def main():
            runner = FfmpegRunner()
            process = await runner.start(FfmpegJob("capture", {ENDLESS!r}, timeout=None))
            open({str(pid_file)!r}, "w").write(str(process.pid))
            await asyncio.sleep(60)
        asyncio.run(main())
    """)
    server = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the server did not start ffmpeg"
            time.sleep(0.05)
        ffmpeg = psutil.Process(int(pid_file.read_text()))
        assert ffmpeg.is_running()
    finally:
        server.kill()
        server.wait()
    _gone, alive = psutil.wait_procs([ffmpeg], timeout=5)
    assert not alive, "ffmpeg outlived its killed server"


def test_durations_are_read_from_ffmpegs_own_description():
    assert parse_duration("  Duration: 00:01:02.50, start: 0.000000") == 62.5
    assert parse_duration("Input #0, image2 ...") is None
