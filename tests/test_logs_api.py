"""The /logs endpoints over HTTP against a live server, on real files in its data folder."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import pytest


def write_api_log(data_dir: Path, lines: list[str], name: str = "seccam.log") -> Path:
    folder = data_dir / "logs" / "api"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def api_lines(count: int, start: int = 0) -> list[str]:
    return [f"2026-04-01 10:00:00 [INFO] seccam.access: GET /n/{n} 200"
            for n in range(start, start + count)]


@pytest.fixture
def server(seccam_live_server):
    return seccam_live_server()


def test_api_log_newest_first_with_both_spellings(server, seccam_data_dir):
    write_api_log(seccam_data_dir, [
        "2026-04-01 10:00:00 [INFO] seccam.access: GET /sensor/status 200 127.0.0.1",
        "2026-04-01 10:00:01 [ERROR] seccam_core.app: unexpected error on GET /x",
        "Traceback (most recent call last):",
        "  File \"app.py\", line 3, in view",
        "KeyError: 'presence'",
        "2026-04-01 10:00:02 [WARNING] presence.bt: adapter busy",
    ])
    client = server.client()
    entries = client.get("/logs/api").json()
    assert entries == [
        {"ts": "2026-04-01 10:00:02", "level": "WARNING", "source": "presence.bt",
         "message": "adapter busy"},
        {"ts": "2026-04-01 10:00:01", "level": "ERROR", "source": "seccam_core.app",
         "message": "unexpected error on GET /x\nTraceback (most recent call last):\n"
                    "  File \"app.py\", line 3, in view\nKeyError: 'presence'"},
        {"ts": "2026-04-01 10:00:00", "level": "INFO", "source": "seccam.access",
         "message": "GET /sensor/status 200 127.0.0.1"},
    ]
    assert client.get("/logs").json() == entries
    assert client.get("/logs", params={"level": "error", "search": "PRESENCE"}).json() == \
        [entries[1]]
    assert client.get("/logs/api", params={"source": "PRESENCE.BT"}).json() == [entries[0]]
    assert client.get("/logs/api", params={"source": "presence"}).json() == []  # exact


def test_limit_default_cap_and_rotated_files(server, seccam_data_dir):
    write_api_log(seccam_data_dir, api_lines(1500, start=1000), "seccam.log.1")
    write_api_log(seccam_data_dir, api_lines(1000, start=2500))  # the current file
    client = server.client()
    default = client.get("/logs/api").json()
    assert len(default) == 500
    assert default[0]["message"] == "GET /n/3499 200"
    capped = client.get("/logs/api", params={"limit": 5000}).json()
    assert len(capped) == 2000  # 1000 from the current file, 1000 more from .1
    assert capped[-1]["message"] == "GET /n/1500 200"


@pytest.mark.parametrize("query, field", [
    ({"limit": 0}, "limit"), ({"limit": -3}, "limit"), ({"limit": "many"}, "limit"),
    ({"limit": "1.5"}, "limit"), ({"level": "LOUD"}, "level"), ({"search": "x" * 500}, "search"),
])
def test_bad_query_is_a_400_naming_the_field(server, query, field):
    for path in ("/logs/api", "/logs/mediamtx"):
        response = server.client().get(path, params=query)
        assert response.status_code == 400, (path, query)
        assert response.json()["error"].startswith(field), response.json()


def test_missing_logs_are_empty_lists(server):
    client = server.client()
    assert client.get("/logs/api").json() == []
    assert client.get("/logs/mediamtx").json() == []
    assert client.get("/logs/install").json() == []


MEDIAMTX = [
    "2026/04/01 09:00:00 INF MediaMTX v1.9.0",
    "2026/04/01 09:00:01 WAR [RTSP] [conn 10.0.0.2:5000] closed: timeout",
    "2026/04/01 09:00:02 ERR [path cam] camera not found",
]


def test_mediamtx_log_normalised_and_filtered(server, seccam_data_dir):
    folder = seccam_data_dir / "logs" / "mediamtx"
    folder.mkdir(parents=True)
    (folder / "mediamtx.log").write_text("\n".join(MEDIAMTX) + "\n")
    client = server.client()
    entries = client.get("/logs/mediamtx").json()
    assert [(e["ts"], e["level"], e["source"]) for e in entries] == [
        ("2026-04-01 09:00:02", "ERROR", "path cam"),
        ("2026-04-01 09:00:01", "WARNING", "RTSP"),
        ("2026-04-01 09:00:00", "INFO", "mediamtx"),
    ]
    for level in ("WARNING", "war", "warn"):
        found = client.get("/logs/mediamtx", params={"level": level}).json()
        assert [e["level"] for e in found] == ["WARNING"]
    assert len(client.get("/logs/mediamtx", params={"search": "rtsp"}).json()) == 1


def test_mediamtx_log_path_is_configurable_in_settings_only(seccam_live_server, seccam_data_dir,
                                                           tmp_path):
    elsewhere = tmp_path / "var-log" / "mediamtx.log"
    elsewhere.parent.mkdir()
    elsewhere.write_text("\n".join(MEDIAMTX) + "\n")
    (seccam_data_dir / "settings.json").write_text(
        json.dumps({"Logs": {"mediamtx_log": str(elsewhere)}})
    )
    client = seccam_live_server().client()
    assert len(client.get("/logs/mediamtx").json()) == 3
    refused = client.post("/settings", json={"Logs": {"mediamtx_log": "/etc/shadow"}})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("Logs.mediamtx_log")


def make_script_logs(data_dir: Path) -> Path:
    logs_dir = data_dir / "logs"
    stamps = {  # name order and time order differ on purpose
        "install/2026-04-01_09-51-07.log": 1_000,
        "update/2026-03-01_10-00-00.log": 3_000,
        "ap-setup/2026-03-28_14-30-00.log": 2_000,
        "bluetooth-pairing/pair.log": 4_000,
    }
    for name, mtime in stamps.items():
        path = logs_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"contents of {name}\n")
        os.utime(path, (mtime, mtime))
    write_api_log(data_dir, api_lines(1))
    (logs_dir / "mediamtx").mkdir()
    (logs_dir / "mediamtx" / "mediamtx.log").write_text(MEDIAMTX[0] + "\n")
    (logs_dir / "install" / "notes.txt").write_text("not a log")
    return logs_dir


def test_script_logs_discovered_newest_first(server, seccam_data_dir):
    make_script_logs(seccam_data_dir)
    client = server.client()
    listing = client.get("/logs/install").json()
    assert [(e["name"], e["category"], e["mtime"]) for e in listing] == [
        ("bluetooth-pairing/pair.log", "bluetooth-pairing", 4000),
        ("update/2026-03-01_10-00-00.log", "update", 3000),
        ("ap-setup/2026-03-28_14-30-00.log", "ap-setup", 2000),
        ("install/2026-04-01_09-51-07.log", "install", 1000),
    ]
    assert listing[0]["size"] == len("contents of bluetooth-pairing/pair.log\n")
    assert client.get("/logs/scripts").json() == listing
    content = client.get("/logs/script/update/2026-03-01_10-00-00.log")
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("text/plain")
    assert content.text == "contents of update/2026-03-01_10-00-00.log\n"


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as written (no client-side normalisation of .. or %2F)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {server.token}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_script_log_paths_cannot_leave_their_folder(server, seccam_data_dir, tmp_path):
    logs_dir = make_script_logs(seccam_data_dir)
    secret = tmp_path / "secret.log"
    secret.write_text("TOP SECRET\n")
    (logs_dir / "install" / "link.log").symlink_to(secret)
    (logs_dir / "linked-category").symlink_to(tmp_path)
    attempts = [
        "/logs/script/install/..%2F..%2Fsettings.json",
        "/logs/script/install%2F..%2F..%2Fsettings.json/x.log",
        "/logs/script/..%2F..%2F..%2F..%2Fetc/passwd",
        "/logs/script/../../settings.json",
        "/logs/script/%2E%2E/settings.json",
        "/logs/script/install/%2E%2E",
        "/logs/script/%2Ftmp/secret.log",
        "/logs/script/install/%2Fetc%2Fpasswd",
        "/logs/script/install/link.log",
        "/logs/script/linked-category/secret.log",
        "/logs/script/install/notes.txt",
        "/logs/script/install/..%5C..%5Csettings.json",
        "/logs/script/install/a%00.log",
        "/logs/script/api/seccam.log",
        "/logs/script/mediamtx/mediamtx.log",
        "/logs/script/install/missing.log",
        "/logs/script/nothing/missing.log",
    ]
    for path in attempts:
        status, body = raw_get(server, path)
        assert status in (400, 404), (path, status, body)
        assert b"TOP SECRET" not in body and b"Auth" not in body and b"root:" not in body
        assert json.loads(body)["error"], path
    listing = server.client().get("/logs/install").json()
    names = [entry["name"] for entry in listing]
    assert "install/link.log" not in names
    assert not any(name.startswith("linked-category/") for name in names)


def test_logs_need_the_token(server):
    for path in ("/logs/api", "/logs", "/logs/mediamtx", "/logs/install", "/logs/scripts",
                 "/logs/script/install/a.log"):
        response = server.client(token=None).get(path)
        assert response.status_code == 401, path
