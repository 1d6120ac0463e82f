"""The ffmpeg boundary: finding the binary, failures, timeouts, and no orphans."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seccam_core.media.ffmpeg import (
    FfmpegError,
    FfmpegJob,
    FfmpegRunner,
    find_ffmpeg,
    parse_duration,
)
from seccam_core.settings import mask_credentials_in

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


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
async def test_a_cameras_password_never_leaves_ffmpegs_output(scheme):
    """Real ffmpeg refused by a loopback port prints its input URL in its errors: what
    the runner keeps and raises has the credentials masked."""
    runner = FfmpegRunner()
    url = f"{scheme}://admin:s3cret-pw@127.0.0.1:9/cam"
    process = await runner.start(FfmpegJob("capture", ("-i", url, "-f", "null", "-")))
    result = await process.wait()
    assert result.returncode != 0
    assert f"{scheme}://***@127.0.0.1:9/cam" in result.stderr
    assert "s3cret" not in result.stderr
    with pytest.raises(FfmpegError) as failed:
        await runner.run(FfmpegJob("capture", ("-i", url, "-f", "null", "-")))
    assert "s3cret" not in str(failed.value)
    await runner.close()


USERINFO = st.text(st.characters(codec="utf-8", exclude_characters="/?#@ \t\n\r\x0b\x0c"
                                 "\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002"
                                 "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                                 "\u2028\u2029\u202f\u205f\u3000"), min_size=1)


@given(user=USERINFO, password=USERINFO, at_sign=st.booleans(),
       scheme=st.sampled_from(["rtsp", "rtsps", "http", "https", "srt"]),
       before=st.sampled_from(["", "Error opening input file ", "[tcp @ 0x5] "]))
def test_every_urls_userinfo_is_masked_in_a_line(user, password, at_sign, scheme, before):
    password = f"{password}@{password}" if at_sign else password  # an unencoded @ in it
    line = f"{before}{scheme}://{user}:{password}@127.0.0.1:8554/cam: 401 Unauthorized"
    masked = mask_credentials_in(line)
    assert masked == f"{before}{scheme}://***@127.0.0.1:8554/cam: 401 Unauthorized"


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
