"""Which git branch and commit the running code comes from, when it is a checkout."""

from __future__ import annotations

from pathlib import Path

from seccam_core.commands import Command, run_command
from seccam_core.errors import SeccamError

PROJECT_DIR = Path(__file__).resolve().parent.parent


async def _git(project_dir: Path, *args: str) -> str | None:
    if not (project_dir / ".git").exists():
        return None
    try:
        result = await run_command(Command(["git", "-C", str(project_dir), *args],
                                           timeout=5, name=f"git {args[0]}"))
    except SeccamError:
        return None
    return result.stdout if result.ok and result.stdout else None


async def deploy_info(project_dir: Path = PROJECT_DIR) -> dict[str, str | None]:
    """``{"git_branch", "git_commit"}``; either is null without a checkout or git."""
    branch = await _git(project_dir, "rev-parse", "--abbrev-ref", "HEAD")
    commit = await _git(project_dir, "rev-parse", "--short=7", "HEAD")
    return {"git_branch": branch, "git_commit": commit}
