"""Fixtures: a real, small filesystem (tmpfs) as the recordings folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from small_disk import MIB, SmallDisk, mount_tmpfs, unmount


def enable_auto_delete(server: Any, max_percent: int) -> Any:
    """Turn auto-delete on and wait for the check that this triggers to finish.

    Returns the ``/storage/configure`` response.
    """
    policy = server.seccam.storage_policies["oldest_recordings_first"]
    before = policy.checks
    response = server.client().post(
        "/storage/configure", json={"enabled": True, "max_percent": max_percent}
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 10
    while policy.checks == before:
        assert time.monotonic() < deadline, "no check after auto-delete was turned on"
        time.sleep(0.02)
    return response


@pytest.fixture
def small_disk(seccam_data_dir: Path) -> Iterator[SmallDisk]:
    """A 10 MiB tmpfs mounted at ``<data>/recordings`` (needs root, as in CI)."""
    root = seccam_data_dir / "recordings"
    root.mkdir()
    mount_tmpfs(root, 10 * MIB)
    try:
        yield SmallDisk(root, 10 * MIB)
    finally:
        unmount(root)
