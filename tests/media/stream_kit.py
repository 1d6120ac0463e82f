"""A live H.264 camera stream for tests: ffmpeg encoding, served as MPEG-TS over HTTP.

This plays the part MediaMTX plays on a Pi: an always-on address that hands each
client the live stream. An ffmpeg encoder per connection writes MPEG-TS to a pipe and
a small HTTP server on 127.0.0.1 relays it, so a test can drop the stream (the
connection closes and new ones are refused), bring it back, or change the picture size
in the middle of a connection (a new encoder continues the same stream, with the new
size's SPS in-band, as a camera reconfigured on the fly would send).

Every picture carries the wall-clock time it was drawn in a 32x32 box in its top-left
corner (luma and blue chroma levels, 0.1 s steps): decoding the first frame of a clip
tells, independently of the recorder, when that frame was taken. A frame is drawn just
before it is sent, so a recorder that stamps video by its arrival can never claim
more pre-roll than the clip holds.

Why not RTSP: the only RTSP server packaged for Debian or PyPI that runs here
(rtsp-server-perl) serves players over UDP only, while seccam reads RTSP over TCP, as
from MediaMTX; the input side of ffmpeg is the same for both.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seccam_core.media.ffmpeg import find_ffmpeg

# The time code: decisecond d is drawn as luma 16 + 8*(d mod 26) and blue chroma
# 16 + 8*(floor(d/26) mod 26), so it repeats every 67.6 s and survives H.264 rounding.
_STEPS = 26
_CODE_PERIOD = _STEPS * _STEPS / 10.0
_TIME_CODE = (
    "lum='if(lt(X,32)*lt(Y,32),16+8*mod(floor(T*10),26),lum(X,Y))'"
    ":cb='if(lt(X,16)*lt(Y,16),16+8*mod(floor(T*10/26),26),cb(X,Y))'"
    ":cr='cr(X,Y)'"
)


@dataclass
class StreamFormat:
    """What the encoder sends."""

    size: str = "160x120"
    fps: int = 10
    keyframe_seconds: float = 2.0
    audio: bool = False


class StreamSource:
    """``http://127.0.0.1:PORT/cam.ts``: a live stream while up, refused while down.

    Everything sent is also appended to ``recording`` (the source's own copy), so tests
    can compare a clip with what the camera really sent.
    """

    def __init__(self, work_dir: Path, stream: StreamFormat | None = None) -> None:
        self.format = stream or StreamFormat()
        self.recording = work_dir / "source.ts"
        self.ffmpeg = find_ffmpeg()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/cam.ts"
        self.connections = 0
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._generation = 0  # bumped by down(): connections of an older one end
        self._size_changed = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._trickle = False
        self._threads: list[threading.Thread] = []

    # --- control --------------------------------------------------------------------

    def up(self) -> StreamSource:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(4)
        with self._lock:
            self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener, self._generation),
                                  daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def down(self) -> None:
        """The camera goes away: open connections close, new ones are refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            self._generation += 1
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        for thread in self._threads:
            thread.join(10)
        self._threads = []

    def stall(self, *, trickle: bool = False) -> None:
        """The camera hangs: connections stay open and nothing more is sent, or, with
        ``trickle``, only empty MPEG-TS packets (bytes keep coming, pictures do not)."""
        self._trickle = trickle
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def change_size(self, size: str) -> None:
        """Switch the picture size without closing the connection."""
        self.format.size = size
        self._size_changed.set()

    def __enter__(self) -> StreamSource:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()

    # --- serving ----------------------------------------------------------------------

    def _accept(self, listener: socket.socket, generation: int) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed by down()
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection, generation),
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket, generation: int) -> None:
        with connection:
            try:
                connection.settimeout(10)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n"
                                   b"Connection: close\r\n\r\n")
                chunks = self._encoded(generation)
                try:
                    for chunk in chunks:
                        self._hold_while_stalled(connection, generation)
                        connection.sendall(chunk)
                        with self.recording.open("ab") as copy:
                            copy.write(chunk)
                finally:
                    chunks.close()  # stops the encoder now, not when collected
            except OSError:
                return  # the client went away

    def _hold_while_stalled(self, connection: socket.socket, generation: int) -> None:
        null_packet = b"\x47\x1f\xff\x10" + b"\xff" * 184  # PID 0x1FFF: padding
        while not self._flowing.is_set() and generation == self._generation:
            if self._trickle:
                connection.sendall(null_packet)
            self._flowing.wait(0.2)  # a padding packet every 0.2 s until resumed

    def _encoded(self, generation: int) -> Iterator[bytes]:
        """The stream's bytes; a size change starts a new encoder continuing the clock."""
        began = time.monotonic()
        while generation == self._generation:
            self._size_changed.clear()
            encoder = subprocess.Popen(self._encoder_args(time.monotonic() - began),
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert encoder.stdout is not None
            try:
                while generation == self._generation and not self._size_changed.is_set():
                    chunk = encoder.stdout.read1(65536)
                    if not chunk:
                        return
                    yield chunk
            finally:
                encoder.kill()
                encoder.wait()

    def _encoder_args(self, offset: float) -> list[str]:
        fmt = self.format
        gop = str(round(fmt.fps * fmt.keyframe_seconds))
        # Stamp each frame with the wall clock as it is drawn (setpts to RTCTIME, geq
        # reads it), then back to a steady frame clock. The realtime filter holds each
        # frame until it is due: without it the frames ffmpeg reads while it opens the
        # input would go out at once, ahead of the stream's own time, as no camera can.
        picture = (f"[0:v]realtime,format=yuv420p,setpts=RTCTIME/1000000/TB,"
                   f"geq={_TIME_CODE},setpts=N/FRAME_RATE/TB[v]")
        live = ["-re", "-readrate_initial_burst", "0"]
        args = [self.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
                *live, "-f", "lavfi", "-i", f"testsrc=size={fmt.size}:rate={fmt.fps}"]
        if fmt.audio:
            args += [*live, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
        args += ["-filter_complex", picture, "-map", "[v]",
                 "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                 "-crf", "12", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
                 "-threads", "1"]
        if fmt.audio:
            args += ["-map", "1:a", "-c:a", "aac", "-b:a", "64k"]
        return [*args, "-output_ts_offset", f"{offset:.3f}", "-flush_packets", "1",
                "-f", "mpegts", "pipe:1"]


# --- reading clips -------------------------------------------------------------------------


def first_frame_sent_at(clip: Path, near: float) -> float:
    """When the clip's first frame was drawn (epoch), read from its time code.

    ``near`` is any time within half a code period (33 s) of the answer.
    """
    width, height = video_size(clip)
    raw = subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(clip),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"],
        capture_output=True, check=True, timeout=30).stdout
    luma = [raw[y * width + x] for y in range(6, 26) for x in range(6, 26)]
    chroma_at = width * height
    blue = [raw[chroma_at + y * (width // 2) + x] for y in range(3, 13) for x in range(3, 13)]
    low = round((sum(luma) / len(luma) - 16) / 8)
    high = round((sum(blue) / len(blue) - 16) / 8)
    assert 0 <= low < _STEPS and 0 <= high < _STEPS, (low, high)
    coded = (high * _STEPS + low) / 10.0
    # The wall-clock time whose code is ``coded`` nearest to ``near``.
    base = near - (near % _CODE_PERIOD)
    candidates = [base + coded + k * _CODE_PERIOD for k in (-1, 0, 1)]
    return min(candidates, key=lambda t: abs(t - near))


_VIDEO_LINE = re.compile(r"Stream #\S+.*?: Video: (.*)")


def video_streams(description: str) -> list[str]:
    """The ``Video:`` parameters of each video stream in ffmpeg's description of a file."""
    return _VIDEO_LINE.findall(description)


def codec_parameters(video_line: str) -> str:
    """The coding parameters of a ``Video:`` line: codec, profile, pixel format, size.

    The container's codec tag, bit rate and frame-rate estimates are left out.
    """
    codec, pixels, size = video_line.split(", ")[:3]
    return ", ".join((re.sub(r" \([^()]*/ 0x[0-9A-Fa-f]+\)", "", codec), pixels, size))


def video_size(clip: Path) -> tuple[int, int]:
    description = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(clip)],
                                 capture_output=True, text=True, timeout=30).stderr
    [line, *_] = video_streams(description)
    width, height = re.search(r", (\d+)x(\d+)", line).groups()  # type: ignore[union-attr]
    return int(width), int(height)
