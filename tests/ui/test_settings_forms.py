"""The Settings pages, generated from GET /settings/schema, used as a person uses them."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import logged_in
from playwright.sync_api import expect

import seccam_core

WEB = Path(seccam_core.__file__).parent / "web"
# The sections the dashboard draws itself (the Sensors editor, the Sensor note, the
# password form beside Auth): every other section's page comes from its schema alone.
DRAWN_BY_HAND = {"Sensors", "Sensor", "Auth"}


def open_section(page, name: str):
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name=re.compile(f"^{name}\\b")).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    return page.locator(f"#section-{name}")


def field(form, path: str):
    return form.locator(f'[data-path="{path}"]')


def field_values(page) -> str:
    """What the form fields hold (a typed value is a property, not in the markup)."""
    return page.evaluate(
        "() => [...document.querySelectorAll('input, textarea, select')].map(f => f.value)"
        ".join('\\n')")


def test_a_valid_change_is_saved_and_the_server_agrees(dashboard, page, screenshot):
    logged_in(page, dashboard)
    form = open_section(page, "Camera")
    pre_roll = form.get_by_label("Pre roll seconds")
    expect(pre_roll).to_have_value(str(dashboard.http.get("/settings").json()["Camera"]
                                       ["pre_roll_seconds"]))
    expect(field(form, "pre_roll_seconds")).to_contain_text("0 to 30")
    pre_roll.fill("7")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["Camera"]["pre_roll_seconds"] == 7
    expect(pre_roll).to_have_value("7")
    screenshot(page, "settings-camera")


def test_a_refused_value_shows_the_servers_message_beside_its_field(dashboard, phone_page,
                                                                     screenshot):
    page = logged_in(phone_page, dashboard)
    before = dashboard.http.get("/settings").json()["Camera"]
    form = open_section(page, "Camera")

    form.get_by_label("Pre roll seconds").fill("99")
    form.get_by_role("button", name="Save").click()
    said = dashboard.http.post("/settings", json={"Camera": {"pre_roll_seconds": 99}})
    assert said.status_code == 400
    message = field(form, "pre_roll_seconds").locator(".field-error")
    expect(message).to_have_text(said.json()["error"])
    expect(form.get_by_label("Pre roll seconds")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "settings-refused")
    assert dashboard.http.get("/settings").json()["Camera"] == before, "nothing was stored"

    # A wrong pattern, in another field: the message moves there.
    form.get_by_label("Pre roll seconds").fill("3")
    form.get_by_label("Test pattern size").fill("huge")
    form.get_by_role("button", name="Save").click()
    said = dashboard.http.post("/settings", json={"Camera": {"test_pattern_size": "huge"}})
    expect(field(form, "test_pattern_size").locator(".field-error")).to_have_text(
        said.json()["error"])
    expect(message).to_be_hidden()
    assert dashboard.http.get("/settings").json()["Camera"] == before, "nothing was stored"

    # Drawn again (another page and back): the edit and the message are still there.
    page.get_by_role("link", name="System", exact=True).click()
    expect(page.get_by_role("heading", name="System", exact=True)).to_be_visible()
    page.go_back()
    form = page.locator("#section-Camera")
    expect(form.get_by_label("Test pattern size")).to_have_value("huge")
    expect(field(form, "test_pattern_size").locator(".field-error")).to_have_text(
        said.json()["error"])
    form.get_by_role("button", name="Discard changes").click()
    expect(form.get_by_label("Test pattern size")).to_have_value(before["test_pattern_size"])
    expect(field(form, "test_pattern_size").locator(".field-error")).to_be_hidden()


def test_a_secret_is_write_only_in_the_form(dashboard, page, screenshot):
    """The MQTT password: an empty box that says set / not set, sent only when typed."""
    secret = "broker-pw-" + "k7Qz" * 5
    bodies: list[str] = []
    page.on("request", lambda request: bodies.append(request.post_data or ""))
    logged_in(page, dashboard)
    form = open_section(page, "Mqtt")
    password = form.get_by_label("Password")
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_value("")
    expect(field(form, "password")).to_contain_text("not set")
    password.fill(secret)
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["Mqtt"]["password_set"] is True
    assert secret not in field_values(page), "saved: the box is empty again"

    page.reload()
    form = page.locator("#section-Mqtt")
    expect(field(form, "password").locator(".secret-state")).to_have_text("set")
    expect(form.get_by_label("Password")).to_have_value("")
    # Another change leaves the password out of the request, and the password stays set.
    sent_before = len(bodies)
    form.get_by_label("Port").fill("1884")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    saves = [body for body in bodies[sent_before:] if '"Mqtt"' in body]
    assert saves and all('"password"' not in body for body in saves), saves
    shown = dashboard.http.get("/settings").json()["Mqtt"]
    assert shown["port"] == 1884 and shown["password_set"] is True
    screenshot(page, "settings-secret")
    assert secret not in page.content() and secret not in field_values(page)
    assert not any(secret in url for url in page.seen["requests"])
    assert not any(secret in text for text in page.seen["console"])

    form.get_by_label("clear it").check()
    form.get_by_role("button", name="Save").click()
    expect(field(form, "password").locator(".secret-state")).to_have_text("not set")
    assert dashboard.http.get("/settings").json()["Mqtt"]["password_set"] is False


def test_a_change_made_elsewhere_shows_in_the_open_form(dashboard, page):
    logged_in(page, dashboard)
    form = open_section(page, "Timelapse")
    fps = form.get_by_label("Fps")
    dashboard.http.post("/settings", json={"Timelapse": {"fps": 30}}).raise_for_status()
    expect(fps).to_have_value("30")  # settings_changed, over the event stream
    # While the owner is editing, the form keeps the edit and says what happened.
    form.get_by_label("Interval minutes").fill("12")
    dashboard.http.post("/settings", json={"Timelapse": {"fps": 12}}).raise_for_status()
    expect(page.get_by_text("These settings were changed elsewhere.")).to_be_visible()
    expect(fps).to_have_value("30")
    expect(form.get_by_label("Interval minutes")).to_have_value("12")
    page.get_by_role("button", name="Show the saved values").click()
    expect(fps).to_have_value("12")
    expect(form.get_by_label("Interval minutes")).to_have_value("5")


def test_the_password_can_be_changed_beside_the_auth_section(dashboard, page):
    logged_in(page, dashboard)
    open_section(page, "Auth")
    page.get_by_label("Current password").fill(dashboard.password)
    page.get_by_label("New password").fill("a much longer new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".toast").filter(has_text="Password changed")).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_value("")
    answer = dashboard.http.post("/auth/validate", json={"password": "a much longer new password"})
    assert answer.json()["valid"] is True


def test_a_refused_secret_is_never_echoed_beside_its_field(dashboard, page):
    """A webhook endpoint's signing secret with the wrong shape: the message names the
    field and the rule; the value typed is neither in the message nor left on the page."""
    typed = "not-a-whsec-" + "x9" * 8
    logged_in(page, dashboard)
    form = open_section(page, "Webhook")
    form.get_by_role("button", name="Add to Endpoints").click()
    form.get_by_label("Url").fill("http://127.0.0.1:9/hook")
    form.get_by_label("Secret").fill(typed)
    form.get_by_role("button", name="Save").click()
    message = field(form, "endpoints.0.secret").locator(".field-error")
    expect(message).to_contain_text("Webhook.endpoints.0.secret: does not meet pattern")
    assert typed not in message.inner_text()
    assert dashboard.http.get("/settings").json()["Webhook"]["endpoints"] == []
    page.reload()
    expect(page.locator("#section-Webhook")).to_be_visible()
    assert typed not in page.content() and typed not in field_values(page)


def test_every_section_has_a_page_and_a_plugins_section_is_a_form(dashboard, page,
                                                                    screenshot):
    """No section is named in the settings code beyond the three it draws itself: the
    plugins' sections (MQTT from action_mqtt, StorageLimit from storage_sd, ...) get
    their forms from their schemas, as a plugin installed tomorrow would."""
    forms = dashboard.http.get("/settings/schema").json()
    settings_code = [WEB / "js" / "pages" / "settings.js", *(WEB / "js" / "forms").glob("*.js")]
    code = "\n".join(re.sub(r"^\s*//.*$", "", re.sub(r"/\*.*?\*/", "", path.read_text(),
                                                     flags=re.S), flags=re.M)
                     for path in settings_code)
    assert "schemaFields" in code
    for name in set(forms) - DRAWN_BY_HAND:
        assert not re.search(rf"\b{name}\b", code), f"{name} is named in the dashboard"

    logged_in(page, dashboard)
    page.get_by_role("link", name="Settings", exact=True).click()
    index = page.get_by_role("list", name="Settings sections")
    for name in forms:
        expect(index.get_by_role("link", name=re.compile(f"^{name}\\b"))).to_be_visible()

    form = open_section(page, "StorageLimit")
    schema = forms["StorageLimit"]["schema"]["properties"]
    percent = form.get_by_label("Max percent")
    expect(percent).to_have_attribute("min", str(schema["max_percent"]["minimum"]))
    expect(percent).to_have_attribute("max", str(schema["max_percent"]["maximum"]))
    expect(field(form, "max_percent")).to_contain_text(schema["max_percent"]["description"])
    expect(form.get_by_role("switch", name="Enabled")).not_to_be_checked()
    form.get_by_role("switch", name="Enabled").check()
    percent.fill("70")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    stored = dashboard.http.get("/settings").json()["StorageLimit"]
    assert stored["enabled"] is True and stored["max_percent"] == 70
    screenshot(page, "settings-plugin-section")


def test_lists_and_nested_objects_are_edited_in_the_form(dashboard, phone_page, screenshot):
    """Arming's schedules (a list of objects with a day picker, times and a mode) and
    Notify's ntfy (an object that is null when not used)."""
    page = logged_in(phone_page, dashboard)
    form = open_section(page, "Arming")
    form.get_by_role("button", name="Add to Schedules").click()
    window = form.get_by_role("group", name="Schedules 1")
    for day in ("mon", "fri"):
        window.get_by_label(day).check()
    window.get_by_label("Start").fill("22:00")
    window.get_by_label("End").fill("07:00")
    window.get_by_label("Mode").select_option("night")
    screenshot(page, "settings-list")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["Arming"]["schedules"] == [
        {"days": ["mon", "fri"], "start": "22:00", "end": "07:00", "mode": "night"}]
    form.get_by_role("button", name="Remove Schedules 1").click()
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["Arming"]["schedules"] == []

    form = open_section(page, "Notify")
    ntfy = form.locator('[data-path="ntfy"]')
    expect(ntfy.get_by_label("Server")).to_be_hidden()
    ntfy.get_by_role("switch", name="use Ntfy").check()
    ntfy.get_by_label("Server").fill("https://ntfy.example")
    ntfy.get_by_label("Topic").fill("front-door")
    ntfy.get_by_label("Priority").fill("4")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    stored = dashboard.http.get("/settings").json()["Notify"]["ntfy"]
    assert stored["server"] == "https://ntfy.example" and stored["topic"] == "front-door"
    assert stored["priority"] == 4 and stored["token_set"] is False
    ntfy.get_by_role("switch", name="use Ntfy").uncheck()
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["Notify"]["ntfy"] is None


