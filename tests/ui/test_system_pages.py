"""The System pages: health and stats, storage and its cleanup, Bluetooth devices (on the
presence plugin's private D-Bus with python-dbusmock playing BlueZ: this machine has no
Bluetooth) and the captive portal's state."""

from __future__ import annotations

import re

import pytest
from conftest import Dashboard, logged_in, prepare
from playwright.sync_api import expect
from seccam_presence_bt.testing import bluez, system_bus  # noqa: F401 (fixtures)

from seccam_core.testing import free_port, wait_until

PHONE = "AA:BB:CC:DD:EE:01"
TABLET = "AA:BB:CC:DD:EE:02"


def test_stats_storage_and_portal(dashboard, page, phone_page, screenshot):
    stats = dashboard.http.get("/system_stats").json()
    logged_in(page, dashboard, "#/system")
    expect(page.locator("#stats")).to_contain_text(stats["hostname"])
    expect(page.locator("#stats")).to_contain_text(f"of {stats['ram_usage_mb']['total_mb']} MB")
    screenshot(page, "system-stats")
    phone = logged_in(phone_page, dashboard, "#/system")
    expect(phone.locator("#stats")).to_contain_text(stats["hostname"])
    screenshot(phone, "system-stats")

    page.get_by_role("link", name="Storage").click()
    # Free space moves while other tests write: the figure shown is compared with the
    # API's within a tenth of a gigabyte, always with its one decimal.
    shown = page.locator("#storage-status dd").nth(1)
    expect(shown).to_have_text(re.compile(r"^\d+\.\d GB$"))
    status = dashboard.http.get("/storage/status").json()
    assert abs(float(shown.inner_text().split()[0]) - status["disk_free_gb"]) <= 0.15
    expect(page.locator("#storage-status")).to_contain_text("off")  # auto-delete
    page.get_by_role("button", name="Clean up now").click()
    page.get_by_role("dialog").get_by_role("button", name="Clean up").click()
    expect(page.locator("#cleanup-result")).to_have_text(
        "Auto-delete is off: nothing was deleted.")

    # An install script's log, where install.sh writes it.
    log = dashboard.data_dir / "logs" / "install" / "2026-11-28_10-00-00.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("installing seccam\n<b>not markup</b>\ndone\n")
    page.get_by_role("link", name="Script logs").click()
    page.get_by_role("button", name="install/2026-11-28_10-00-00.log").click()
    expect(page.locator("#script-log")).to_have_text(log.read_text())

    page.get_by_role("link", name="Captive portal").click()
    portal = dashboard.http.get("/captive-portal").json()
    expect(page.get_by_role("switch", name="Redirect to the dashboard")).to_be_checked(
        checked=portal["enabled"])
    expect(page.locator("#portal-state")).to_contain_text(
        "not active" if not portal["active"] else "active")
    screenshot(page, "system-portal")


@pytest.fixture
def bt_dashboard(seccam_data_dir, bluez):  # noqa: F811 (the fixture above)
    bluez.add_adapter()
    bluez.add_device(PHONE, "Anna's phone")
    prepare(seccam_data_dir, Presence={"poll_interval_seconds": 0.2, "scan_seconds": 0.5,
                                       "probe_timeout_seconds": 2})
    server = Dashboard(seccam_data_dir, free_port()).start()  # on the private bus
    try:
        yield server
    finally:
        server.stop()


def test_bluetooth_scan_add_and_remove(bt_dashboard, bluez, page, screenshot):  # noqa: F811
    logged_in(page, bt_dashboard, "#/system/bluetooth")
    expect(page.locator("#bt-tracked")).to_contain_text("No device is tracked.")
    page.get_by_role("button", name="Scan for devices").click()
    found = page.locator("#bt-found")
    expect(found).to_contain_text("Anna's phone")
    expect(found).to_contain_text(PHONE)
    found.get_by_role("button", name="Add").click()
    tracked = page.locator("#bt-tracked")
    expect(tracked).to_contain_text(PHONE)
    assert [d["address"] for d in bt_dashboard.http.get("/bt/devices").json()["devices"]] == [
        PHONE]
    screenshot(page, "system-bluetooth")

    tracked.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert bt_dashboard.http.get("/bt/devices").json()["devices"]
    tracked.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(tracked).to_contain_text("No device is tracked.")
    assert bt_dashboard.http.get("/bt/devices").json()["devices"] == []


def test_the_captive_portal_switch_changes_the_firewall(dashboard, page):
    """iptables runs in the test session's network namespace (tests/netns_fence.py)."""
    logged_in(page, dashboard, "#/system/portal")
    switch = page.get_by_role("switch", name="Redirect to the dashboard")
    state = page.locator("#portal-state")
    expect(switch).not_to_be_checked()
    expect(state).to_have_text("The redirect is not active in the firewall now.")
    switch.check()
    expect(state).to_have_text("The redirect is active in the firewall now.")
    assert dashboard.http.get("/captive-portal").json() == {"enabled": True, "active": True}
    switch.uncheck()
    expect(state).to_have_text("The redirect is not active in the firewall now.")
    assert dashboard.http.get("/captive-portal").json() == {"enabled": False, "active": False}


def test_a_phone_pairs_from_the_page_and_is_tracked(bt_dashboard, bluez, page):  # noqa: F811
    """The phone's side is played on BlueZ's mock: it appears and pairs while the camera
    is discoverable (a real phone would also confirm a code with the plugin's agent)."""
    logged_in(page, bt_dashboard, "#/system/bluetooth")
    page.get_by_role("button", name="Pair a phone").click()
    expect(page.locator("#bt-pairing")).to_contain_text("choose this camera")
    wait_until(lambda: bluez.adapter()["Discoverable"], 10, "the adapter discoverable")
    bluez.add_device(TABLET, "Ben's tablet")
    bluez.pair_device(TABLET)
    expect(page.locator("#bt-pairing")).to_have_text(
        "Paired with Ben's tablet: it is tracked now.", timeout=15_000)
    expect(page.locator("#bt-tracked")).to_contain_text(TABLET)
    assert bluez.adapter()["Discoverable"] is False
    assert TABLET in [d["address"] for d in bt_dashboard.http.get("/bt/devices").json()["devices"]]
