"""The Settings and System pages on a phone: every control labelled, nothing wider than a
375 px screen, for every section the server has and every System part."""

from __future__ import annotations

from conftest import logged_in
from playwright.sync_api import expect
from test_phone_and_keyboard import UNLABELLED

SYSTEM_PARTS = ("stats", "logs", "scripts", "update", "power", "storage", "bluetooth",
                "portal")


def check(page, route: str) -> None:
    assert page.evaluate(UNLABELLED) == [], route
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 375, f"{route} is {width} px wide"


def test_every_settings_and_system_page_fits_a_phone(dashboard, phone_page):
    page = logged_in(phone_page, dashboard)
    sections = dashboard.http.get("/settings/schema").json()
    page.goto(dashboard.url + "/#/settings")
    expect(page.get_by_role("list", name="Settings sections")).to_be_visible()
    check(page, "#/settings")
    for name in sections:
        page.goto(f"{dashboard.url}/#/settings/{name}")
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        if name == "Sensors":
            expect(page.get_by_text("Add a sensor", exact=True)).to_be_visible()
        elif name != "Sensor":
            expect(page.locator(f"#section-{name}")).to_be_visible()
        check(page, f"#/settings/{name}")
    for part in SYSTEM_PARTS:
        page.goto(f"{dashboard.url}/#/system/{part}")
        expect(page.locator(f"#system-{part} > *").first).to_be_visible()
        check(page, f"#/system/{part}")
