"""``GET /deploy_info``: the git branch and commit the server runs from."""

from __future__ import annotations

from quart import Blueprint

from seccam_core.deploy import deploy_info

blueprint = Blueprint("deploy", __name__)


@blueprint.get("/deploy_info")
async def get_deploy_info() -> dict:
    """``{"git_branch", "git_commit"}``, either null when not run from a git checkout."""
    return await deploy_info()
