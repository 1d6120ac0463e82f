"""Restart and reboot: answer the request first, run the configured command a moment later.

The commands are argument lists from the ``System`` settings section, run without a
shell, in their own session (so the command outlives this process if it stops us).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from seccam_core.commands import (
    Command,
    CommandFailed,
    CommandMissing,
    CommandTimeout,
    run_command,
)

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 120.0


class PowerControl:
    """Runs one command at a time after a delay, in the background.

    While a restart or reboot is waiting or running, another request starts nothing:
    :meth:`schedule` returns the label of the one in progress instead.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[int | None]] = set()
        self._current: str | None = None

    @property
    def in_progress(self) -> str | None:
        """The label (``restart``, ``reboot``) of the command waiting or running, if any."""
        return self._current

    def schedule(self, argv: Sequence[str], delay: float, label: str) -> str | None:
        """Run ``argv`` after ``delay`` seconds; failures are logged, never raised.

        Returns ``None`` when scheduled, or the label already in progress (nothing runs).
        """
        if self._current is not None:
            return self._current
        self._current = label
        task = asyncio.get_running_loop().create_task(
            self._run_later(list(argv), delay, label), name=f"seccam-{label}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return None

    def _done(self, task: asyncio.Task[int | None]) -> None:
        self._tasks.discard(task)
        self._current = None

    @staticmethod
    async def _run_later(argv: list[str], delay: float, label: str) -> int | None:
        await asyncio.sleep(delay)
        log.warning("%s: running %s", label, argv)
        # detach: the command outlives this server when it stops it (a restart).
        command = Command(argv, timeout=COMMAND_TIMEOUT, name=label, capture=False,
                          detach=True)
        try:
            result = await run_command(command)
        except CommandTimeout:
            log.error("%s: %s still runs after %ss; left alone", label, argv[0], COMMAND_TIMEOUT)
            return None
        except (CommandMissing, CommandFailed) as exc:
            log.error("%s: cannot run %s: %s", label, argv[0], exc)
            return None
        if not result.ok:
            log.error("%s: %s exited with %s: %s", label, argv[0], result.returncode,
                      result.stderr[:500])
        return result.returncode

    async def cancel_pending(self) -> None:
        """Cancel commands still waiting for their delay (the server is stopping)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
