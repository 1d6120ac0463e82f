"""The update check, against real git repositories: a local bare "origin" one commit
ahead of the installed checkout (the checkout the server looks at is
``System.update_repo``, which only settings.json sets)."""

from __future__ import annotations

import subprocess

import pytest
from conftest import Dashboard, logged_in, prepare
from playwright.sync_api import expect

from seccam_core.testing import free_port

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]


def git(*args, cwd=None) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def behind_dashboard(seccam_data_dir, tmp_path):
    origin, work, checkout = tmp_path / "origin.git", tmp_path / "work", tmp_path / "checkout"
    git("init", "--bare", "-b", "main", str(origin))
    git("clone", str(origin), str(work))
    (work / "README").write_text("one\n")
    git("add", "README", cwd=work)
    git("commit", "-m", "first", cwd=work)
    git("push", "origin", "main", cwd=work)
    git("clone", str(origin), str(checkout))
    (work / "README").write_text("two\n")
    git("commit", "-am", "fix: sensor timeout", cwd=work)
    git("push", "origin", "main", cwd=work)
    prepare(seccam_data_dir, System={"update_repo": str(checkout)})
    server = Dashboard(seccam_data_dir, free_port()).start()
    server.new_commit = git("rev-parse", "HEAD", cwd=work)
    try:
        yield server
    finally:
        server.stop()


def test_the_update_check_shows_the_new_commits(behind_dashboard, phone_page, screenshot):
    page = logged_in(phone_page, behind_dashboard, "#/system/update")
    page.get_by_role("button", name="Check for updates").click()
    result = page.locator("#update-result")
    new = behind_dashboard.new_commit
    expect(result).to_contain_text("1 new commit(s) on main")
    expect(result).to_contain_text(f"→ {new[:8]}")
    expect(result).to_contain_text(f"{new[:7]} fix: sensor timeout")
    screenshot(page, "system-update")
