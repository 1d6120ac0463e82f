"""Restart and reboot ask first; cancelling sends nothing. The test data folder's restart
and reboot commands do nothing (tests/conftest.py), so confirming is safe here."""

from __future__ import annotations

from conftest import logged_in
from playwright.sync_api import expect


def test_restart_asks_and_cancelling_sends_nothing(dashboard, page, screenshot):
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    logged_in(page, dashboard, "#/system/power")
    result = page.locator("#power-result")

    page.get_by_role("button", name="Restart seccam").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Restart the seccam service now?")
    screenshot(page, "system-restart-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(result).to_have_text("Nothing was done.")
    page.get_by_role("button", name="Reboot device").click()
    page.keyboard.press("Escape")  # closing the dialog is a no as well
    expect(dialog).to_be_hidden()
    assert not [url for url in posts if "/system/" in url]

    page.get_by_role("button", name="Restart seccam").click()
    dialog.get_by_role("button", name="Restart seccam").click()
    expect(result).to_have_text("Restarting services...")  # the server's answer
    assert [url for url in posts if url.endswith("/system/restart")]
    assert not [url for url in posts if url.endswith("/system/reboot")]
