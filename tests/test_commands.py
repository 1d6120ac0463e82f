"""The command boundary: real processes, real timeouts, nothing left behind."""

from __future__ import annotations

import asyncio
import sys

import psutil
import pytest

from seccam_core import (
    Command,
    CommandFailed,
    CommandMissing,
    CommandTimeout,
    run_command,
)

PY = sys.executable


async def written(path, timeout: float = 10.0) -> str:
    """The file's text once the child wrote it (polled with a deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (path.exists() and path.read_text()):
        assert loop.time() < deadline, f"{path.name} not written within {timeout} s"
        await asyncio.sleep(0.02)
    return path.read_text()


def still_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_output_and_status_come_back():
    result = await run_command(Command(
        [PY, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
        timeout=10))
    assert (result.returncode, result.stdout, result.stderr) == (3, "out", "err")
    assert not result.ok and result.first_error_line() == "err"


async def test_a_missing_program_is_command_missing():
    with pytest.raises(CommandMissing, match="no-such-program-here is not installed"):
        await run_command(Command(["no-such-program-here"], timeout=5))


async def test_a_program_that_cannot_start_is_command_failed(tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(CommandFailed, match="could not be run"):
        await run_command(Command([str(script)], timeout=5))


async def test_a_timeout_kills_the_command_and_its_helpers(tmp_path):
    """git fetch starts ssh or http helpers: the whole group goes, not only git."""
    pids = tmp_path / "pids"
    spawner = (f"import subprocess, sys, time; child = subprocess.Popen([{PY!r}, '-c', "
               f"'import time; time.sleep(60)']); open({str(pids)!r}, 'w').write("
               "f'{child.pid}'); time.sleep(60)")
    with pytest.raises(CommandTimeout, match=r"within 0\.5 s"):
        await run_command(Command([PY, "-c", spawner], timeout=0.5, name="spawner"))
    helper = int(pids.read_text())
    for _ in range(100):
        if not still_running(helper):
            break
        await asyncio.sleep(0.05)
    assert not still_running(helper)


async def test_a_cancelled_caller_leaves_no_process(tmp_path):
    started = tmp_path / "started"
    task = asyncio.ensure_future(run_command(Command(
        [PY, "-c", f"import os, time; open({str(started)!r}, 'w').write(str(os.getpid())); "
                   "time.sleep(60)"], timeout=30)))
    pid = int(await written(started))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not still_running(pid)


async def test_a_detached_command_outlives_its_cancelled_caller(tmp_path):
    """A restart command stops this very server: cancelling the wait must not kill it."""
    started = tmp_path / "started"
    task = asyncio.ensure_future(run_command(Command(
        [PY, "-c", f"import os, time; open({str(started)!r}, 'w').write(str(os.getpid())); "
                   "time.sleep(5)"], timeout=30, detach=True, capture=False)))
    pid = int(await written(started))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert still_running(pid)
    psutil.Process(pid).kill()
