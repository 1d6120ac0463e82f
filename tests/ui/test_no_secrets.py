"""No secret reaches the page: not the token, not the password, in the DOM, in any
request URL but the event stream's (EventSource cannot send a header), or the console."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archive_kit import record_manual
from conftest import PASSWORD, logged_in
from playwright.sync_api import expect


def page_text(page) -> str:
    """Everything the DOM holds: markup, attributes, form values, shadow-free."""
    return page.evaluate("""() => {
        const parts = [document.documentElement.outerHTML];
        for (const field of document.querySelectorAll('input, textarea, select')) {
            parts.push(field.value);
        }
        return parts.join('\\n');
    }""")


def test_the_token_and_password_never_reach_the_dom_urls_or_console(dashboard, page):
    http = dashboard.http
    record_manual(http)
    seen_dom = []
    logged_in(page, dashboard)
    expect(page.locator(".tile")).to_have_count(3)
    expect(page.locator("img.frame")).to_have_attribute("src", re.compile("^blob:"),
                                                       timeout=30_000)
    seen_dom.append(page_text(page))
    page.get_by_role("radio", name="Night").check()
    http.post("/sensor/mock/trigger", json={"sensor_id": "hall"}).raise_for_status()
    expect(page.locator('.tile[data-sensor="hall"]')).to_have_attribute("data-state",
                                                                        "triggered")
    page.get_by_role("link", name=re.compile("^Archive")).click()
    card = page.locator("#recordings > li.media-card").first
    expect(card.locator("img.thumb-img")).to_have_attribute("src", re.compile("^blob:"))
    card.locator(".thumb").hover()
    expect(card.locator("img.sprite")).to_be_visible()
    card.get_by_role("button", name=re.compile("^Play")).click()
    page.wait_for_function(
        "() => document.querySelector('dialog.player video')?.currentTime > 0.3")
    seen_dom.append(page_text(page))
    page.get_by_role("button", name="Close").click()
    for route in ("#/settings", "#/system"):
        page.goto(dashboard.url + "/" + route)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        seen_dom.append(page_text(page))
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Password")).to_be_visible()
    seen_dom.append(page_text(page))

    token = dashboard.token()
    assert len(token) > 20
    for dom in seen_dom:
        assert token not in dom
        assert PASSWORD not in dom
    requests = page.seen["requests"]
    assert any(urlsplit(url).path == "/camera/frame" for url in requests)
    for url in requests:
        assert PASSWORD not in url
        if token in url:
            assert urlsplit(url).path == "/events", url
    assert any(urlsplit(url).path == "/events" for url in requests)
    console = page.seen["console"]
    for line in console:
        assert token not in line and PASSWORD not in line, line
        assert "Content Security Policy" not in line, line
        assert not line.startswith("pageerror"), line
