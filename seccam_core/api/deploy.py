"""``GET /deploy_info``: the git branch and commit the server runs from."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint

from seccam_core.api.context import current_seccam
from seccam_core.api.validation import responds
from seccam_core.deploy import checkout_dir, deploy_info

blueprint = Blueprint("deploy", __name__)

DEPLOY_FIELDS = {
    "git_branch": {"type": ["string", "null"],
                   "description": "the branch checked out; null outside a git checkout"},
    "git_commit": {"type": ["string", "null"],
                   "description": "the short commit hash; null outside a git checkout"},
}
DEPLOY_INFO = {"type": "object", "properties": DEPLOY_FIELDS, "required": list(DEPLOY_FIELDS)}


@blueprint.get("/deploy_info")
@responds(200, schema=DEPLOY_INFO)
async def get_deploy_info() -> dict:
    """``{"git_branch", "git_commit"}``, either null when not run from a git checkout."""
    return await deploy_info(running_checkout())


def running_checkout() -> Path | None:
    """The checkout of this server (``System.update_repo`` when set)."""
    return checkout_dir(current_seccam().settings.value("System", "update_repo") or None)
