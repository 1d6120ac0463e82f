"""Health alerts reach the owner as toasts, on whatever page is open.

The CPU temperature is read from a sysfs tree the test writes (``SECCAM_SYSFS_ROOT``, as
tests/test_system_health.py does): this machine has no SoC thermal zone to heat up.
"""

from __future__ import annotations

import os

import pytest
from conftest import Dashboard, logged_in, prepare
from playwright.sync_api import expect

from seccam_core.testing import free_port

THERMAL = "class/thermal/thermal_zone0/temp"


@pytest.fixture
def hot_dashboard(seccam_data_dir, tmp_path, monkeypatch):
    sysfs = tmp_path / "sys"
    (sysfs / THERMAL).parent.mkdir(parents=True)

    def temperature(celsius: float) -> None:
        temp = sysfs / (THERMAL + ".new")
        temp.write_text(f"{int(celsius * 1000)}\n")
        os.replace(temp, sysfs / THERMAL)  # whole, as sysfs answers

    temperature(50)
    monkeypatch.setenv("SECCAM_SYSFS_ROOT", str(sysfs))
    monkeypatch.setenv("SECCAM_VCGENCMD", "")
    prepare(seccam_data_dir, System={"alert_interval_seconds": 0.2})
    server = Dashboard(seccam_data_dir, free_port()).start()
    server.temperature = temperature
    try:
        yield server
    finally:
        server.stop()


def test_a_hot_cpu_shows_a_toast_and_the_health_page_says_so(hot_dashboard, page, phone_page,
                                                              screenshot):
    logged_in(page, hot_dashboard, "#/archive")
    toasts = page.locator(".toast")
    expect(page.locator("#connection-lost")).to_be_hidden()
    expect(toasts).to_have_count(0)

    hot_dashboard.temperature(85)
    expect(toasts.filter(has_text="CPU temperature critical (85 °C)")).to_be_visible(
        timeout=10_000)
    assert hot_dashboard.http.get("/system_alert_state").json()["alerts"]["cpu_temp"] == \
        "critical"
    screenshot(page, "system-alert-toast")

    page.get_by_role("link", name="System", exact=True).click()
    expect(page.locator("#overall-level")).to_have_text("critical")
    # A phone opening the dashboard now hears of the alert in force at once.
    phone = logged_in(phone_page, hot_dashboard)
    expect(phone.locator(".toast").filter(has_text="CPU temperature critical")).to_be_visible()
    screenshot(phone, "system-alert-toast")

    hot_dashboard.temperature(45)
    expect(toasts.filter(has_text="CPU temperature back to normal")).to_be_visible(
        timeout=10_000)
    expect(page.locator("#overall-level")).to_have_text("ok")
