"""The Archive page, as a person uses it, over real recordings made by the camera."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from archive_kit import (
    camera_running,
    leave_frames_of_yesterday,
    record_manual,
    record_triggered,
)
from conftest import Dashboard, logged_in, prepare
from playwright.sync_api import expect

from seccam_core.testing import free_port, wait_until

BLOB_URL = re.compile(r"^blob:")
SIGNED_CLIP = re.compile(r"^/stream_video\?.*&signature=")


def cards(page):
    return page.locator("#recordings > li.media-card")


def test_recordings_scrub_play_seek_download_and_delete(dashboard, page, screenshot):
    http = dashboard.http
    older = record_manual(http)
    newer = record_manual(http)
    logged_in(page, dashboard, "#/archive")
    expect(cards(page)).to_have_count(2)
    # Newest first, each with its thumbnail fetched into a blob: URL.
    assert [cards(page).nth(i).get_attribute("data-path") for i in (0, 1)] == [
        newer["path"], older["path"]]
    first = cards(page).first
    expect(first.locator("img.thumb-img")).to_have_attribute("src", BLOB_URL)
    expect(page.locator("#archive-summary")).to_have_text("2 recordings")

    # Hover: the sprite's frame follows the pointer.
    thumb = first.locator(".thumb")
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-frame", "0")
    expect(first.locator("img.sprite")).to_be_visible()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-frame", "5")
    page.mouse.move(box["x"] + box["width"] * 0.97, box["y"] + box["height"] / 2)
    expect(thumb).to_have_attribute("data-frame", "9")
    screenshot(page, "archive-scrub")
    page.mouse.move(0, 0)
    expect(first.locator("img.sprite")).to_be_hidden()

    # Play: streamed through a signed link (never the token) in ranges; time advances;
    # seek back and it plays on from there.
    ranges = []
    page.on("response", lambda answer: ranges.append(answer.status)
            if urlsplit(answer.url).path == "/stream_video" else None)
    first.get_by_role("button", name=re.compile("^Play")).click()
    video = page.locator("dialog.player video")
    expect(video).to_have_attribute("src", SIGNED_CLIP, timeout=15_000)
    assert dashboard.token() not in video.get_attribute("src")
    page.wait_for_function(
        "() => document.querySelector('dialog.player video').currentTime > 0.5")
    total = video.evaluate("v => v.duration")
    assert total >= 2.5, total
    assert video.evaluate("v => v.seekable.end(0)") >= total - 0.1  # all of it seekable
    video.evaluate("v => { v.pause(); v.currentTime = 0.25; }")
    page.wait_for_function(
        "() => { const v = document.querySelector('dialog.player video');"
        " return v.readyState >= 2 && !v.seeking && Math.abs(v.currentTime - 0.25) < 0.1; }")
    video.evaluate("v => v.play()")
    page.wait_for_function(
        "() => document.querySelector('dialog.player video').currentTime > 0.75")
    assert 206 in ranges, ranges  # the browser asked for parts: it streams and seeks
    screenshot(page, "archive-player")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("dialog.player")).to_have_count(0)

    # Download: the file, under its own name, through a signed link (no token in a URL).
    with page.expect_download() as waiting:
        first.get_by_role("button", name=re.compile("^Download")).click()
    downloaded = waiting.value
    assert downloaded.suggested_filename == newer["name"]
    query = dict(parse_qsl(urlsplit(downloaded.url).query))
    assert urlsplit(downloaded.url).path == "/stream_video" and query["download"] == "1"
    assert "signature" in query and "token" not in query
    assert dashboard.token() not in downloaded.url
    assert Path(downloaded.path()).stat().st_size == newer["size"]

    # Delete: cancelling keeps it; confirming removes it here and on the server.
    first.get_by_role("button", name=re.compile("^Delete")).click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(cards(page)).to_have_count(2)
    first.get_by_role("button", name=re.compile("^Delete")).click()
    page.locator("dialog.confirm").get_by_role("button", name="Delete").click()
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_have_attribute("data-path", older["path"])
    assert [item["path"] for item in http.get("/archive").json()] == [older["path"]]


def test_filters_by_day_and_sensor(dashboard, phone_page, screenshot):
    page = phone_page
    http = dashboard.http
    manual = record_manual(http)
    hall = record_triggered(http, "hall")
    logged_in(page, dashboard, "#/archive")
    expect(cards(page)).to_have_count(2)
    # Each card says what triggered it, by the sensor's name; a manual one says nothing.
    triggered = page.locator(f'.media-card[data-path="{hall["path"]}"]')
    expect(triggered.locator(".media-sensors")).to_have_text("Hall")
    expect(page.locator(f'.media-card[data-path="{manual["path"]}"] .media-sensors')
           ).to_have_count(0)
    page.get_by_label("Sensor").select_option("hall")
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_have_attribute("data-path", hall["path"])
    expect(page.locator("#archive-summary")).to_have_text("1 recording match")
    page.get_by_label("Sensor").select_option("garage")
    expect(page.locator("#recordings")).to_contain_text("No recording matches")
    page.get_by_label("Sensor").select_option("")
    today = date.fromisoformat(manual["created"][:10])
    page.get_by_label("Day").fill(today.isoformat())
    expect(cards(page)).to_have_count(2)
    page.get_by_label("Day").fill((today - timedelta(days=1)).isoformat())
    expect(page.locator("#recordings")).to_contain_text("No recording matches")
    screenshot(page, "archive-filtered")
    page.get_by_role("button", name="Clear filters").click()
    expect(cards(page)).to_have_count(2)
    screenshot(page, "archive")


def test_touch_drag_scrubs_the_sprite_on_a_phone(dashboard, phone_page):
    page = phone_page
    record_manual(dashboard.http)
    logged_in(page, dashboard, "#/archive")
    thumb = cards(page).first.locator(".thumb")
    box = thumb.bounding_box()
    y = box["y"] + box["height"] / 2
    for share, frame in ((0.02, "0"), (0.35, "3"), (0.98, "9")):
        kind = "pointerdown" if frame == "0" else "pointermove"
        thumb.dispatch_event(kind, {"pointerType": "touch", "isPrimary": True,
                                    "clientX": box["x"] + box["width"] * share, "clientY": y,
                                    "bubbles": True})
        expect(thumb).to_have_attribute("data-frame", frame)


def test_the_new_since_last_visit_badge_counts_live_and_clears_on_visit(dashboard, page):
    logged_in(page, dashboard)
    badge = page.locator("#archive-badge")
    expect(badge).to_be_hidden()
    http = dashboard.http
    camera_running(http)
    http.post("/snapshot").raise_for_status()
    expect(badge).to_have_text("1")
    http.post("/snapshot").raise_for_status()
    expect(badge).to_have_text("2")
    page.get_by_role("link", name=re.compile("^Archive")).click()
    expect(badge).to_be_hidden()
    page.get_by_role("link", name="Snapshots").click()
    snapshots = page.locator("#snapshots > li.media-card")
    expect(snapshots).to_have_count(2)
    expect(snapshots.first.locator("img")).to_have_attribute("src", BLOB_URL)
    snapshots.first.get_by_role("button", name=re.compile("^Delete")).click()
    page.locator("dialog.confirm").get_by_role("button", name="Delete").click()
    expect(snapshots).to_have_count(1)
    assert len(http.get("/snapshots").json()) == 1
    page.get_by_role("link", name="Timelapses").click()
    expect(page.locator("#timelapses")).to_contain_text("No timelapses yet.")


def test_paging_through_recordings_added_by_hand(dashboard, page):
    """Thirty recordings copied into the folder by hand (empty files: the list never
    opens a video) are found by the catalogue and shown 24 to a page."""
    http = dashboard.http
    setting = http.get("/settings").json()["Camera"]["recordings_dir"]
    folder = dashboard.data_dir / (setting or "recordings")  # the default, inside data
    folder.mkdir(parents=True, exist_ok=True)
    for minute in range(30):
        (folder / f"output_20250101_10{minute:02d}00.mp4").write_bytes(b"")
    assert http.post("/archive/reconcile").json()["added"] == 30
    logged_in(page, dashboard, "#/archive")
    expect(cards(page)).to_have_count(24)
    expect(page.locator("#page-number")).to_have_text("Page 1 of 2")
    expect(cards(page).first).to_contain_text("10:29:00")
    expect(page.get_by_role("button", name="Newest page")).to_be_disabled()
    page.get_by_role("button", name="Older ›").click()  # noqa: RUF001 (the label)
    expect(cards(page)).to_have_count(6)
    expect(page.locator("#page-number")).to_have_text("Page 2 of 2")
    expect(cards(page).last).to_contain_text("10:00:00")
    expect(page.get_by_role("button", name="Oldest page")).to_be_disabled()
    page.get_by_role("button", name="Newest page").click()
    expect(cards(page)).to_have_count(24)
    # Day filter through the calendar day of the hand-added files.
    page.get_by_label("Day").fill("2025-01-01")
    expect(page.locator("#archive-summary")).to_have_text("30 recordings match")


def test_a_timelapse_plays_and_is_deleted(seccam_data_dir, page):
    """Yesterday's frames are stitched at the start; the Timelapses tab plays it."""
    prepare(seccam_data_dir)
    leave_frames_of_yesterday(seccam_data_dir)
    server = Dashboard(seccam_data_dir, free_port()).start()
    try:
        made = wait_until(lambda: server.http.get("/timelapse").json(), 60,
                          "yesterday's timelapse")
        logged_in(page, server, "#/archive/timelapses")
        item = page.locator("#timelapses > li.media-card")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(f"Timelapse of {made[0]['date']}")
        item.get_by_role("button", name=re.compile("^Play")).click()
        page.wait_for_function(
            "() => document.querySelector('dialog.player video')?.currentTime > 0.5")
        page.get_by_role("button", name="Close").click()
        item.get_by_role("button", name=re.compile("^Delete")).click()
        page.locator("dialog.confirm").get_by_role("button", name="Delete").click()
        expect(page.locator("#timelapses")).to_contain_text("No timelapses yet.")
        assert server.http.get("/timelapse").json() == []
    finally:
        server.stop()
