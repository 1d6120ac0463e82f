"""The command line, run as real processes (a contract: tests outside this repo use it)."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from seccam_core.testing import free_port, wait_until

SECCAM = [sys.executable, "-m", "seccam_core.cli"]


def run(*args, data_dir, input_text=None):
    return subprocess.run([*SECCAM, *args, "--data-dir", str(data_dir)], input=input_text,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def served(seccam_data_dir):
    port = free_port()
    process = subprocess.Popen(
        [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(seccam_data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/auth/status", timeout=1)
            break
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.1)
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_answers_and_token_prints_an_accepted_token(served, seccam_data_dir):
    _, url = served
    result = run("token", data_dir=seccam_data_dir)
    assert result.returncode == 0
    token = result.stdout.strip()
    assert httpx.get(url + "/settings").status_code == 401
    response = httpx.get(url + "/settings", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_sigterm_shuts_down_cleanly_and_the_password_is_never_logged(served, seccam_data_dir):
    process, url = served
    httpx.get(url + "/auth/status?token=secret-looking-value")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    stdout = process.stdout.read()
    secret_file = seccam_data_dir / "first-password.txt"
    assert str(secret_file) in stdout, "the console points to the first-password file"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    password = secret_file.read_text().strip()
    assert len(password) >= 12
    assert password not in stdout, "the journal never holds the password"
    log_text = (seccam_data_dir / "logs" / "api" / "seccam.log").read_text()
    assert "GET /auth/status 200" in log_text
    assert password not in log_text
    assert "secret-looking-value" not in log_text, "query strings are never logged"


def test_password_from_stdin(seccam_data_dir):
    for weak in ("abc", " " * 12, "pass\tword12", "pass\u200bword12"):
        result = run("password", data_dir=seccam_data_dir, input_text=weak + "\n")
        assert result.returncode == 1 and weak not in result.stderr
    result = run("password", data_dir=seccam_data_dir, input_text="correct horse\n")
    assert result.returncode == 0 and "Password updated" in result.stdout
    from seccam_core.auth import AUTH_SECTION, AuthService
    from seccam_core.settings import SettingsStore

    store = SettingsStore(seccam_data_dir / "settings.json")
    store.register(AUTH_SECTION)
    assert AuthService(store).check_password("correct horse")


def test_plugins_lists_the_builtins(seccam_data_dir):
    result = subprocess.run([*SECCAM, "plugins", "--json"], capture_output=True, text=True,
                            timeout=60, check=True)
    import json

    names = [p["name"] for p in json.loads(result.stdout)]
    assert "builtin.core" in names


def test_port_in_use_is_a_clear_error(seccam_data_dir):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(seccam_data_dir)],
            capture_output=True, text=True, timeout=60, check=False,
        )
    assert result.returncode == 1
    assert "cannot serve" in result.stderr


def _stored_auth(data_dir):
    from seccam_core.auth import AUTH_SECTION, AuthService
    from seccam_core.settings import SettingsStore

    store = SettingsStore(data_dir / "settings.json")
    store.register(AUTH_SECTION)
    return AuthService(store)


def test_password_set_while_the_server_runs_works_at_once_and_survives_its_writes(
        served, seccam_data_dir):
    """Before: ``seccam password`` against a running server printed "Password updated",
    the server kept the old hash in memory, and its next settings write put it back."""
    _, url = served
    token = run("token", data_dir=seccam_data_dir).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}

    result = run("password", data_dir=seccam_data_dir, input_text="correct horse\n")
    assert result.returncode == 0 and "Password updated" in result.stdout

    def logs_in():
        answer = httpx.post(url + "/auth/validate", json={"password": "correct horse"})
        return answer.status_code == 200
    wait_until(logs_in, 10, "the running server accepting the new password")

    saved = httpx.post(url + "/settings", headers=headers,
                       json={"Api": {"cors_origins": ["http://door.local"]}})
    assert saved.status_code == 200 and saved.json()["changed"] == ["Api"]
    assert _stored_auth(seccam_data_dir).check_password("correct horse")
    assert httpx.post(url + "/auth/validate",
                      json={"password": "correct horse"}).status_code == 200


def test_token_printed_while_the_server_runs_is_the_one_it_accepts(served, seccam_data_dir):
    _, url = served
    first = run("token", data_dir=seccam_data_dir).stdout.strip()
    renewed = httpx.post(url + "/auth/regenerate",
                         headers={"Authorization": f"Bearer {first}"}).json()["token"]
    printed = run("token", data_dir=seccam_data_dir).stdout.strip()
    assert printed == renewed != first
    assert httpx.get(url + "/settings",
                     headers={"Authorization": f"Bearer {printed}"}).status_code == 200


def test_a_hand_edit_of_settings_json_is_taken_in_and_announced(served, seccam_data_dir):
    import json

    _, url = served
    token = run("token", data_dir=seccam_data_dir).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    path = seccam_data_dir / "settings.json"
    document = json.loads(path.read_text())
    document["Api"] = {"cors_origins": ["http://by-hand.local"]}
    path.write_text(json.dumps(document))
    wait_until(lambda: httpx.get(url + "/settings", headers=headers).json()["Api"]
               == {"cors_origins": ["http://by-hand.local"]}, 10, "the edit taken in")
