"""Phone first and keyboard reachable: every control is labelled, nothing is wider than
a 375 px screen, and a person can log in and move around with the keyboard alone."""

from __future__ import annotations

from archive_kit import record_manual
from conftest import logged_in
from playwright.sync_api import expect

from seccam_core.testing import wait_until

UNLABELLED = """() => [...document.querySelectorAll(
        'button, input, select, textarea, a[href], [role=radio], [role=img]')]
    .filter(el => el.offsetParent !== null || el.closest('.switch'))
    .filter(el => {
        const named = (el.getAttribute('aria-label') || '').trim()
            || (el.labels && [...el.labels].some(l => l.textContent.trim()))
            || (el.getAttribute('aria-labelledby') || '').trim()
            || (el.textContent || '').trim() || (el.getAttribute('alt') || '').trim();
        return !named;
    }).map(el => el.outerHTML.slice(0, 120))"""


def test_every_control_is_labelled_and_nothing_overflows_a_phone(dashboard, phone_page,
                                                                 screenshot):
    page = phone_page
    record_manual(dashboard.http)
    page.goto(dashboard.url + "/")
    expect(page.get_by_label("Password")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    logged_in(page, dashboard)
    for route, ready in (("#/live", ".tile"), ("#/archive", "#recordings > li.media-card"),
                         ("#/archive/snapshots", "#snapshots"),
                         ("#/archive/timelapses", "#timelapses")):
        page.goto(dashboard.url + "/" + route)
        page.wait_for_selector(ready)
        assert page.evaluate(UNLABELLED) == [], route
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 375, f"{route} is {width} px wide"


def test_log_in_and_switch_pages_and_the_arm_mode_with_the_keyboard(dashboard, page):
    page.goto(dashboard.url + "/")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(dashboard.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # Tab through the header to the Archive link, and follow it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-archive":
            break
    assert page.evaluate("document.activeElement.id") == "nav-archive"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard.url}/#/archive")
    page.goto(dashboard.url + "/#/live")
    checked = page.locator("input[name=arm-mode]:checked")
    expect(checked).to_have_count(1)
    before = checked.get_attribute("value")
    checked.focus()
    page.keyboard.press("ArrowRight")  # a radio group moves and selects with the arrows
    expect(page.locator("input[name=arm-mode]:checked")).not_to_have_attribute(
        "value", before)
    chosen = page.locator("input[name=arm-mode]:checked").get_attribute("value")
    expect(page.locator("#arm-source")).to_contain_text("by hand")
    wait_until(lambda: dashboard.http.get("/arming").json()["mode"] == chosen, 5,
               "GET /arming agreeing with the switch")
