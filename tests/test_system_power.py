"""``/system/restart`` and ``/system/reboot``: answer first, then run the configured
command (pointed at a harmless ``touch`` here) one or two seconds later."""

from __future__ import annotations

import json
import time

import pytest

from seccam_core.testing import wait_until


def _wait_for_file(path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} was never created"
        time.sleep(0.05)


@pytest.mark.parametrize(("path", "field", "message", "action"), [
    ("/system/restart", "restart_command", "Restarting services...", "restart"),
    ("/system/reboot", "reboot_command", "Rebooting...", "reboot"),
])
def test_answers_first_then_runs_the_command(seccam_live_server, seccam_data_dir, tmp_path,
                                             path, field, message, action):
    marker = tmp_path / f"{action}-ran"
    (seccam_data_dir / "settings.json").write_text(
        json.dumps({"System": {field: ["touch", str(marker)]}}))
    server = seccam_live_server()
    events = server.events()

    response = server.client().post(path)

    assert response.status_code == 200
    assert response.json() == {"message": message}
    assert not marker.exists()  # not yet: the answer comes first
    _wait_for_file(marker)
    assert events.wait_for("system_power").data["action"] == action


def test_a_failing_command_is_logged_and_the_server_goes_on(seccam_live_server,
                                                            seccam_data_dir, tmp_path, caplog):
    (seccam_data_dir / "settings.json").write_text(json.dumps({"System": {
        "restart_command": [str(tmp_path / "no-such-program")],
        "reboot_command": ["false"]}}))
    server = seccam_live_server()
    client = server.client()

    def logged(text: str) -> bool:
        return any(text in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)

    assert client.post("/system/restart").status_code == 200
    wait_until(lambda: logged("restart: cannot run"), timeout=10)
    assert client.post("/system/reboot").status_code == 200
    wait_until(lambda: logged("reboot: false exited with 1"), timeout=10)
    assert client.get("/system_alert_state").status_code == 200


def test_commands_cannot_be_changed_through_the_api(seccam_live_server, tmp_path):
    server = seccam_live_server()
    client = server.client()
    before = server.seccam.settings.get("System")

    for field in ("restart_command", "reboot_command", "update_repo"):
        value = "/tmp" if field == "update_repo" else ["touch", str(tmp_path / "x")]
        response = client.post("/settings", json={"System": {field: value}})
        assert response.status_code == 400
        assert response.json()["error"] == f"System.{field}: cannot be set through the API"
    assert server.seccam.settings.get("System") == before


def test_power_endpoints_need_the_token(seccam_live_server, seccam_data_dir, tmp_path):
    marker = tmp_path / "ran"
    (seccam_data_dir / "settings.json").write_text(
        json.dumps({"System": {"reboot_command": ["touch", str(marker)]}}))
    server = seccam_live_server()
    anonymous = server.client(token=None)

    for method in ("POST", "HEAD", "GET"):
        assert anonymous.request(method, "/system/reboot").status_code in {401, 405}
    assert anonymous.post("/system/reboot").status_code == 401
    time.sleep(2.5)  # longer than the reboot delay: proves nothing was scheduled
    assert not marker.exists()


@pytest.mark.parametrize("first", ["/system/restart", "/system/reboot"])
def test_power_actions_run_one_at_a_time(seccam_live_server, seccam_data_dir, tmp_path, first):
    """20 restart/reboot requests in a second run the command once; the others are told
    it is already in progress (the original ran it 20 times)."""
    import concurrent.futures
    import sys

    ran, release = tmp_path / "ran", tmp_path / "release"
    # Runs until the test has sent every request, as a real restart would take a while.
    command = [sys.executable, "-c",
               f"import os, time; open({str(ran)!r}, 'a').write('x')\n"
               f"while not os.path.exists({str(release)!r}): time.sleep(0.02)"]
    (seccam_data_dir / "settings.json").write_text(json.dumps({"System": {
        "restart_command": command, "reboot_command": command}}))
    server = seccam_live_server()
    paths = [first] + ["/system/restart", "/system/reboot"] * 10
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        first_answer = server.client().post(first).json()
        answers = list(pool.map(lambda path: server.client().post(path), paths[1:]))
    assert "in_progress" not in first_answer
    assert all(answer.status_code == 200 for answer in answers)
    busy = {answer.json().get("in_progress") for answer in answers}
    assert busy == {first.rsplit("/", 1)[1]}
    release.touch()
    wait_until(ran.exists, timeout=10)
    wait_until(lambda: server.call(
        lambda: _power(server).in_progress is None), timeout=10)
    assert ran.read_text() == "x", "the command ran once"
    again = server.client().post("/system/restart").json()
    assert "in_progress" not in again, "once done, a new request runs again"


def _power(server):
    from seccam_core.api.system import health_of

    return health_of(server.seccam).power
