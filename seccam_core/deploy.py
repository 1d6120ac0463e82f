"""Which git branch and commit the running code comes from, when it is a checkout."""

from __future__ import annotations

from pathlib import Path

from seccam_core.commands import Command, run_command
from seccam_core.errors import SeccamError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def checkout_dir(configured: str | Path | None = None) -> Path | None:
    """The one way to find the git checkout the server runs from (deploy info and the
    update check both use it): ``configured`` (``System.update_repo``) if set, else the
    checkout holding the code, else the working folder's (an installed package run by
    the systemd unit from its clone). ``None`` when none is a checkout."""
    candidates = [Path(configured)] if configured else [PROJECT_DIR, Path.cwd()]
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if (folder / ".git").exists():  # a folder, or a file in a worktree
                return folder
        if configured:
            return Path(configured)
    return None


async def _git(project_dir: Path | None, *args: str) -> str | None:
    if project_dir is None:
        return None
    try:
        result = await run_command(Command(["git", "-C", str(project_dir), *args],
                                           timeout=5, name=f"git {args[0]}"))
    except SeccamError:
        return None
    return result.stdout if result.ok and result.stdout else None


async def deploy_info(project_dir: Path | None) -> dict[str, str | None]:
    """``{"git_branch", "git_commit"}`` of ``checkout_dir()``; null without one or git."""
    branch = await _git(project_dir, "rev-parse", "--abbrev-ref", "HEAD")
    commit = await _git(project_dir, "rev-parse", "--short=7", "HEAD")
    return {"git_branch": branch, "git_commit": commit}
