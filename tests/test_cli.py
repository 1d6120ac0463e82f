"""The command line, run as real processes (a contract: tests outside this repo use it)."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from seccam_core.testing import free_port

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
