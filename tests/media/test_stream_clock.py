"""The camera's stream clock: segment reports arrive late, never early.

Generated reports (segment lengths of a keyframe interval, arrival delays from
milliseconds to the seconds of ffmpeg's first probe) check what the pre-roll depends on:
a segment is never stamped older than it is, and once one report arrives on time every
segment is stamped within that report's delay of the truth.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from seccam_core.media.camera import StreamClock

START = 1_800_000_000.0  # when the stream's time 0 was filmed (epoch)


@given(
    lengths=st.lists(st.floats(0.5, 4.0), min_size=1, max_size=StreamClock.WINDOW),
    delays=st.data(),
)
def test_stamps_are_never_older_than_the_video_and_as_good_as_the_best_report(lengths, delays):
    clock = StreamClock()
    ends, waits, stream_time = [], [], 0.0
    for length in lengths:
        start, stream_time = stream_time, stream_time + length
        wait = delays.draw(st.floats(0.0, 6.0))
        clock.report(start, stream_time, START + stream_time + wait)
        ends.append(stream_time)
        waits.append(wait)
    for end in ends:
        error = clock.wall(end) - (START + end)
        assert error >= -1e-6  # never older than it is: the pre-roll is never short
        assert abs(error - min(waits)) < 1e-6


def test_a_probe_burst_is_corrected_by_the_first_report_on_time():
    clock = StreamClock()
    # ffmpeg read 6 s of stream while probing, then reports its 2 s segments at once.
    for start in (0.0, 2.0):
        clock.report(start, start + 2.0, START + 6.05)
    assert abs(clock.wall(2.0) - (START + 4.05)) < 1e-6  # looks 2 s newer than it is
    assert clock.report(4.0, 6.0, START + 6.05)  # the burst's last: on time, offset changes
    assert abs(clock.wall(2.0) - (START + 2.05)) < 1e-6
    assert not clock.report(6.0, 8.0, START + 8.3)  # a later, slower report changes nothing


def test_a_jump_in_stream_time_starts_the_estimate_anew():
    clock = StreamClock()
    clock.report(0.0, 2.0, START + 2.0)
    clock.report(500.0, 502.0, START + 4.0)  # the source restarted its clock
    assert clock.wall(502.0) == START + 4.0


def test_a_camera_clock_running_slow_is_followed():
    """The window forgets old reports, so a slowly drifting offset is followed."""
    clock = StreamClock()
    for n in range(3 * StreamClock.WINDOW):
        drift = n * 0.001  # the camera's second is 1 ms longer than ours
        clock.report(n * 1.0, n + 1.0, START + n + 1.0 + drift)
    last = 3 * StreamClock.WINDOW
    assert abs(clock.wall(float(last)) - (START + last + (last - 1) * 0.001)) < \
        StreamClock.WINDOW * 0.001 + 1e-9