def test_the_example_plugins_own_section_is_a_form(dashboard, page, screenshot):
    """The example third-party plugin (examples/sensor_lightgate), installed in this
    env as a user would pip-install it, brings a ``LightGate`` section the dashboard's
    code has never heard of: it gets its page, its labels and its bounds from the
    schema, and the server's refusal shows beside the field."""
    forms = dashboard.http.get("/settings/schema").json()
    assert "LightGate" in forms
    logged_in(page, dashboard)
    form = open_section(page, "LightGate")
    words = form.get_by_label("Passage words")
    expect(words).to_have_value("something passed")
    expect(field(form, "passage_words")).to_contain_text("letter box")
    form.get_by_role("switch", name="Log passages").check()
    words.fill("post arrived")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-status")).to_have_text("Saved.")
    assert dashboard.http.get("/settings").json()["LightGate"] == {
        "log_passages": True, "passage_words": "post arrived"}

    words.fill("")
    form.get_by_role("button", name="Save").click()
    said = dashboard.http.post("/settings", json={"LightGate": {"passage_words": ""}})
    assert said.status_code == 400
    expect(field(form, "passage_words")).to_contain_text(said.json()["error"])
    assert dashboard.http.get("/settings").json()["LightGate"]["passage_words"] == (
        "post arrived")
    screenshot(page, "settings-example-plugin")
