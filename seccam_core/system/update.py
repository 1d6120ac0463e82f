"""The update check: ``git fetch``, then how far the checkout is behind its remote branch.

The answer has the seed's shape (``available``, ``branch``, ``local_commit``,
``remote_commit``, ``commits_behind``, ``summary``). The fetch has 20 seconds; when
it runs out the answer is ``{"available": false, "error": "Timed out - check internet
connection"}``. Anything else that stops the check (git missing, not a checkout, no
such remote) answers the same way, ``{"available": false, "error": "<why>"}``: the
dashboard shows the reason, and nothing about it is a server fault. git runs without a
shell and without prompting for credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from pathlib import Path
from typing import Any

FETCH_TIMEOUT_SECONDS = 20.0
GIT_TIMEOUT_SECONDS = 15.0
TIMEOUT_MESSAGE = "Timed out - check internet connection"
SUMMARY_COMMITS = 20


class GitMissing(Exception):
    """git is not installed."""


class GitTimeout(Exception):
    """A git command ran out of time."""


class GitFailed(Exception):
    """A git command exited with an error."""


async def _git(repo: Path, *args: str, time_limit: float) -> str:
    git = shutil.which("git")
    if git is None:
        raise GitMissing("git is not installed")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    process = await asyncio.create_subprocess_exec(
        git, "-C", str(repo), *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        start_new_session=True,  # so a timeout kills git's helpers (ssh, http) too
    )
    try:
        async with asyncio.timeout(time_limit):
            out, err = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise GitTimeout(f"git {args[0]} took longer than {time_limit} s") from None
    if process.returncode != 0:
        raise GitFailed(err.decode(errors="replace").strip() or f"git {args[0]} failed")
    return out.decode(errors="replace").strip()


async def check_for_update(
    repo: Path, *, fetch_timeout: float = FETCH_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """Fetch and compare HEAD with ``origin/<branch>``; the seed's response object."""
    if not (repo / ".git").exists():
        return {"available": False,
                "error": f"{repo} is not a git checkout: updates are not checked"}
    try:
        await _git(repo, "fetch", "--quiet", "origin", time_limit=fetch_timeout)
    except GitTimeout:
        return {"available": False, "error": TIMEOUT_MESSAGE}
    except (GitMissing, GitFailed) as exc:
        return {"available": False, "error": f"git fetch failed: {exc}"}
    try:
        return await _compare(repo)
    except (GitMissing, GitFailed, GitTimeout) as exc:
        return {"available": False, "error": f"git failed: {exc}"}


async def _compare(repo: Path) -> dict[str, Any]:
    limit = GIT_TIMEOUT_SECONDS
    branch = await _git(repo, "rev-parse", "--abbrev-ref", "HEAD", time_limit=limit)
    local = await _git(repo, "rev-parse", "HEAD", time_limit=limit)
    remote_ref = f"origin/{branch}"
    try:
        remote = await _git(repo, "rev-parse", "--verify", "--quiet", f"{remote_ref}^{{commit}}",
                            time_limit=limit)
    except GitFailed:
        return {"available": False, "branch": branch, "local_commit": local[:8],
                "error": f"Remote branch {remote_ref} not found"}
    if remote == local:
        return {"available": False, "branch": branch, "local_commit": local[:8],
                "commits_behind": 0}
    span = f"HEAD..{remote_ref}"
    behind = int(await _git(repo, "rev-list", "--count", span, time_limit=limit))
    summary = await _git(repo, "log", f"-{SUMMARY_COMMITS}", "--no-decorate", "--abbrev=7",
                         "--format=%h %s", span, time_limit=limit)
    return {
        "available": behind > 0,
        "branch": branch,
        "local_commit": local[:8],
        "remote_commit": remote[:8],
        "commits_behind": behind,
        "summary": summary,
    }
