"""The Sensors editor: a third party's sensor type (the example light gate) gets its
calibration form from its calibration_schema, with no change to the dashboard."""

from __future__ import annotations

from conftest import logged_in
from playwright.sync_api import expect


def test_add_calibrate_test_and_delete_a_light_gate(dashboard, page, phone_page, screenshot):
    types = {t["type"]: t for t in dashboard.http.get("/sensor/types").json()}
    gate = types["light_gate"]["calibration_schema"]["properties"]["min_blocked_seconds"]
    logged_in(page, dashboard, "#/settings/Sensors")
    page.get_by_text("Add a sensor", exact=True).click()  # opens its form
    adding = page.get_by_role("form", name="Add a sensor")
    adding.get_by_label("Name").fill("Letter box")
    adding.get_by_label("Type").select_option("light_gate")
    expect(adding.get_by_label("Gpio")).to_have_value(str(types["light_gate"]["default_gpio"]))
    block = adding.get_by_label("Minimum block")
    expect(block).to_have_attribute("max", str(gate["maximum"]))
    expect(adding.locator('[data-path="calibration.min_blocked_seconds"]')).to_contain_text(
        gate["description"])
    # The fields come in the order the type declares them, not sorted (JSON sorts keys).
    for kind in ("light_gate", "pir", "vibration"):
        adding.get_by_label("Type").select_option(kind)
        declared = types[kind]["calibration_schema"]["x-order"]
        assert declared != sorted(declared)
        shown = adding.locator(".calibration [data-path^='calibration.']").evaluate_all(
            "nodes => nodes.map(n => n.dataset.path.slice('calibration.'.length))")
        assert shown == declared, (kind, shown)
    adding.get_by_label("Type").select_option("light_gate")

    block.fill("9")
    adding.get_by_role("button", name="Add sensor").click()
    said = dashboard.http.post("/sensors", json={"type": "light_gate", "name": "Letter box",
                                                 "calibration": {"min_blocked_seconds": 9}})
    assert said.status_code == 400
    expect(adding.locator('[data-path="calibration.min_blocked_seconds"] .field-error')
           ).to_have_text(said.json()["error"])
    assert "letter-box" not in [s["id"] for s in dashboard.http.get("/sensors").json()["sensors"]]

    block.fill("2")
    adding.get_by_role("button", name="Add sensor").click()
    card = page.get_by_role("form", name="Sensor Letter box")
    expect(card).to_be_visible()
    stored = dashboard.http.get("/sensors/letter-box").json()
    assert stored["type"] == "light_gate" and stored["calibration"]["min_blocked_seconds"] == 2
    expect(card.get_by_label("Minimum block")).to_have_value("2")
    card.get_by_role("button", name="Test").click()
    expect(card.get_by_role("status")).to_contain_text(f"GPIO {stored['gpio']} reads")
    screenshot(page, "settings-sensors")

    phone = logged_in(phone_page, dashboard, "#/settings/Sensors")
    phone.get_by_text("Letter box", exact=True).click()
    expect(phone.get_by_role("form", name="Sensor Letter box")).to_be_visible()
    screenshot(phone, "settings-sensors")

    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert dashboard.http.get("/sensors/letter-box").status_code == 200
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(card).to_be_hidden()
    assert dashboard.http.get("/sensors/letter-box").status_code == 404
