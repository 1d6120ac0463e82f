"""Fixtures of the dashboard's browser tests: a real ``seccam serve``, Debian's chromium.

* ``dashboard``: ``seccam serve`` as a subprocess on a free loopback port with its own
  data folder, every installed plugin (the captive portal's iptables sent into the
  session's network namespace by tests/conftest.py), GPIOZERO's mock pins, the test
  pattern camera, three mock sensors and the known password :data:`PASSWORD`.
* ``browser``: Playwright's chromium, launched from ``/usr/bin/chromium`` (nothing is
  downloaded: ``playwright install`` is never run).
* ``page`` (1280x800) and ``phone_page`` (375x740, touch): each records its console
  messages and request URLs in ``page.seen`` (the secrets test reads them).
* ``logged_in(page, dashboard)``: logs in through the login form, as a person does.
* ``screenshot(page, name)``: tests/ui/screenshots/<name>-<width>.png (gitignored).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from seccam_core.testing import free_port, wait_until

PASSWORD = "correct horse battery staple"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
FAST_CAMERA = {"test_pattern_size": "320x240", "test_pattern_fps": 10}
SENSORS = [("front-door", "Front door"), ("hall", "Hall"), ("garage", "Garage")]
START_TIMEOUT = 60.0


def mock_sensor(sensor_id: str, name: str) -> dict[str, Any]:
    return {"id": sensor_id, "name": name, "type": "mock", "gpio": None, "enabled": True,
            "hold_seconds": 2, "invert_logic": False, "calibration": {},
            "modes": ["away", "night"]}


@dataclass
class Dashboard:
    """A running ``seccam serve``; ``http`` is a client that sends the current token."""

    data_dir: Path
    port: int
    password: str = PASSWORD
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self) -> str:
        return json.loads((self.data_dir / "settings.json").read_text())["Auth"]["token"]

    @property
    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.token()}"})

    def start(self) -> Dashboard:
        env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env)
        wait_until(self._answers, START_TIMEOUT, "seccam serve answering /auth/status")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"seccam serve exited with {self.process.returncode}: see "
                               f"{self.data_dir / 'logs'}")
        try:
            return httpx.get(self.url + "/auth/status", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def prepare(data_dir: Path, **sections: Any) -> None:
    """Settings for the server, merged into what tests/conftest.py seeded; the password
    set the way an owner does (``seccam password``, from stdin)."""
    path = data_dir / "settings.json"
    document = json.loads(path.read_text()) if path.exists() else {}
    wanted = {
        "Camera": FAST_CAMERA,
        "Sensors": {"sensors": [mock_sensor(i, n) for i, n in SENSORS]},
        **sections,
    }
    for section, fields in wanted.items():
        document.setdefault(section, {}).update(fields)
    path.write_text(json.dumps(document))
    subprocess.run([sys.executable, "-m", "seccam_core.cli", "password", "--data-dir",
                    str(data_dir)], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)


@pytest.fixture
def dashboard(seccam_data_dir: Path) -> Any:
    """A live ``seccam serve`` for one test (see the module docstring)."""
    prepare(seccam_data_dir)
    server = Dashboard(seccam_data_dir, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Any:
    """Debian's chromium, headless, driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                              headless=True)
        try:
            yield launched
        finally:
            launched.close()


def _watched(context: Any) -> Page:
    page = context.new_page()
    page.seen = {"console": [], "requests": []}  # type: ignore[attr-defined]
    page.on("console", lambda message: page.seen["console"].append(message.text))
    page.on("pageerror", lambda error: page.seen["console"].append(f"pageerror: {error}"))
    page.on("request", lambda request: page.seen["requests"].append(request.url))
    return page


@pytest.fixture
def page(browser: Any) -> Any:
    """A desktop-sized page (1280x800) in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield _watched(context)
    finally:
        context.close()


@pytest.fixture
def phone_page(browser: Any) -> Any:
    """A phone-sized page (375x740, touch) in a fresh browser context."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        yield _watched(context)
    finally:
        context.close()


def logged_in(page: Page, dashboard: Dashboard, route: str = "") -> Page:
    """Open the dashboard and log in with the password, through the form."""
    page.goto(dashboard.url + "/" + route)
    page.get_by_label("Password").fill(dashboard.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


@pytest.fixture
def screenshot() -> Any:
    """Write a screenshot a reviewer can look at (not committed)."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
