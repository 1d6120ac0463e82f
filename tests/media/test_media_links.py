"""Signed media links: a clip a ``<video>`` element can seek in, and a download, with
no token in any URL. Over real HTTP with a real clip; the expiry with an injected clock."""

from __future__ import annotations

import logging
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seccam_core.media.ffmpeg import find_ffmpeg
from seccam_core.media.service import MEDIA
from seccam_core.media_links import LINKABLE_PATHS, MediaLinks, linkable


def make_clip(path: Path) -> Path:
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc=size=160x120:rate=10", "-t", "2", "-c:v", "libx264", "-preset",
         "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", str(path)],
        check=True, timeout=30,
    )
    return path


def with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    return f"{urlsplit(url).path}?{urlencode(pairs)}"


def test_a_signed_link_opens_one_clip_for_reading_with_ranges_and_nothing_else(
        media_server, caplog):
    caplog.set_level(logging.DEBUG)
    server = media_server()
    recordings = server.seccam.require(MEDIA).layout.recordings_dir
    clip = make_clip(recordings / "output_20261129_101500.mp4")
    other = make_clip(recordings / "output_20261129_101600.mp4")
    data = clip.read_bytes()
    client = server.client()
    anonymous = server.client(token=None)
    asked_at = datetime.now(UTC)

    answer = client.post("/media/link", json={"url": f"/stream_video?video_path={clip.name}"})
    assert answer.status_code == 200, answer.text
    link = answer.json()
    expires_at = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert 3590 <= (expires_at - asked_at).total_seconds() <= 3610
    assert server.token not in link["url"]

    # Without the token, as a <video> element asks: ranges, then the whole file, HEAD.
    part = anonymous.get(link["url"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert anonymous.get(link["url"]).content == data
    head = anonymous.head(link["url"])
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(data)
    # The query's order is free: it is signed sorted.
    pairs = parse_qsl(urlsplit(link["url"]).query)
    assert anonymous.get(with_query(link["url"], pairs[::-1])).status_code == 200

    # Anything else is a 401: another file, another route, a changed or dropped field,
    # an added one, a write.
    changed = {
        "another file": [(k, other.name if k == "video_path" else v) for k, v in pairs],
        "as a download": [*pairs, ("download", "1")],
        "no expiry": [(k, v) for k, v in pairs if k != "expires"],
        "a later expiry": [(k, str(int(v) + 60) if k == "expires" else v) for k, v in pairs],
        "no signature": [(k, v) for k, v in pairs if k != "signature"],
    }
    for what, query in changed.items():
        assert anonymous.get(with_query(link["url"], query)).status_code == 401, what
    for path in LINKABLE_PATHS - {"/stream_video"}:
        assert anonymous.get(f"{path}?{urlencode(pairs)}").status_code == 401, path
    assert anonymous.get(f"/archive?{urlencode(pairs)}").status_code == 401
    assert anonymous.post(f"/delete_video?{urlencode(pairs)}",
                          json={"video_path": clip.name}).status_code == 401
    assert clip.exists()

    # A download link: the browser saves it as an attachment.
    download = client.post("/media/link", json={
        "url": f"/stream_video?video_path={clip.name}&download=1", "seconds": 60}).json()
    saved = anonymous.get(download["url"])
    assert saved.status_code == 200 and saved.content == data
    assert saved.headers["content-disposition"].startswith("attachment")

    # The signature is a credential for the file: it never reaches a log.
    signature = dict(pairs)["signature"]
    ours = "\n".join(record.getMessage() for record in caplog.records
                     if record.name.startswith("seccam"))  # httpx logs its own URLs
    assert "GET /stream_video 206" in ours  # the access log saw the requests
    assert signature not in ours


def test_regenerating_the_token_revokes_every_link(media_server):
    server = media_server()
    recordings = server.seccam.require(MEDIA).layout.recordings_dir
    clip = make_clip(recordings / "output_20261129_102000.mp4")
    client = server.client()
    link = client.post("/media/link", json={"url": f"/stream_video?video_path={clip.name}"})
    anonymous = server.client(token=None)
    assert anonymous.get(link.json()["url"]).status_code == 200

    token = client.post("/auth/regenerate").json()["token"]
    assert anonymous.get(link.json()["url"]).status_code == 401
    fresh = server.client(token=token).post(
        "/media/link", json={"url": f"/stream_video?video_path={clip.name}"}).json()
    assert anonymous.get(fresh["url"]).status_code == 200


BAD_LINKS = [
    ({}, "url"),
    ({"url": ""}, "url"),
    ({"url": 7}, "url"),
    ({"url": "http://127.0.0.1:5005/stream_video?video_path=a.mp4"}, "url"),
    ({"url": "//127.0.0.1/stream_video?video_path=a.mp4"}, "url"),
    ({"url": "/stream_video?video_path=a.mp4#t=3"}, "url"),
    ({"url": "/settings"}, "url"),
    ({"url": "/stream_video/../settings"}, "url"),
    ({"url": "/stream_video?video_path=a.mp4&token=x"}, "url"),
    ({"url": "/stream_video?video_path=a.mp4&signature=x"}, "url"),
    ({"url": "/stream_video?expires=9999999999&video_path=a.mp4"}, "url"),
    ({"url": "/stream_video", "seconds": 5}, "seconds"),
    ({"url": "/stream_video", "seconds": 10**9}, "seconds"),
    ({"url": "/stream_video", "seconds": 7 * 86400 + 1}, "seconds"),
    ({"url": "/stream_video", "seconds": "60"}, "seconds"),
    ({"url": "/stream_video", "seconds": 60.5}, "seconds"),
    ({"url": "x" * 5000}, "url"),
]


def test_a_link_to_anything_but_one_media_file_is_a_400_naming_the_field(media_server):
    client = media_server().client()
    for body, named in BAD_LINKS:
        answer = client.post("/media/link", json=body)
        assert answer.status_code == 400, body
        assert answer.json()["error"].startswith(named) or f"'{named}'" in answer.json()["error"], \
            (body, answer.json())


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.one_of(st.text(max_size=200), st.builds(
    "{}?{}".format, st.sampled_from(sorted(LINKABLE_PATHS)), st.text(max_size=100))))
def test_no_url_makes_the_link_endpoint_fail(media_server, url):
    if not hasattr(media_server, "client"):
        media_server.client = media_server().client()
    answer = media_server.client.post("/media/link", json={"url": url})
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        assert linkable(urlsplit(answer.json()["url"]).path)
    else:
        assert answer.json()["error"].startswith("url")


# --- the signing itself, with an injected clock ------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def pairs_of(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def test_a_link_works_until_its_expiry_and_not_a_second_longer():
    clock = Clock()
    links = MediaLinks(lambda: "the-token", clock)
    url, expires = links.make("/sprite", [("video_path", "a.mp4")], seconds=600)
    assert expires == clock.now + 600
    path, pairs = pairs_of(url)
    clock.now += 600
    assert links.valid("GET", path, pairs) and links.valid("HEAD", path, pairs)
    clock.now += 1
    assert not links.valid("GET", path, pairs)


def test_no_link_without_a_token():
    links = MediaLinks(lambda: "")
    with pytest.raises(ValueError):
        links.make("/sprite", [])
    url, _ = MediaLinks(lambda: "x").make("/sprite", [])
    assert not links.valid("GET", *pairs_of(url))


QUERY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    query=st.lists(st.tuples(st.sampled_from(["video_path", "path", "download", "x"]),
                             QUERY_TEXT), max_size=3),
    change=st.data(),
)
def test_any_change_to_a_link_breaks_it(query, change):
    links = MediaLinks(lambda: "the-token", Clock())
    url, _ = links.make("/stream_video", query)
    path, pairs = pairs_of(url)
    assert links.valid("GET", path, pairs)
    assert not links.valid("POST", path, pairs)
    index = change.draw(st.integers(0, len(pairs) - 1))
    name, value = pairs[index]
    mutated = change.draw(st.sampled_from(["value", "name", "drop", "add", "path"]))
    if mutated == "value":
        other = change.draw(QUERY_TEXT.filter(lambda text: text != value))
        pairs[index] = (name, other)
    elif mutated == "name":
        other = change.draw(st.sampled_from(["video_path", "path", "download", "y"])
                            .filter(lambda text: text != name))
        pairs[index] = (other, value)
    elif mutated == "drop":
        del pairs[index]
    elif mutated == "add":
        pairs.append(change.draw(st.tuples(st.sampled_from(["x", "download"]), QUERY_TEXT)))
    else:
        path = change.draw(st.sampled_from(sorted(LINKABLE_PATHS - {"/stream_video"})))
    assert not links.valid("GET", path, pairs)


def test_a_plugin_signs_a_link_through_the_public_seccam_object(media_server):
    server = media_server()
    recordings = server.seccam.require(MEDIA).layout.recordings_dir
    clip = make_clip(recordings / "output_20261129_103000.mp4")
    url = server.seccam.media_link(f"/stream_video?video_path={clip.name}", seconds=7 * 86400)
    assert server.client(token=None).get(url).content == clip.read_bytes()
    for bad, seconds in (("/settings", 60), ("/stream_video?token=x", 60),
                         ("/stream_video", 0), ("/stream_video", 7 * 86400 + 1)):
        with pytest.raises(ValueError):
            server.seccam.media_link(bad, seconds=seconds)
