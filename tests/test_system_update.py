"""``/system/update/check`` against real git repositories: a local bare "origin" and a
checkout of it, one commit behind or not at all; a remote that never answers."""

from __future__ import annotations

import json
import socket
import subprocess
import threading

import pytest

from seccam_core.system import update

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]


def git(*args, cwd=None) -> str:
    result = subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout.strip()


@pytest.fixture
def repos(tmp_path):
    """``(origin, work, checkout)``: a bare origin, a clone to push from, the installed one."""
    origin, work, checkout = tmp_path / "origin.git", tmp_path / "work", tmp_path / "checkout"
    git("init", "--bare", "-b", "main", str(origin))
    git("clone", str(origin), str(work))
    (work / "README").write_text("one\n")
    git("add", "README", cwd=work)
    git("commit", "-m", "first", cwd=work)
    git("push", "origin", "main", cwd=work)
    git("clone", str(origin), str(checkout))
    return origin, work, checkout


def _serve_from(checkout, data_dir, seccam_live_server):
    (data_dir / "settings.json").write_text(
        json.dumps({"System": {"update_repo": str(checkout)}}))
    return seccam_live_server()


def test_no_update_when_the_checkout_is_current(repos, seccam_live_server, seccam_data_dir):
    _, _, checkout = repos
    server = _serve_from(checkout, seccam_data_dir, seccam_live_server)

    response = server.client().get("/system/update/check")

    assert response.status_code == 200
    assert response.json() == {"available": False, "branch": "main",
                               "local_commit": git("rev-parse", "HEAD", cwd=checkout)[:8],
                               "commits_behind": 0}


def test_one_commit_ahead_is_an_update(repos, seccam_live_server, seccam_data_dir):
    _, work, checkout = repos
    (work / "README").write_text("two\n")
    git("commit", "-am", "fix: sensor timeout", cwd=work)
    git("push", "origin", "main", cwd=work)
    server = _serve_from(checkout, seccam_data_dir, seccam_live_server)

    body = server.client().get("/system/update/check").json()

    remote = git("rev-parse", "HEAD", cwd=work)
    assert body == {
        "available": True,
        "branch": "main",
        "local_commit": git("rev-parse", "HEAD", cwd=checkout)[:8],
        "remote_commit": remote[:8],
        "commits_behind": 1,
        "summary": f"{remote[:7]} fix: sensor timeout",
    }
    assert git("rev-parse", "HEAD", cwd=checkout) != remote  # checked, not installed


def test_a_branch_without_a_remote_says_so(repos, seccam_live_server, seccam_data_dir):
    _, _, checkout = repos
    git("checkout", "-b", "local-only", cwd=checkout)
    server = _serve_from(checkout, seccam_data_dir, seccam_live_server)

    body = server.client().get("/system/update/check").json()

    assert body["available"] is False and body["branch"] == "local-only"
    assert body["error"] == "Remote branch origin/local-only not found"


def test_a_fetch_that_hangs_times_out(repos, seccam_live_server, seccam_data_dir,
                                      monkeypatch):
    """The real limit is 20 s; the test shortens it (same code path) to keep the suite fast."""
    _, _, checkout = repos
    silent = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    git("remote", "set-url", "origin",
        f"http://127.0.0.1:{silent.getsockname()[1]}/repo.git", cwd=checkout)
    monkeypatch.setattr(update, "FETCH_TIMEOUT_SECONDS", 3.0)
    server = _serve_from(checkout, seccam_data_dir, seccam_live_server)

    response = server.client().get("/system/update/check")

    assert response.status_code == 200
    assert response.json() == {"available": False,
                               "error": "Timed out - check internet connection"}
    assert accepted  # git really tried the remote
    silent.close()


def test_a_folder_that_is_not_a_checkout(seccam_live_server, seccam_data_dir, tmp_path):
    server = _serve_from(tmp_path, seccam_data_dir, seccam_live_server)

    response = server.client().get("/system/update/check")

    assert response.status_code == 200
    assert response.json() == {
        "available": False,
        "error": f"{tmp_path} is not a git checkout: updates are not checked"}


def test_a_remote_that_is_gone_is_a_clear_error(repos, seccam_live_server, seccam_data_dir,
                                                 tmp_path):
    _, _, checkout = repos
    git("remote", "set-url", "origin", str(tmp_path / "gone.git"), cwd=checkout)
    server = _serve_from(checkout, seccam_data_dir, seccam_live_server)

    response = server.client().get("/system/update/check")

    assert response.status_code == 200
    assert response.json()["available"] is False
    assert response.json()["error"].startswith("git fetch failed:")
    assert "gone.git" in response.json()["error"]


def test_deploy_info_and_update_check_find_the_same_checkout(
        repos, seccam_live_server, seccam_data_dir, monkeypatch, tmp_path):
    """An installed package (its folder no checkout) run from a subfolder of the clone,
    as the systemd unit does: both answers name the clone's branch and commit."""
    from seccam_core import deploy

    _, _, checkout = repos
    installed = tmp_path / "site-packages"
    installed.mkdir()
    monkeypatch.setattr(deploy, "PROJECT_DIR", installed)
    (checkout / "deploy").mkdir()
    monkeypatch.chdir(checkout / "deploy")
    server = seccam_live_server()
    client = server.client()
    check = client.get("/system/update/check").json()
    info = client.get("/deploy_info").json()
    stats = client.get("/system_stats").json()
    assert check["branch"] == info["git_branch"] == stats["git_branch"] == "main"
    assert check["local_commit"].startswith(info["git_commit"])
    assert info["git_commit"] == git("rev-parse", "--short=7", "HEAD", cwd=checkout)
