"""Fixtures: a real, small filesystem (tmpfs) as the recordings folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from small_disk import MIB, SmallDisk, mount_tmpfs, unmount


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
