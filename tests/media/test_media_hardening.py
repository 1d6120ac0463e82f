"""Issue 17 on the media endpoints: sidecars through the resolver, suffix ranges, the
``Camera`` section's real-folder and source rules, masked credentials, a bad stored
section at startup."""

from __future__ import annotations

import json
import os

from camera_kit import make_jpeg, make_segment, write_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.media.service import MEDIA


def test_planted_sidecar_links_are_never_served_or_followed(media_server, tmp_path):
    """A real recording and timelapse whose sidecars are links to files outside."""
    server = media_server()
    client = server.client()
    layout = server.seccam.require(MEDIA).layout
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"\xff\xd8\xff do not serve")
    video = make_segment(layout.recordings_dir / "output_20200101_000000.mp4")
    stitched = make_segment(layout.timelapse_dir / "timelapse_20200101.mp4")
    for owner in (video, stitched):
        stem = owner.name[:-len(".mp4")]
        for suffix in (".thumb.jpg", ".sprite.jpg"):
            (owner.parent / (stem + suffix)).symlink_to(secret)
    answers = [
        client.get("/thumbnail", params={"video_path": str(video)}),
        client.get("/sprite", params={"video_path": str(video)}),
        client.get("/thumbnail/" + video.name),
        client.get("/sprite/" + video.name),
        client.get("/timelapse/thumbnail", params={"path": str(stitched)}),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.request.url
        assert b"do not serve" not in answer.content
    assert client.post("/delete_video", json={"video_path": str(video)}).status_code == 200
    assert client.post("/timelapse/delete", json={"path": str(stitched)}).status_code == 200
    assert secret.read_bytes() == b"\xff\xd8\xff do not serve"
    # A real sidecar is still served and deleted with its video.
    second = make_segment(layout.recordings_dir / "output_20200101_000001.mp4")
    make_jpeg(layout.recordings_dir / "output_20200101_000001.thumb.jpg")
    assert client.get("/thumbnail/" + second.name).status_code == 200
    client.post("/delete_video", json={"video_path": str(second)})
    assert not (layout.recordings_dir / "output_20200101_000001.thumb.jpg").exists()


def test_suffix_ranges_are_partial_content(media_server):
    server = media_server()
    client = server.client()
    layout = server.seccam.require(MEDIA).layout
    video = make_segment(layout.recordings_dir / "output_20200101_000000.mp4")
    data = video.read_bytes()

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.integers(min_value=1, max_value=len(data) * 2))
    def check(suffix: int) -> None:
        response = client.get("/stream_video", params={"video_path": str(video)},
                              headers={"Range": f"bytes=-{suffix}"})
        assert response.status_code == 206
        assert response.content == data[-suffix:]
        start = max(len(data) - suffix, 0)
        assert response.headers["Content-Range"] == f"bytes {start}-{len(data) - 1}/{len(data)}"

    check()


def test_camera_folder_is_validated_as_the_real_path_it_resolves_to(media_server, tmp_path):
    """Spellings of system folders (``/./etc``, through ``/proc/self/root``, a link)."""
    server = media_server()
    client = server.client()
    link = tmp_path / "innocent"
    link.symlink_to("/etc")
    before = client.get("/settings").json()["Camera"]["recordings_dir"]

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(system=st.sampled_from(["etc", "usr", "proc", "boot", "dev", "sys"]),
           spelling=st.sampled_from(["/./{}/seccam", "/proc/self/root/{}/seccam",
                                     "//{}//seccam", "/{}/./x/../seccam", "/{}/../{}/seccam"]))
    def check(system: str, spelling: str) -> None:
        folder = spelling.format(system, system)
        response = client.post("/settings", json={"Camera": {"recordings_dir": folder}})
        assert response.status_code == 400, folder
        assert "Camera.recordings_dir" in response.json()["error"]

    check()
    through_link = client.post("/settings",
                               json={"Camera": {"recordings_dir": str(link / "seccam")}})
    assert through_link.status_code == 400
    assert client.get("/settings").json()["Camera"]["recordings_dir"] == before
    assert not os.path.exists("/etc/seccam")


