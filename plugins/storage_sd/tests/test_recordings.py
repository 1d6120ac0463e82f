"""Which names are recordings of ours, and in which order they go."""

from __future__ import annotations

from datetime import datetime

import pytest
from seccam_storage_sd.recordings import recording_time, scan_recordings

from seccam_core import time_from_name, unique_name


@pytest.mark.parametrize("name", [
    "output_20260301_080000.mp4", "output_20260301_080000_2.mp4",
    "output_20241231_235959_17.mp4", "output_20240229_120000.mp4",
])
def test_recording_names_read_as_the_layout_reads_them(name):
    assert recording_time(name) == time_from_name(name) is not None


@pytest.mark.parametrize("name", [
    "output_20260301_080000.part.mp4", "snapshot_20260301_080000.jpg",
    "output_20260301_080000.jpg", "output_20260301_080000.mov", "output_old.mp4",
    "output_20261399_000000.mp4", "output_20250229_000000.mp4", "timelapse_20260301.mp4",
    "output_20260301_080000.thumb.jpg", "xoutput_20260301_080000.mp4",
    "output_2026030_080000.mp4", "output_20260301_080000_.mp4",
])
def test_other_names_are_not_ours(name):
    assert recording_time(name) is None


def test_oldest_first_by_name_counters_in_number_order(tmp_path):
    when = datetime(2026, 3, 1, 8, 0, 0)
    made = []
    for _ in range(11):  # output_..., _2, _3 ... _11 in the same second
        path = unique_name(tmp_path, "output", ".mp4", when)
        path.write_bytes(b"x")
        made.append(path.name)
    earlier = unique_name(tmp_path, "output", ".mp4", datetime(2026, 2, 28, 23, 0, 0))
    earlier.write_bytes(b"x")
    (tmp_path / "output_20260301_090000.part.mp4").write_bytes(b"x")

    recordings, in_progress = scan_recordings(tmp_path)

    assert [r.name for r in recordings] == [earlier.name, *made]
    assert in_progress == {"output_20260301_090000"}
