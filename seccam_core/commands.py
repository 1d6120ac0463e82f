"""The one boundary for short external commands: git, restart/reboot, iptables.

A :class:`Command` says what to run (an argument list, never a shell), how long it may
take and how to name it in the log; :func:`run_command` runs it as an asyncio
subprocess and returns a :class:`CommandResult`, or raises :class:`CommandMissing`
(the program is not installed), :class:`CommandFailed` (it could not be started) or
:class:`CommandTimeout`. A command that runs out of time, or whose caller is cancelled,
is killed with its whole process group (git's ssh and http helpers included): nothing is
ever left behind, unless the command is ``detach``ed on purpose (restart, reboot).
ffmpeg has its own, longer-lived boundary (``seccam_core.media.ffmpeg``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seccam_core.errors import DeviceError, NotAvailable

OUTPUT_LIMIT = 64 * 1024
"""Bytes of stdout and of stderr kept; a chatty command cannot grow our memory."""


class CommandMissing(NotAvailable, FileNotFoundError):
    """The program is not installed (not on ``PATH``, or the path does not exist)."""


class CommandFailed(DeviceError):
    """The program could not be started (permissions, a broken interpreter ...)."""


class CommandTimeout(DeviceError, TimeoutError):
    """The command ran longer than its timeout and was killed."""


@dataclass(frozen=True)
class Command:
    """What to run: ``argv`` (program first), a ``timeout`` in seconds, a ``name`` for
    messages; ``env`` is added to this process's environment, ``cwd`` is the folder."""

    argv: Sequence[str]
    timeout: float
    name: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    capture: bool = True
    detach: bool = False
    """May outlive its caller (a restart command that stops this very server): neither
    a cancelled caller nor the timeout kills it; the timeout only stops the waiting."""

    @property
    def label(self) -> str:
        """How messages name the command."""
        return self.name or str(self.argv[0])


@dataclass(frozen=True)
class CommandResult:
    """What a finished command did: its exit status and (decoded, truncated) output."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether it exited with status 0."""
        return self.returncode == 0

    def first_error_line(self) -> str:
        """The first line of stderr, else the exit status: for one-line messages."""
        lines = self.stderr.strip().splitlines()
        return lines[0] if lines else f"exit status {self.returncode}"


def _decode(data: bytes | None) -> str:
    return (data or b"")[:OUTPUT_LIMIT].decode("utf-8", "replace").strip()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_command(command: Command) -> CommandResult:
    """Run ``command`` to its end (or its timeout); see the module's docstring."""
    if not command.argv:
        raise ValueError("a command needs at least the program")
    output = asyncio.subprocess.PIPE if command.capture else asyncio.subprocess.DEVNULL
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            stdin=asyncio.subprocess.DEVNULL, stdout=output, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C", **command.env},
            cwd=command.cwd,
            start_new_session=True,  # its own process group: a kill reaches its helpers
        )
    except FileNotFoundError as exc:
        raise CommandMissing(f"{command.label}: {command.argv[0]} is not installed") from exc
    except OSError as exc:
        raise CommandFailed(f"{command.label}: {command.argv[0]} could not be run: "
                            f"{exc.strerror or exc}") from exc
    try:
        async with asyncio.timeout(command.timeout):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        if not command.detach:
            _kill_group(process)
            await process.wait()
        raise CommandTimeout(
            f"{command.label} did not finish within {command.timeout:g} s") from None
    except asyncio.CancelledError:
        if not command.detach:
            _kill_group(process)
            await asyncio.shield(process.wait())
        raise
    return CommandResult(int(process.returncode or 0), _decode(stdout), _decode(stderr))
