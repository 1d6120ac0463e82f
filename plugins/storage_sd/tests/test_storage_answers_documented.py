"""The storage endpoints answer what the OpenAPI document says they answer.

Each answer comes from the real route over HTTP, in a state where its fields are filled,
and is validated against the 200 schema of the document built from the app.
"""

from __future__ import annotations

import pytest
import seccam_storage_sd
from conftest import enable_auto_delete
from small_disk import write_file

from seccam_core.testing import assert_documented


def test_status_with_every_kind_of_media(seccam_live_server, small_disk):
    small_disk.recording(minutes=0)
    write_file(small_disk.root / "snapshot_20260301_080000.jpg", 40_000)
    write_file(small_disk.layout.timelapse_dir / "timelapse_20260228.mp4", 300_000)
    server = seccam_live_server(seccam_storage_sd)

    status = assert_documented(server.app, "get", "/storage/status",
                               server.client().get("/storage/status"))

    assert [status[kind]["count"] for kind in ("recordings", "snapshots", "timelapses")] == [
        1, 1, 1]


def test_configure_answers_the_saved_section(seccam_live_server, small_disk):
    server = seccam_live_server(seccam_storage_sd)

    config = assert_documented(server.app, "post", "/storage/configure",
                               enable_auto_delete(server, 60))["config"]

    assert (config["enabled"], config["max_percent"]) == (True, 60)


@pytest.mark.parametrize(("recordings", "other_files_percent", "action"), [
    (6, 0, "cleaned"),
    (2, 90, "insufficient"),  # the recordings are too small to bring it under 50 %
])
def test_cleanup_that_deletes_or_cannot(seccam_live_server, small_disk, recordings,
                                        other_files_percent, action):
    server = seccam_live_server(seccam_storage_sd)
    enable_auto_delete(server, 50)  # on an empty disk: nothing to do yet
    for minutes in range(recordings):
        small_disk.recording(minutes=minutes)
    small_disk.fill_to(other_files_percent)

    body = assert_documented(server.app, "post", "/storage/cleanup",
                             server.client().post("/storage/cleanup"))

    assert body["action"] == action
    assert (body["deleted"] != []) == (action == "cleaned")


def test_cleanup_while_auto_delete_is_off(seccam_live_server, small_disk):
    server = seccam_live_server(seccam_storage_sd)

    body = assert_documented(server.app, "post", "/storage/cleanup",
                             server.client().post("/storage/cleanup"))

    assert body == {"enabled": False, "action": "skipped"}
