"""The event history page: what happened, newest first, filtered by kind, and growing
while it is open."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from pathlib import Path

from conftest import logged_in
from playwright.sync_api import expect

from seccam_core.testing import wait_until

TWO_DAYS = 2 * 86400


def keep_an_old_row(dashboard) -> None:
    """Two days passing are stood in for by a row written with an old time, by the
    server's own table (the server has the database open meanwhile, as SQLite allows)."""
    with sqlite3.connect(dashboard.data_dir / "catalogue.sqlite3", timeout=10) as db:
        db.execute("INSERT INTO events (event_id, ts, type, event, severity, detail, data, "
                   "bytes) VALUES (0, ?, 'someone_home', 'presence_state', 'info', "
                   "'someone was home two days ago', '{}', 100)", (time.time() - TWO_DAYS,))


def test_the_history_shows_what_happened_and_follows_it_live(dashboard, page, phone_page,
                                                             screenshot):
    logged_in(page, dashboard, "#/system/history")
    entries = page.locator("#history-entries > li")
    # At start the arm mode in force is kept; the page shows what the API answers.
    expect(entries.first).to_be_visible()
    def page_lists_what_the_api_answers() -> bool:
        # Compared again until they agree: a row may arrive meanwhile (a health alert on
        # a loaded machine), and the page follows it a moment later.
        kept = dashboard.http.get("/events/history", params={"limit": 500}).json()
        shown = [text.strip() for text in entries.locator(".log-message").all_inner_texts()]
        return bool(kept) and shown == [item["detail"] for item in kept]

    wait_until(page_lists_what_the_api_answers, 10, "the page listing GET /events/history")
    assert page.locator('#history-entries > li[data-type="arm_mode"]').count() == 1

    # Things happen while the page is open: they appear without a reload, newest first.
    dashboard.http.post("/arming", json={"mode": "night"}).raise_for_status()
    expect(entries.first).to_contain_text("arm mode night (manual)")
    dashboard.http.post("/sensor/mock/trigger", json={"sensor_id": "hall"}).raise_for_status()
    expect(page.locator('#history-entries > li[data-type="sensor_trigger"]')).to_have_count(1)
    trigger = page.locator('#history-entries > li[data-type="sensor_trigger"]')
    expect(trigger).to_contain_text("Hall (mock) triggered")  # named as its owner named it
    expect(trigger.locator(".log-level")).to_have_text("warning")
    incident_id = dashboard.http.get("/events/history", params={
        "type": "sensor_trigger"}).json()[0]["data"]["incident_id"]
    expect(page.locator('#history-entries > li[data-type="incident"]').last).to_contain_text(
        f"incident {incident_id} started")
    dashboard.http.post("/sensor/mock/release", json={"sensor_id": "hall"}).raise_for_status()

    # The kind filter asks the server for those types only.
    page.get_by_label("Show").select_option(label="arm mode and presence")
    expect(entries).to_have_count(2)
    types = set(entries.evaluate_all("items => items.map(i => i.dataset.type)"))
    assert types == {"arm_mode"}, types
    expect(entries.first).to_contain_text("arm mode night (manual)")
    screenshot(page, "system-history")

    # The period: the last 24 hours at first; older rows when asked for.
    keep_an_old_row(dashboard)
    page.get_by_role("button", name="Refresh").click()
    expect(entries).to_have_count(2)
    page.get_by_label("From").select_option(label="the last 7 days")
    expect(entries).to_have_count(3)
    expect(entries.last).to_contain_text("someone was home two days ago")
    page.get_by_label("From").select_option(label="the last hour")
    expect(entries).to_have_count(2)

    # The CSV of the period, as a spreadsheet would open it.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").click()
    download = downloading.value
    assert download.suggested_filename.startswith("seccam-events-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(), newline="")))
    assert rows[0] == ["timestamp", "type", "severity", "detail"]
    assert "arm mode night (manual)" in [row[3] for row in rows[1:]]
    assert "someone was home two days ago" not in [row[3] for row in rows[1:]]

    phone = logged_in(phone_page, dashboard, "#/system/history")
    expect(phone.locator("#history-entries > li").first).to_be_visible()
    screenshot(phone, "system-history")


def test_a_long_burst_of_events_does_not_hold_the_list_back(dashboard, page):
    """A door banging for seconds (a trigger and a release every tenth of a second): the
    first trigger shows while the burst goes on, not only once it stops."""
    logged_in(page, dashboard, "#/system/history")
    expect(page.locator("#history-entries > li").first).to_be_visible()
    triggers = page.locator('#history-entries > li[data-type="sensor_trigger"]')
    http = dashboard.http
    shown_during_burst = False
    started = time.monotonic()
    while time.monotonic() - started < 8 and not shown_during_burst:
        http.post("/sensor/mock/trigger", json={"sensor_id": "hall"}).raise_for_status()
        http.post("/sensor/mock/release", json={"sensor_id": "hall"}).raise_for_status()
        shown_during_burst = triggers.count() > 0
    assert shown_during_burst, "no trigger listed in 8 s of a continuing burst"
