"""Live video as HLS, straight from the camera's segment ring: no re-encoding, no extra
process, whatever the number of viewers.

The ring's segments are MPEG-TS whose timestamps restart at zero (the recorder joins
them that way), so the playlist marks a discontinuity before every segment; players
(Safari, Android, Chromium) then play them back to back. Sequence numbers are the
server's own and only grow, across camera restarts too.

While someone watches (a playlist was asked for in the last :data:`WATCH_SECONDS`),
each new segment is hard-linked into a small window folder, so the ring may drop its
copy while a player still fetches it. Nobody watching: nothing is linked or written.
"""

from __future__ import annotations

import collections
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seccam_core.media.camera import CameraPipeline, CameraUnavailable, Segment

WINDOW_SEGMENTS = 6
"""Segments kept linked: the playlist's and a few a slow player may still fetch."""
PLAYLIST_SEGMENTS = 4
WATCH_SECONDS = 30.0
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"


@dataclass(frozen=True)
class LiveSegment:
    """One segment of the live window, under its own sequence number."""

    sequence: int
    path: Path
    seconds: float


class LiveVideo:
    """The live window over the camera's ring, and the HLS playlist that lists it."""

    def __init__(self, camera: CameraPipeline, window_dir: Path,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.camera = camera
        self.window_dir = window_dir
        self._clock = clock
        self._window: collections.deque[LiveSegment] = collections.deque()
        self._next_sequence = 0
        self._watched_at: float | None = None
        self._target_seconds = 1
        self._remove_listener: Callable[[], None] | None = None

    def start(self) -> None:
        """Follow the camera's segments; leftovers of an earlier run are removed."""
        if self.window_dir.is_dir():
            for leftover in self.window_dir.glob("*.ts"):
                leftover.unlink(missing_ok=True)
        self._remove_listener = self.camera.add_listener(self._on_segment)

    def stop(self) -> None:
        """Stop following the camera and unlink the window."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        self._clear()

    # --- the window ------------------------------------------------------------------

    def _watched(self) -> bool:
        return self._watched_at is not None and \
            self._clock() - self._watched_at < WATCH_SECONDS

    def _on_segment(self, segment: Segment) -> None:
        if self._watched():
            self._take(segment)
        elif self._window:
            self._clear()

    def _take(self, segment: Segment) -> None:
        self.window_dir.mkdir(parents=True, exist_ok=True)
        sequence = self._next_sequence
        target = self.window_dir / f"{sequence}.ts"
        try:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            os.link(segment.path, target)
        except OSError:  # the ring already dropped it: the next one will do
            return
        self._next_sequence += 1
        seconds = max(0.001, segment.end - segment.start)
        # RFC 8216: each EXTINF, rounded to the nearest integer, within the target.
        self._target_seconds = max(self._target_seconds, int(seconds + 0.5))
        self._window.append(LiveSegment(sequence, target, seconds))
        while len(self._window) > WINDOW_SEGMENTS:
            self._window.popleft().path.unlink(missing_ok=True)

    def _clear(self) -> None:
        while self._window:
            self._window.popleft().path.unlink(missing_ok=True)

    # --- what the routes answer ------------------------------------------------------

    def playlist(self, segment_url: Callable[[int], str]) -> str:
        """The live playlist, its segment URIs made by ``segment_url(sequence)``.

        Raises ``CameraUnavailable`` when the camera has no recent video.
        """
        self._watched_at = self._clock()
        if not self._window:  # the first viewer: start from the ring's newest segments
            self.camera.fresh_segment()
            for newest in self.camera.segments()[-PLAYLIST_SEGMENTS:]:
                self._take(newest)
        listed = list(self._window)[-PLAYLIST_SEGMENTS:]
        if not listed:
            raise CameraUnavailable("the camera has no recent video")
        first = listed[0].sequence
        lines = ["#EXTM3U", "#EXT-X-VERSION:3",
                 f"#EXT-X-TARGETDURATION:{self._target_seconds}",
                 f"#EXT-X-MEDIA-SEQUENCE:{first}",
                 # Every segment starts its own timeline, so each is a discontinuity and
                 # a segment's discontinuity number is its sequence number.
                 f"#EXT-X-DISCONTINUITY-SEQUENCE:{first}"]
        for index, item in enumerate(listed):
            if index:
                lines.append("#EXT-X-DISCONTINUITY")
            lines += [f"#EXTINF:{item.seconds:.3f},", segment_url(item.sequence)]
        return "\n".join(lines) + "\n"

    def segment(self, sequence: int) -> Path | None:
        """The file of a listed segment, or ``None`` once it left the window."""
        for item in self._window:
            if item.sequence == sequence:
                return item.path
        return None
