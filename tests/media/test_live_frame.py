"""``GET /camera/frame``: the dashboard's live picture, cut once per ring segment."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor

from camera_kit import camera_ready, jpeg


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF marker."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise ValueError("no SOF marker")


def test_the_newest_frame_is_a_jpeg_shared_by_every_viewer_of_the_same_segment(
        media_server):
    server = media_server(camera={"test_pattern_size": "320x240"})
    camera_ready(server)
    client = server.client()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.get("/camera/frame"), range(8)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert all(a.headers["content-type"] == "image/jpeg" for a in answers)
    assert jpeg(answers[0].content)
    assert jpeg_size(answers[0].content) == (640, 480)  # scaled to the live view's width
    by_segment: dict[str, set[bytes]] = {}
    for answer in answers:
        by_segment.setdefault(answer.headers["X-Frame-Time"], set()).add(answer.content)
    # Same segment, same cut: never two different pictures for one segment.
    assert all(len(pictures) == 1 for pictures in by_segment.values())
    assert client.get("/camera/frame", headers={"Authorization": ""}).status_code == 401


def test_no_picture_while_the_camera_has_no_video_is_a_503(media_server):
    server = media_server(camera={"source": "rtsp://127.0.0.1:9/nothing"})
    answer = server.client().get("/camera/frame")
    assert answer.status_code == 503
    assert "camera" in answer.json()["error"]
