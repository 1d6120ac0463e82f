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

from pathlib import Path
from typing import Any

from seccam_core.commands import (
    Command,
    CommandFailed,
    CommandMissing,
    CommandTimeout,
    run_command,
)

FETCH_TIMEOUT_SECONDS = 20.0
GIT_TIMEOUT_SECONDS = 15.0
TIMEOUT_MESSAGE = "Timed out - check internet connection"
SUMMARY_COMMITS = 20


class GitFailed(Exception):
    """A git command exited with an error."""


GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
"""Never wait for credentials: a private remote fails at once instead."""


async def _git(repo: Path, *args: str, time_limit: float) -> str:
    result = await run_command(Command(["git", "-C", str(repo), *args], timeout=time_limit,
                                       name=f"git {args[0]}", env=GIT_ENV))
    if not result.ok:
        raise GitFailed(result.stderr or f"git {args[0]} failed")
    return result.stdout


async def check_for_update(
    repo: Path, *, fetch_timeout: float = FETCH_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """Fetch and compare HEAD with ``origin/<branch>``; the seed's response object."""
    if not (repo / ".git").exists():
        return {"available": False,
                "error": f"{repo} is not a git checkout: updates are not checked"}
    try:
        await _git(repo, "fetch", "--quiet", "origin", time_limit=fetch_timeout)
    except CommandTimeout:
        return {"available": False, "error": TIMEOUT_MESSAGE}
    except (CommandMissing, CommandFailed, GitFailed) as exc:
        return {"available": False, "error": f"git fetch failed: {exc}"}
    try:
        return await _compare(repo)
    except (CommandMissing, CommandFailed, CommandTimeout, GitFailed) as exc:
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
