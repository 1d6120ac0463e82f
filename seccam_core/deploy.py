"""Which git branch and commit the running code comes from, when it is a checkout."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


async def _git(project_dir: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None or not (project_dir / ".git").exists():
        return None
    process = await asyncio.create_subprocess_exec(
        git, "-C", str(project_dir), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return None
    text = out.decode().strip()
    return text if process.returncode == 0 and text else None


async def deploy_info(project_dir: Path = PROJECT_DIR) -> dict[str, str | None]:
    """``{"git_branch", "git_commit"}``; either is null without a checkout or git."""
    branch = await _git(project_dir, "rev-parse", "--abbrev-ref", "HEAD")
    commit = await _git(project_dir, "rev-parse", "--short=7", "HEAD")
    return {"git_branch": branch, "git_commit": commit}
