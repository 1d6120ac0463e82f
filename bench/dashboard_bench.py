"""Benchmark: the dashboard in headless Chromium against a real ``seccam serve``.

    python bench/dashboard_bench.py [--count 100000] [--runs 5]

Makes a recordings folder of ``--count`` recordings the way bench/catalogue_bench.py
does (empty video files a minute apart: the catalogue never opens a video), each with a
real thumbnail and sprite JPEG (hard links to one pair, so the page fetches real images)
and, for one in ten, a ``.meta.json`` naming the sensor it was made for. ``seccam serve``
(every installed plugin but the captive portal) catalogues them at its first start, as
it would an owner's folder. Then, in Debian's /usr/bin/chromium driven by Playwright:

* first load of ``/``: bytes transferred for the page and every file it loads (target:
  under 300 KB compressed), and what all of the dashboard's files weigh gzipped;
* time to the Live page interactive (sensor tiles shown, arm mode set), for a returning
  user (token kept) and from the login form's submit;
* the Archive page with ``--count`` recordings: time to the first rows, to the next
  page ("Older"), to the last page, and to a filtered first page (one sensor, one day).

References measured in the same run: a static page of the same byte size served by a
minimal Quart app on hypercorn (load time in the same browser), and the raw API calls the
pages make (``GET /archive`` first page, next page, last page) over httpx.
Medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from seccam_core.testing import free_port

SECCAM = [sys.executable, "-m", "seccam_core.cli"]
PASSWORD = "bench password 123"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]
SENSORS = ["front-door", "hall", "garage"]
LINKS_PER_COPY = 10_000
MINIMAL_QUART = """
import asyncio, sys
from quart import Quart, Response
from hypercorn.asyncio import serve
from hypercorn.config import Config
body = open(sys.argv[2], "rb").read()
app = Quart("minimal")

@app.get("/")
async def page():
    return Response(body, content_type="text/html; charset=utf-8")

