"""The settings store: validation, atomic writes, recovery and migration."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from seccam_core.contributions import SettingsSection
from seccam_core.errors import ApiError
from seccam_core.settings import SettingsStore

LEVEL = SettingsSection(
    name="Test",
    schema={
        "type": "object",
        "properties": {"level": {"type": "integer", "minimum": 0, "maximum": 10},
                       "name": {"type": "string"}},
        "additionalProperties": False,
    },
    defaults={"level": 3, "name": "door"},
)


@pytest.fixture
def store(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.register(LEVEL)
    return store


def test_defaults_fill_a_new_store(store):
    assert store.get("Test") == {"level": 3, "name": "door"}


def test_update_is_written_with_mode_0600_and_a_backup(store):
    store.update({"Test": {"level": 4}})
    store.update({"Test": {"level": 5}})
    backup = store.path.with_name("settings.json.bak")
    for path in (store.path, backup):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert json.loads(path.read_text())["Test"]["level"] == 5


def test_invalid_update_names_the_field_and_writes_nothing(store):
    store.update({"Test": {"level": 4}})
    before = store.path.read_bytes()
    with pytest.raises(ApiError) as caught:
        store.update({"Test": {"level": 99}})
    assert caught.value.status == 400
    assert caught.value.message.startswith("Test.level:")
    with pytest.raises(ApiError, match="unknown settings section"):
        store.update({"Nope": {}})
    assert store.path.read_bytes() == before
    assert store.get("Test")["level"] == 4


def test_corrupt_file_is_set_aside_and_nothing_acknowledged_is_lost(tmp_path, caplog):
    first = SettingsStore(tmp_path / "settings.json")
    first.register(LEVEL)
    first.update({"Test": {"level": 6}})
    first.update({"Test": {"level": 7}})
    (tmp_path / "settings.json").write_text('{"Test": {"level": 8')  # damaged on disk
    second = SettingsStore(tmp_path / "settings.json")
    second.register(LEVEL)
    assert second.get("Test")["level"] == 7
    assert list(tmp_path.glob("settings.json.corrupt-*"))
    assert "CORRUPT" in caplog.text


def test_invalid_stored_section_falls_back_to_defaults(tmp_path, caplog):
    (tmp_path / "settings.json").write_text(json.dumps({"Test": {"level": "high"}}))
    store = SettingsStore(tmp_path / "settings.json")
    store.register(LEVEL)
    assert store.get("Test") == {"level": 3, "name": "door"}
    assert "Test.level" in caplog.text


def test_original_flat_settings_are_migrated(tmp_path):
    original = {
        "TARGET_BT_ADDRESSES": [{"address": "aa:bb:cc:dd:ee:ff", "name": "Phone"}],
        "VideoSaveLocation": "./recordings",
        "StreamWidth": 1296,
        "Sensor": {"type": "pir", "gpio": 17, "enabled": True, "hold_seconds": 20},
        "StorageLimit": {"enabled": True, "max_percent": 80},
        "Auth": {"enabled": False, "token": "t" * 43, "password_hash": "pbkdf2:sha256:1$s$ab"},
    }
    (tmp_path / "settings.json").write_text(json.dumps(original))
    store = SettingsStore(tmp_path / "settings.json")
    assert store.get("Sensor")["type"] == "pir"
    assert store.get("StorageLimit")["max_percent"] == 80
    assert store.get("Presence")["devices"] == [{"address": "AA:BB:CC:DD:EE:FF", "name": "Phone"}]
    assert store.get("Camera")["recordings_dir"] == "./recordings"
    assert store.get("Auth") == {"enabled": True, "token": "t" * 43,
                                 "password_hash": "pbkdf2:sha256:1$s$ab"}
    assert json.loads((tmp_path / "settings.json.original").read_text()) == original


async def test_post_settings_validates_all_sections_before_writing(seccam_client):
    store = seccam_client.seccam.settings
    before = store.path.read_bytes()
    response = await seccam_client.post(
        "/settings", json={"Api": {"cors_origins": ["http://a"]}, "Auth": {"enabled": "yes"}}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"].startswith("Auth.enabled:")
    assert store.path.read_bytes() == before


@pytest.mark.parametrize("body", ["[1, 2]", "null", "not json", '"text"'])
async def test_post_settings_rejects_non_objects(seccam_client, body):
    response = await seccam_client.post(
        "/settings", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "error" in await response.get_json()


async def test_settings_import_never_touches_auth(seccam_client):
    token = seccam_client.seccam.auth.token
    response = await seccam_client.post(
        "/settings/import",
        json={"Api": {"cors_origins": []}, "Auth": {"enabled": False, "token": "evil"}},
    )
    assert response.status_code == 200
    assert seccam_client.seccam.auth.token == token
    assert seccam_client.seccam.auth.enabled


@pytest.fixture
def tiny_filesystem(tmp_path):
    """A real 256 KiB tmpfs (needs root, as CI has)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                   check=True)
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_full_disk_is_a_507_and_changes_nothing(tiny_filesystem):
    store = SettingsStore(tiny_filesystem / "settings.json")
    store.register(LEVEL)
    store.update({"Test": {"level": 4}})
    before = store.path.read_bytes()
    filler = tiny_filesystem / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
        except OSError:
            pass
    with pytest.raises(ApiError) as caught:
        store.update({"Test": {"level": 9, "name": "n" * 20000}})
    assert caught.value.status == 507 and "No space left" in caught.value.message
    assert store.get("Test")["level"] == 4
    assert store.path.read_bytes() == before
    assert not list(tiny_filesystem.glob("*.tmp-*"))
    filler.unlink()
    store.update({"Test": {"level": 9}})  # space again: writes work again
    assert json.loads(store.path.read_text())["Test"]["level"] == 9


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from seccam_core.contributions import SettingsSection
    from seccam_core.settings import SettingsStore
    section = SettingsSection(name="Loop", schema={"type": "object"}, defaults={"n": 0})
    store = SettingsStore(Path(sys.argv[1]))
    store.register(section)
    n = 0
    store.update({"Loop": {"n": -1}})  # a first complete write before the kills start
    print("ready", flush=True)
    while True:
        n += 1
        store.update({"Loop": {"n": n, "padding": "x" * (n % 5000)}})
