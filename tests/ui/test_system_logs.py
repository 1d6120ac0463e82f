"""The log viewer filters by level and by text, as GET /logs does."""

from __future__ import annotations

from conftest import logged_in
from playwright.sync_api import expect


def test_logs_filter_by_level_and_text(dashboard, page, phone_page, screenshot):
    # The server logs warnings as it starts (the doctor: simulated pins ...).
    logged_in(page, dashboard, "#/system/logs")
    entries = page.locator("#log-entries > li")
    expect(entries.first).to_be_visible()
    levels = set(entries.locator(".log-level").all_inner_texts())
    assert "INFO" in levels, levels  # every level at first

    page.get_by_label("Level").select_option("WARNING")
    expected = dashboard.http.get("/logs", params={"level": "WARNING", "limit": 200}).json()
    assert expected, "the server logged warnings at start (simulated pins ...)"
    expect(entries).to_have_count(len(expected))
    assert set(entries.locator(".log-level").all_inner_texts()) == {"WARNING"}
    assert entries.locator(".log-message").all_inner_texts() == [e["message"] for e in expected]

    word = "doctor"
    page.get_by_label("Search").fill(word)
    found = dashboard.http.get("/logs", params={"level": "WARNING", "search": word,
                                                "limit": 200}).json()
    assert found
    expect(entries).to_have_count(len(found))
    for message in entries.locator(".log-message").all_inner_texts():
        assert word in message.lower()
    screenshot(page, "system-logs")

    page.get_by_label("Search").fill("no such words anywhere 0xdeadbeef")
    expect(entries).to_have_count(0)
    expect(page.locator("#log-count")).to_have_text("0 entries, newest first")

    phone = logged_in(phone_page, dashboard, "#/system/logs")
    expect(phone.locator("#log-entries > li").first).to_be_visible()
    screenshot(phone, "system-logs")