def test_camera_source_schemes_listeners_and_masked_credentials(media_server):
    server = media_server()
    client = server.client()
    refused = [
        "testpattern\n", "rtsp://cam/stream\n", "udp://0.0.0.0:1234", "file:///etc/passwd",
        "srt://0.0.0.0:9000?mode=listener", "rtsp://cam/s?listen=1",
        "http://169.254.169.254/latest/meta-data", "tcp://cam:1?listen",
        "rtsp://cam/s?rtsp_flags=listen", "concat:/etc/passwd",
    ]
    for source in refused:
        response = client.post("/settings", json={"Camera": {"source": source}})
        assert response.status_code == 400, source
        assert response.json()["error"].startswith("Camera.source"), source
    secret_url = "rtsp://admin:hunter2-pass@127.0.0.1:8554/cam"
    saved = client.post("/settings", json={"Camera": {"source": secret_url}})
    assert saved.status_code == 200
    shown = client.get("/settings").json()["Camera"]["source"]
    assert "hunter2" not in shown and shown == "rtsp://***@127.0.0.1:8554/cam"
    assert "hunter2" not in client.get("/settings/export").text
    # The document sent back as it was shown keeps the real credentials.
    document = client.get("/settings").json()["Camera"]
    assert client.post("/settings", json={"Camera": {**document,
                                                     "pre_roll_seconds": 1}}).status_code == 200
    assert server.seccam.settings.value("Camera", "source") == secret_url


def test_a_bad_stored_camera_section_falls_back_and_keeps_the_camera(
        seccam_live_server, seccam_data_dir, caplog):
    """A lone surrogate in the stored folder (written before this was refused)."""
    write_settings(seccam_data_dir, {})
    (seccam_data_dir / "settings.json").write_text(
        '{"Camera": {"recordings_dir": "/srv/\\ud800x", "pre_roll_seconds": 1}, '
        '"Timelapse": {"interval_minutes": NaN}}')
    server = seccam_live_server(media=True)
    client = server.client()
    assert server.seccam.get(MEDIA) is not None, "the media plugin still runs"
    assert client.get("/camera/status").status_code == 200
    assert client.get("/storage/status").status_code in (200, 404)
    camera = client.get("/settings").json()["Camera"]
    assert camera["recordings_dir"] == "" and camera["pre_roll_seconds"] == 5
    assert client.get("/settings").json()["Timelapse"]["interval_minutes"] == 5
    stored = (seccam_data_dir / "settings.json").read_text()
    assert "NaN" not in stored and "\\ud800" not in stored, "a bad value is never written back"
    json.loads(stored)


def test_a_snapshot_storm_runs_at_most_the_pool_of_still_jobs(media_server):
    """40 concurrent snapshots: all answered, at most STILL_POOL_SIZE still ffmpeg
    processes at once, and requests in the same second share a capture."""
    import concurrent.futures
    import threading

    import psutil
    from camera_kit import camera_ready, our_ffmpeg_processes

    from seccam_core.media.stills import STILL_POOL_SIZE

    server = media_server()
    camera_ready(server, 1)
    peak, seen, stop = [0], [0], threading.Event()

    def sample() -> None:
        # At least one sample, however soon the requests end.
        while True:
            stills = processes = 0
            for process in our_ffmpeg_processes():
                try:
                    stills += "image2" in " ".join(process.cmdline())
                    processes += 1
                except psutil.Error:  # gone meanwhile
                    continue
            peak[0] = max(peak[0], stills)
            seen[0] = max(seen[0], processes)
            if stop.is_set():
                return

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(lambda _: server.client().post("/snapshot"), range(40)))
    finally:
        stop.set()
        sampler.join()
    assert [answer.status_code for answer in answers] == [200] * 40
    paths = {answer.json()["path"] for answer in answers}
    assert len(paths) < 40, "requests in the same second share one capture"
    # The sampler sees our ffmpeg processes (the camera's runs throughout), so a peak
    # within the pool is a measurement; a capture shared by all 40 may be too quick for
    # it to catch at all, which is why the stills' own count is not required to be >= 1.
    assert seen[0] >= 1
    assert peak[0] <= STILL_POOL_SIZE


async def test_the_still_pool_runs_at_most_its_size_of_ffmpeg_jobs_at_once(tmp_path):
    """Six slow still jobs (real ffmpeg with a test source held to real time, 0.6 s
    each) through one runner: exactly the pool's size run at once, the others wait,
    and every JPEG is written. The runner's own list of live processes is sampled, so
    no job is too quick to be seen."""
    import asyncio
    import contextlib

    from seccam_core.media.ffmpeg import FfmpegRunner
    from seccam_core.media.stills import STILL_POOL_SIZE, write_jpeg

    runner = FfmpegRunner()
    slow = ["-f", "lavfi", "-i", "testsrc=duration=0.6:size=64x48:rate=10,realtime"]
    peak, done = [0], asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], len(runner.live_pids))
            with contextlib.suppress(TimeoutError):  # a sample every 20 ms until done
                await asyncio.wait_for(done.wait(), 0.02)

    sampler = asyncio.create_task(sample())
    try:
        written = await asyncio.gather(*(
            write_jpeg(runner, "still", slow, tmp_path / f"still_{n}.jpg", time_limit=30)
            for n in range(6)))
    finally:
        done.set()
        await sampler
        await runner.close()
    assert peak[0] == STILL_POOL_SIZE
    assert all(path.read_bytes()[:2] == b"\xff\xd8" for path in written)