config = Config()
config.bind = [f"127.0.0.1:{sys.argv[1]}"]
config.accesslog = None
asyncio.run(serve(app, config))
"""


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_images(folder: Path) -> tuple[Path, Path]:
    """One real thumbnail (320x180) and one real 10-frame sprite (1600x90)."""
    thumb, sprite = folder / "thumb.jpg", folder / "sprite.jpg"
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x180:rate=1", "-frames:v", "1", str(thumb)], check=True)
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x90:rate=10", "-vf", "tile=10x1", "-frames:v", "1",
                    str(sprite)], check=True)
    return thumb, sprite


def make_folder(folder: Path, count: int, images: tuple[Path, Path]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.parent
    sources: list[Any] = []
    start = datetime.now() - timedelta(minutes=count)
    for i in range(count):
        when = start + timedelta(minutes=i)
        stem = f"output_{when.strftime('%Y%m%d_%H%M%S')}"
        video = folder / f"{stem}.mp4"
        video.write_bytes(b"")
        finished = when.timestamp() + 30
        os.utime(video, (finished, finished))
        if i % LINKS_PER_COPY == 0:  # a file system caps the links to one file
            sources = [shutil.copy(image, root / f"{i}-{image.name}") for image in images]
        os.link(sources[0], folder / f"{stem}.thumb.jpg")
        os.link(sources[1], folder / f"{stem}.sprite.jpg")
        if i % 10 == 0:
            (folder / f"{stem}.meta.json").write_text(json.dumps({
                "duration_seconds": 12.5, "reason": "sensor", "sensor_type": "mock",
                "sensors": [SENSORS[(i // 10) % len(SENSORS)]]}))


class Served:
    """``seccam serve`` in its own process."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock",
               "SECCAM_DISABLED_PLUGINS": "captive_portal"}
        subprocess.run([*SECCAM, "password", "--data-dir", str(data_dir)], input=PASSWORD,
                       text=True, check=True, capture_output=True, env=env, cwd=data_dir)
        self.process = subprocess.Popen(
            [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, cwd=data_dir)
        atexit.register(self.stop)
        self.http = httpx.Client(base_url=self.url, timeout=600)
        self.until(lambda: self.http.get("/auth/status").status_code == 200)
        token = self.http.post("/auth/validate", json={"password": PASSWORD}).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def until(self, predicate: Any, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("seccam serve exited")
            try:
                if predicate():
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError("seccam serve did not get there")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(120)


def api_ms(client: httpx.Client, path: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
    return statistics.median(samples)


def like_scan_ms(catalogue: Path, sensor: str, runs: int) -> float:
    """The ``?sensor=`` query as it was before ``media_sensors``: a LIKE over the sensor
    column of every recording (count and first page), read-only on the same file."""
    connection = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        connection.execute("SELECT count(*) FROM media WHERE kind = 'recording' "
                           "AND sensor LIKE ?", (f"%,{sensor},%",)).fetchone()
        connection.execute("SELECT doc FROM media WHERE kind = 'recording' AND sensor LIKE ? "
                           "ORDER BY created DESC, name DESC LIMIT 24",
                           (f"%,{sensor},%",)).fetchall()
        samples.append((time.perf_counter() - began) * 1000)
    connection.close()
    return statistics.median(samples)


def bundle_sizes() -> tuple[int, int]:
    from seccam_core.dashboard import BUNDLE

    raw = sum(len(asset.body) for asset in BUNDLE.assets.values())
    packed = sum(len(asset.gzipped) for asset in BUNDLE.assets.values())
    return raw, packed


class Transfer:
    """Bytes on the wire per request (Chromium's encodedDataLength: headers + body)."""

    def __init__(self, context: Any, page: Any) -> None:
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        session.on("Network.requestWillBeSent",
                   lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        session.on("Network.loadingFinished",
                   lambda e: self.sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))

    def of(self, test: Any) -> tuple[int, int]:
        chosen = [size for rid, size in self.sizes.items() if test(self.urls.get(rid, ""))]
        return sum(chosen), len(chosen)


def is_asset(url: str) -> bool:
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    return path == "/" or path.startswith("/ui/")


def live_ready(page: Any) -> None:
    page.wait_for_selector(".tile")
    page.wait_for_selector("input[name=arm-mode]:checked", state="attached")


def login(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    live_ready(page)


def first_rows(page: Any) -> None:
    page.wait_for_selector("#recordings > li.media-card")


def first_path(page: Any) -> str:
    return page.locator("#recordings > li.media-card").first.get_attribute("data-path") or ""


def wait_new_first(page: Any, before: str) -> None:
    page.wait_for_function(
        "(before) => { const c = document.querySelector('#recordings > li.media-card');"
        " return c && c.dataset.path !== before && !document.querySelector("
        "'#recordings[aria-busy]'); }", arg=before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    atexit.register(shutil.rmtree, root, True)
    figures: dict[str, str] = {}

    began = time.monotonic()
    folder = root / "recordings"
    make_folder(folder, args.count, make_images(root))
    made = time.monotonic() - began
    data_dir = root / "data"
    data_dir.mkdir()
    (data_dir / "settings.json").write_text(json.dumps({
        "Camera": {"recordings_dir": str(folder), "test_pattern_size": "320x240",
                   "test_pattern_fps": 5},
        "Sensors": {"sensors": [
            {"id": s, "name": s.replace("-", " ").title(), "type": "mock", "gpio": None,
             "enabled": True, "hold_seconds": 2, "invert_logic": False, "calibration": {},
             "modes": ["away", "night"]} for s in SENSORS]},
    }))
    began = time.monotonic()
    served = Served(data_dir)
    served.until(lambda: served.http.get("/archive/count").json()["count"] == args.count)
    served.http.post("/archive/reconcile").raise_for_status()  # sidecars read too
    figures["setup: folder made, catalogued by seccam's first start"] = (
        f"{made:.1f} s, {time.monotonic() - began:.1f} s ({args.count:,} recordings)")

    raw, packed = bundle_sizes()
    figures["every dashboard file (all pages): raw / gzipped"] = (
        f"{raw / 1000:.1f} KB / {packed / 1000:.1f} KB")
    last_offset = (args.count - 1) // 24 * 24
    one_day = datetime.now().strftime("%Y-%m-%d")
    runs = args.runs

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)

        # --- first load: bytes and time to interactive ------------------------------
        loads, forms, logins, transfers, counts = [], [], [], [], []
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 375, "height": 740})
            page = context.new_page()
            wire = Transfer(context, page)
            began = time.perf_counter()
            page.goto(served.url + "/")
            page.get_by_label("Password").wait_for()
            forms.append((time.perf_counter() - began) * 1000)
            page.get_by_label("Password").fill(PASSWORD)
            began = time.perf_counter()
            page.get_by_role("button", name="Log in").click()
            live_ready(page)
            logins.append((time.perf_counter() - began) * 1000)
            size, count = wire.of(is_asset)
            transfers.append(size)
            counts.append(count)
            # A returning user: the token is kept, the page opens straight on Live.
            began = time.perf_counter()
            page.goto(served.url + "/#/live")
            live_ready(page)
            loads.append((time.perf_counter() - began) * 1000)
            context.close()
        figures["first load of / with every file it loads: bytes on the wire"] = (
            f"{statistics.median(transfers) / 1000:.1f} KB in {counts[0]} responses "
            "(target < 300 KB)")
        figures["login form shown, first visit (fresh browser context, no cache)"] = (
            f"{statistics.median(forms):.0f} ms")
        figures["Live interactive after 'Log in' (password checked: scrypt)"] = (
            f"{statistics.median(logins):.0f} ms")
        figures["Live interactive, returning user (token kept), cache disabled"] = (
            f"{statistics.median(loads):.0f} ms")

        # --- the reference: a static page of the same size from a minimal Quart app ------
        static = root / "static.html"
        filler = base64.b64encode(os.urandom(raw * 3 // 4))[: max(0, raw - 60)].decode()
        static.write_text(f"<!doctype html><title>ref</title><p>{filler}</p>")
        port = free_port()
        reference = subprocess.Popen([sys.executable, "-c", MINIMAL_QUART, str(port),
                                      str(static)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        atexit.register(lambda: reference.poll() is None and reference.kill())
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        samples, fresh = [], []
        for _ in range(runs):
            context = browser.new_context()
            page = context.new_page()
            Transfer(context, page)  # the same cache-disabled page as above
            began = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            fresh.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/?again", wait_until="load")
            samples.append((time.perf_counter() - began) * 1000)
            context.close()
        reference.terminate()
        reference.wait(30)
        figures[f"REFERENCE: one static page of {raw / 1000:.0f} KB (uncompressed), minimal "
                "Quart, load event: first visit, then again"] = (
            f"{statistics.median(fresh):.0f} ms, {statistics.median(samples):.0f} ms")

        # --- the archive with count recordings ------------------------------------------
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        login(page, served.url)
        firsts, nexts, lasts, filtered, inside = [], [], [], [], []
        for _ in range(runs):
            page.goto(served.url + "/#/live")
            live_ready(page)
            began = time.perf_counter()
            page.goto(served.url + "/#/archive")
            first_rows(page)
            firsts.append((time.perf_counter() - began) * 1000)
            before = first_path(page)
            began = time.perf_counter()
            page.locator("#page-older").click()
            wait_new_first(page, before)
            nexts.append((time.perf_counter() - began) * 1000)
            inside.append(float(page.locator("#recordings").get_attribute("data-shown-ms") or 0))
            # The oldest page: the deepest OFFSET the catalogue is asked for.
            before = first_path(page)
            began = time.perf_counter()
            page.get_by_role("button", name="Oldest page").click()
            wait_new_first(page, before)
            lasts.append((time.perf_counter() - began) * 1000)
            before = first_path(page)
            page.get_by_role("button", name="Newest page").click()
            wait_new_first(page, before)
            before = first_path(page)
            began = time.perf_counter()
            page.get_by_label("Sensor").select_option("hall")
            wait_new_first(page, before)
            filtered.append((time.perf_counter() - began) * 1000)
            page.get_by_label("Sensor").select_option("")
            first_rows(page)
        figures["Archive: first rows shown (from navigating to #/archive)"] = (
            f"{statistics.median(firsts):.0f} ms")
        figures["Archive: next page shown (click Older)"] = (
            f"{statistics.median(nexts):.0f} ms ({statistics.median(inside):.0f} ms of it "
            "in the page: request to rows rendered)")
        figures["Archive: one sensor's first page shown (select a sensor)"] = (
            f"{statistics.median(filtered):.0f} ms")
        figures[f"Archive: oldest page shown (click Oldest; offset {last_offset:,})"] = (
            f"{statistics.median(lasts):.0f} ms")
        context.close()
        browser.close()

    client = served.http
    figures["REFERENCE: raw GET /archive first page (24), next, oldest (httpx)"] = (
        f"{api_ms(client, '/archive?limit=24', runs * 4):.1f} ms, "
        f"{api_ms(client, '/archive?limit=24&offset=24', runs * 4):.1f} ms, "
        f"{api_ms(client, f'/archive?limit=24&offset={last_offset}', runs * 4):.1f} ms")
    figures["REFERENCE: raw GET /archive?sensor=hall, ?day=today (24 each)"] = (
        f"{api_ms(client, '/archive?limit=24&sensor=hall', runs * 4):.1f} ms, "
        f"{api_ms(client, f'/archive?limit=24&day={one_day}', runs * 4):.1f} ms")
    figures["REFERENCE: the sensor filter as a scan of every row (before its index)"] = (
        f"{like_scan_ms(data_dir / 'catalogue.sqlite3', 'hall', runs * 4):.1f} ms")
    live_calls = sum(api_ms(client, path, runs * 4)
                     for path in ("/sensors", "/arming", "/recording_status"))
    figures["REFERENCE: raw GET /sensors + /arming + /recording_status"] = (
        f"{live_calls:.1f} ms")
    served.stop()

    width = max(len(key) for key in figures)
    print(f"\ndashboard bench ({args.count:,} recordings, medians of {runs})")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()