""")


def test_sigkill_during_writes_never_leaves_an_unreadable_file(tmp_path):
    """A real process writing in a loop is killed at random moments (a power cut)."""
    path = tmp_path / "settings.json"
    for round_number in range(8):
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.03 * round_number)  # let it get into the write loop
        process.send_signal(signal.SIGKILL)
        process.wait()
        document = json.loads(path.read_text())  # must always parse
        assert isinstance(document["Loop"]["n"], int)
        store = SettingsStore(path)
        assert store.get("Loop")["n"] == document["Loop"]["n"]
        assert not list(tmp_path.glob("*.tmp-*")), "leftover temp files are cleaned at start"


async def test_an_export_imports_back_unchanged(seccam_client):
    """Backup and restore: the exported file is accepted as it is."""
    await seccam_client.post("/settings", json={"Api": {"cors_origins": ["http://kept"]}})
    exported = await (await seccam_client.get("/settings/export")).get_json()
    await seccam_client.post("/settings", json={"Api": {"cors_origins": []}})

    response = await seccam_client.post("/settings/import", json=exported)

    assert response.status_code == 200, await response.get_data()
    assert (await response.get_json())["changed"] == ["Api"]
    assert "ignored" not in await response.get_json()
    settings = await (await seccam_client.get("/settings")).get_json()
    assert settings["Api"]["cors_origins"] == ["http://kept"]


async def test_an_import_leaves_commands_and_auth_alone_and_says_so(seccam_client):
    store = seccam_client.seccam.settings
    command = store.get("System")["restart_command"]
    exported = await (await seccam_client.get("/settings/export")).get_json()
    exported["System"]["restart_command"] = ["rm", "-rf", "/"]
    exported["Auth"]["enabled"] = False

    response = await seccam_client.post("/settings/import", json=exported)

    assert response.status_code == 200
    assert (await response.get_json())["ignored"] == ["Auth.enabled", "System.restart_command"]
    assert store.get("System")["restart_command"] == command
    assert seccam_client.seccam.auth.enabled


@pytest.mark.parametrize("size", ["6793x7431", "161x120", "1920x1082", "8x8", "640x480x2"])
@pytest.mark.seccam_plugins(media=True)
async def test_an_unworkable_test_pattern_size_is_refused(seccam_client, size):
    """A huge or odd-sided picture would choke the encoder; the field is named instead."""
    response = await seccam_client.post("/settings", json={"Camera": {"test_pattern_size": size}})
    assert response.status_code == 400
    assert (await response.get_json())["error"].startswith("Camera.test_pattern_size:")


@pytest.mark.seccam_plugins(media=True)
async def test_full_hd_test_pattern_is_accepted(seccam_client):
    response = await seccam_client.post(
        "/settings", json={"Camera": {"test_pattern_size": "1920x1080"}})
    assert response.status_code == 200
    assert seccam_client.seccam.settings.get("Camera")["test_pattern_size"] == "1920x1080"
