"""Live video as HLS from the camera's ring: a real camera (the test pattern) and a real
HLS client (ffmpeg's own demuxer, over HTTP, with no token); the window's bookkeeping
with an injected clock and a stand-in camera (only its segment reports are simulated)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from camera_kit import camera_ready, make_segment

from seccam_core.media.camera import CameraUnavailable, Segment
from seccam_core.media.ffmpeg import find_ffmpeg
from seccam_core.media.live_video import (
    PLAYLIST_SEGMENTS,
    WATCH_SECONDS,
    WINDOW_SEGMENTS,
    LiveVideo,
)
from seccam_core.testing import wait_until


def playlist_link(client) -> str:
    answer = client.post("/media/link", json={"url": "/live/stream.m3u8"})
    assert answer.status_code == 200, answer.text
    return answer.json()["url"]


def sequences(playlist: str) -> list[int]:
    return [int(n) for n in re.findall(r"^/live/segment/(\d+)\.ts\?", playlist, re.M)]


def test_a_player_without_the_token_plays_the_live_stream(media_server):
    server = media_server()
    camera_ready(server, seconds=2)
    client = server.client()
    anonymous = server.client(token=None)
    assert anonymous.get("/live/stream.m3u8").status_code == 401

    link = playlist_link(client)
    answer = anonymous.get(link)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert answer.headers["cache-control"] == "no-store"
    playlist = answer.text
    assert playlist.startswith("#EXTM3U\n") and "#EXT-X-ENDLIST" not in playlist
    listed = sequences(playlist)
    assert 1 <= len(listed) <= PLAYLIST_SEGMENTS
    assert listed == list(range(listed[0], listed[0] + len(listed)))
    first = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist).group(1))
    assert first == listed[0]
    assert f"#EXT-X-DISCONTINUITY-SEQUENCE:{first}" in playlist
    assert playlist.count("#EXT-X-DISCONTINUITY\n") == len(listed) - 1
    assert server.token not in playlist

    # Each segment is MPEG-TS, fetched without the token through its own signed link.
    uris = [line for line in playlist.splitlines() if line.startswith("/live/segment")]
    for uri in uris:
        segment = anonymous.get(uri)
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert segment.content[:1] == b"\x47" and len(segment.content) % 188 == 0
    assert anonymous.get(uris[0].replace("/segment/", "/segment/1")).status_code == 401

    # The window moves on: a later playlist lists newer segments, numbers only grow.
    wait_until(lambda: max(sequences(anonymous.get(link).text)) > max(listed), 15,
               "a newer segment in the playlist")
    later = sequences(anonymous.get(link).text)
    assert later[0] >= listed[0]

    # ffmpeg, as an HLS client, plays two seconds of it over HTTP.
    played = subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-live_start_index", "0",
         "-i", server.url + link, "-t", "2", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60)
    assert played.returncode == 0, played.stderr[-2000:]


def test_the_live_playlist_is_a_503_while_the_camera_is_down(media_server):
    server = media_server(camera={"source": "rtsp://127.0.0.1:9/none"})
    answer = server.client().get("/live/stream.m3u8")
    assert answer.status_code == 503 and "error" in answer.json()
    gone = server.client().get("/live/segment/0.ts")
    assert gone.status_code == 404 and "left the live window" in gone.json()["error"]
    for wrong in ("/live/segment/-1.ts", "/live/segment/x.ts", "/live/segment/1.mp4"):
        assert server.client().get(wrong).status_code == 404, wrong


# --- the window's bookkeeping ------------------------------------------------------------


class RingStandIn:
    """What LiveVideo asks of the camera, over real segment files in a ring folder."""

    def __init__(self, ring: Path, sample: Path) -> None:
        self.ring = ring
        self.sample = sample
        self.listeners = []
        self.ring_segments: list[Segment] = []
        self.count = 0

    def add_listener(self, listener):
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def segments(self) -> list[Segment]:
        return list(self.ring_segments)

    def fresh_segment(self) -> Segment:
        if not self.ring_segments:
            raise CameraUnavailable("the camera has no recent video")
        return self.ring_segments[-1]

    def new_segment(self, seconds: float = 1.0) -> Segment:
        """A segment cut and reported; the ring keeps two, like a short pre-roll."""
        path = self.ring / f"seg_{self.count:09d}.ts"
        self.count += 1
        path.write_bytes(self.sample.read_bytes())
        segment = Segment(path, 100.0 + self.count, 100.0 + self.count + seconds)
        self.ring_segments.append(segment)
        for listener in list(self.listeners):
            listener(segment)
        while len(self.ring_segments) > 2:
            self.ring_segments.pop(0).path.unlink()
        return segment


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ring(tmp_path):
    (tmp_path / "ring").mkdir()
    return RingStandIn(tmp_path / "ring", make_segment(tmp_path / "sample.ts", 0.5))


def listed_files(live: LiveVideo, playlist: str) -> list[Path | None]:
    return [live.segment(n) for n in sequences(playlist)]


def url(sequence: int) -> str:
    return f"/live/segment/{sequence}.ts?expires=1&signature=x"


def test_nothing_is_linked_until_someone_watches_and_after_they_stop(ring, tmp_path):
    clock = Clock()
    live = LiveVideo(ring, tmp_path / "window", clock)
    live.start()
    for _ in range(5):
        ring.new_segment()
    assert not (tmp_path / "window").exists()  # nobody watched: nothing written

    with pytest.raises(CameraUnavailable):
        LiveVideo(RingStandIn(ring.ring, ring.sample), tmp_path / "other", clock).playlist(url)
    playlist = live.playlist(url)  # the first viewer: the ring's newest two, linked
    assert sequences(playlist) == [0, 1]
    for _ in range(10):
        ring.new_segment()
        clock.now += 1
    playlist = live.playlist(url)
    files = listed_files(live, playlist)
    assert sequences(playlist) == list(range(12 - PLAYLIST_SEGMENTS, 12))
    # The ring dropped these long ago; the window's links still hold them.
    assert all(path is not None and path.stat().st_size > 0 for path in files)
    assert len(list((tmp_path / "window").glob("*.ts"))) == WINDOW_SEGMENTS
    assert live.segment(0) is None

    clock.now += WATCH_SECONDS + 1  # the viewer left
    ring.new_segment()
    assert list((tmp_path / "window").glob("*.ts")) == []
    live.stop()


def test_numbers_only_grow_and_the_target_covers_every_segment(ring, tmp_path):
    clock = Clock()
    live = LiveVideo(ring, tmp_path / "window", clock)
    live.start()
    ring.new_segment()
    first = live.playlist(url)
    # The camera restarts: its file names start again at zero, ours do not.
    ring.count = 0
    ring.new_segment(seconds=2.6)
    ring.new_segment(seconds=0.9)
    second = live.playlist(url)
    assert sequences(second) == [0, 1, 2]
    assert sequences(first) == [0]
    assert "#EXT-X-TARGETDURATION:3\n" in second  # the longest, 2.6 s, rounded
    assert "#EXTINF:2.600," in second and "#EXTINF:0.900," in second
    live.stop()
    assert list((tmp_path / "window").glob("*.ts")) == []


def test_a_leftover_window_of_a_crash_is_removed_at_start(ring, tmp_path):
    window = tmp_path / "window"
    window.mkdir()
    (window / "7.ts").write_bytes(b"old")
    LiveVideo(ring, window).start()
    assert list(window.iterdir()) == []


def test_a_live_segment_can_be_linked_but_no_other_path_of_its_shape(media_server):
    client = media_server().client()
    made = client.post("/media/link", json={"url": "/live/segment/3.ts"})
    assert urlsplit(made.json()["url"]).path == "/live/segment/3.ts"
    for other in ("/live/segment/3.ts/../x", "/live/segment/.ts", "/live/segment/3.tsx",
                  "/live/segment/3", "/live/segment?n=3", "/live/x/3.ts"):
        answer = client.post("/media/link", json={"url": other})
        assert answer.status_code == 400 and answer.json()["error"].startswith("url"), other
