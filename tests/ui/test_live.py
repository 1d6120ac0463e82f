"""The Live page, as a person uses it: sensor tiles, the arm mode switch, the picture,
recording and snapshots, and what the page shows when the server goes away."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from conftest import SENSORS, logged_in
from playwright.sync_api import expect

from seccam_core.testing import wait_until

TRIGGERED_RED = "rgb(211, 47, 47)"
BLOB_URL = re.compile(r"^blob:")


def tile(page, sensor_id):
    return page.locator(f'.tile[data-sensor="{sensor_id}"]')


def test_every_sensor_has_a_tile_and_a_mock_trigger_turns_it_red_within_a_second(
        dashboard, page, screenshot):
    logged_in(page, dashboard)
    for sensor_id, name in SENSORS:
        expect(tile(page, sensor_id)).to_contain_text(name)
        expect(tile(page, sensor_id)).to_contain_text("Quiet")
    hall = tile(page, "hall")
    expect(page.locator("#connection-lost")).to_be_hidden()
    started = time.monotonic()
    answer = dashboard.http.post("/sensor/mock/trigger", json={"sensor_id": "hall"})
    assert answer.status_code == 200, answer.text
    expect(hall).to_have_attribute("data-state", "triggered", timeout=1000)
    took = time.monotonic() - started
    assert took < 1.0, f"the tile turned red {took:.2f} s after the trigger"
    assert hall.evaluate("e => getComputedStyle(e).backgroundColor") == TRIGGERED_RED
    expect(hall).to_contain_text("Triggered")
    for other in ("front-door", "garage"):
        expect(tile(page, other)).not_to_have_attribute("data-state", "triggered")
    screenshot(page, "live-triggered")
    dashboard.http.post("/sensor/mock/release", json={"sensor_id": "hall"})
    # The hold (2 s) runs out: the tile is quiet again.
    expect(hall).to_have_attribute("data-state", "quiet", timeout=10_000)


def test_the_arm_mode_switch_sets_the_mode_the_api_reports(dashboard, phone_page, screenshot):
    page = phone_page
    logged_in(page, dashboard)
    assert dashboard.http.get("/arming").json()["mode"] != "night"
    page.get_by_role("radio", name="Night").check()
    expect(page.get_by_role("radio", name="Night")).to_be_checked()
    expect(page.locator("#arm-source")).to_contain_text("by hand")
    wait_until(lambda: dashboard.http.get("/arming").json()["mode"] == "night", 5,
               "GET /arming saying night")
    # A change made elsewhere (another phone, the schedule) shows up here over SSE.
    dashboard.http.post("/arming", json={"mode": "disarmed"}).raise_for_status()
    expect(page.get_by_role("radio", name="Disarmed")).to_be_checked()
    screenshot(page, "live")


def test_the_picture_refreshes_and_record_and_snapshot_work(dashboard, page):
    logged_in(page, dashboard)
    frame = page.locator("img.frame")
    expect(frame).to_have_attribute("src", BLOB_URL, timeout=30_000)
    first = frame.get_attribute("src")
    expect(frame).not_to_have_attribute("src", first, timeout=10_000)
    assert frame.evaluate("img => img.naturalWidth") == 640
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#recording-state")).to_contain_text("Recording since", timeout=10_000)
    assert dashboard.http.get("/recording_status").json()["recording"] is True
    page.get_by_role("button", name="Stop recording").click()
    expect(page.locator("#recording-state")).to_have_text("Not recording", timeout=30_000)
    page.get_by_role("button", name="Snapshot").click()
    expect(page.locator(".toast")).to_contain_text("Snapshot saved", timeout=15_000)
    snapshots = dashboard.http.get("/snapshots").json()
    assert len(snapshots) == 1


def test_live_video_plays_streamed_from_the_camera_and_the_choice_is_kept(
        dashboard, page, screenshot):
    """The camera's HLS through a signed link, played by Chromium itself (no library)."""
    segments = []
    page.on("response", lambda answer: segments.append(answer.status)
            if urlsplit(answer.url).path.startswith("/live/segment/") else None)
    logged_in(page, dashboard)
    switch = page.get_by_role("button", name="Live video")
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(page.locator("img.frame")).to_be_visible()
    switch.click()
    video = page.locator("video.live-video")
    expect(video).to_be_visible()
    expect(page.locator("img.frame")).to_be_hidden()
    expect(video).to_have_attribute("src", re.compile(r"^/live/stream\.m3u8\?.*signature="))
    assert dashboard.token() not in video.get_attribute("src")
    # Playing on: time passes through several one-second segments, each a discontinuity.
    page.wait_for_function(
        "() => document.querySelector('video.live-video').currentTime > 2.5", timeout=30_000)
    assert video.evaluate("v => v.videoWidth") > 0
    assert len(segments) >= 3 and set(segments) <= {200, 206}, segments
    expect(page.locator("#frame-caption")).to_have_text("Live video")
    screenshot(page, "live-video")

    page.reload()  # the choice is remembered
    expect(page.locator("video.live-video")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('video.live-video').currentTime > 0.5", timeout=30_000)
    page.get_by_role("button", name="Live video").click()  # back to pictures
    expect(page.locator("video.live-video")).to_be_hidden()
    frame = page.locator("img.frame")
    expect(frame).to_be_visible()
    first = frame.get_attribute("src")
    expect(frame).not_to_have_attribute("src", first, timeout=10_000)
    page.reload()
    expect(page.locator("img.frame")).to_be_visible()
    expect(page.get_by_role("button", name="Live video")).to_have_attribute(
        "aria-pressed", "false")


def test_a_lost_connection_shows_and_recovers_when_the_server_returns(dashboard, page,
                                                                       screenshot):
    logged_in(page, dashboard)
    lost = page.locator("#connection-lost")
    expect(lost).to_be_hidden()
    dashboard.http.post("/sensor/mock/trigger", json={"sensor_id": "hall"}).raise_for_status()
    expect(tile(page, "hall")).to_have_attribute("data-state", "triggered")
    dashboard.stop()
    expect(lost).to_be_visible(timeout=10_000)
    expect(lost).to_contain_text("Connection lost")
    screenshot(page, "connection-lost")
    dashboard.start()
    expect(lost).to_be_hidden(timeout=20_000)
    # The stream was reopened from the last event the page had seen (Last-Event-ID).
    streams = [url for url in page.seen["requests"] if "/events?" in url]
    assert "last_event_id=" not in streams[0] and "last_event_id=" in streams[-1]
    # The stream is really back: a trigger shows up.
    dashboard.http.post("/sensor/mock/trigger", json={"sensor_id": "garage"}).raise_for_status()
    expect(tile(page, "garage")).to_have_attribute("data-state", "triggered", timeout=2000)

