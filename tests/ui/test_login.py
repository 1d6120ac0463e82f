"""Logging in and out of the dashboard, in a real browser against ``seccam serve``."""

from __future__ import annotations

import httpx
from conftest import logged_in
from playwright.sync_api import expect


def test_the_page_and_its_files_need_no_token_and_carry_the_security_headers(dashboard):
    page = httpx.get(dashboard.url + "/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["content-encoding"] == "gzip"
    assert "<script>" not in page.text and " style=" not in page.text
    script = page.text.split('src="', 1)[1].split('"', 1)[0]
    asset = httpx.get(dashboard.url + script)
    assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"]
    # Every other path still needs the token, under /ui/ too.
    assert httpx.get(dashboard.url + "/ui/nothing.js").status_code == 401
    assert httpx.get(dashboard.url + "/sensors").status_code == 401


def test_log_in_see_the_dashboard_and_log_out(dashboard, page, screenshot):
    page.goto(dashboard.url + "/")
    expect(page.get_by_label("Password")).to_be_visible()
    screenshot(page, "login")
    logged_in(page, dashboard)
    expect(page.get_by_role("link", name="Live")).to_be_visible()
    assert page.url.endswith("#/live")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Password")).to_be_visible()
    page.reload()  # the token is gone for good, not just hidden
    expect(page.get_by_label("Password")).to_be_visible()


def test_a_wrong_password_says_so_and_the_throttle_shows_its_wait(dashboard, phone_page,
                                                                   screenshot):
    page = phone_page
    page.goto(dashboard.url + "/")
    error = page.locator("#login-error")
    for _ in range(5):
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(error).to_have_text("Wrong password.")
        expect(page.get_by_role("button", name="Log in")).to_be_enabled()
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(error).to_contain_text("Too many failed attempts: try again in")
    expect(page.get_by_role("button", name="Log in")).to_be_disabled()
    screenshot(page, "login-throttled")


def test_a_regenerated_token_sends_the_page_back_to_login(dashboard, page):
    logged_in(page, dashboard)
    expect(page.locator("#connection-lost")).to_be_hidden()
    answer = dashboard.http.post("/auth/regenerate")
    assert answer.status_code == 200
    # The server closes the event stream; the page finds its token refused.
    expect(page.get_by_label("Password")).to_be_visible(timeout=10_000)
    expect(page.locator("#login-error")).to_contain_text("log in again")


def test_regenerating_the_token_here_keeps_this_page_and_refuses_the_old_one(
        dashboard, page, phone_page, screenshot):
    """The Auth settings page makes a new token: this browser carries on (its event
    stream reopens with it), another browser and every script holding the old one are
    refused, and the new token is never shown."""
    other = logged_in(phone_page, dashboard)
    old = dashboard.token()
    logged_in(page, dashboard, "#/settings/Auth")
    page.get_by_role("button", name="Regenerate the token").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("stops working")
    dialog.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("status").filter(has_text="A new token is in use")).to_be_visible()
    new = dashboard.token()
    assert new != old
    assert httpx.get(dashboard.url + "/sensor/status",
                     headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert new not in page.content()
    screenshot(page, "settings-token")

    # This page still hears the server: a trigger turns its tile red.
    page.get_by_role("link", name="Live").click()
    expect(page.locator("#connection-lost")).to_be_hidden()
    dashboard.http.post("/sensor/mock/trigger", json={"sensor_id": "hall"}).raise_for_status()
    expect(page.locator('.tile[data-sensor="hall"]')).to_have_attribute(
        "data-state", "triggered", timeout=5_000)
    dashboard.http.post("/sensor/mock/release", json={"sensor_id": "hall"})
    # The other browser kept the old token: it is sent back to login.
    expect(other.get_by_label("Password")).to_be_visible(timeout=10_000)
