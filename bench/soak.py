"""Soak and fault benchmark of a real ``seccam serve`` process.

    python bench/soak.py --minutes 10          # the soak run
    python bench/soak.py --faults              # the fault run

Soak: mixed load for the given time (status polls, settings writes, snapshots, mock
sensor triggers) while 50 SSE clients connect, read for a few seconds, drop and
reconnect with ``Last-Event-ID``. Every 10 s it samples the server's RSS, open file
descriptors and ffmpeg processes. It prints the samples, the trend of memory and
descriptors (least-squares slope per minute over the second half of the run), and
events lost (gaps in the ids a client saw across its reconnects).

The triggers make a recording every few seconds. As on a camera that has run for
months, the data folder is a small filesystem (a tmpfs of ``--data-mb``; needs root)
with auto-delete on, and the load deletes all but the newest 20 snapshots, so the
archive reaches a steady size: a leak then shows as a trend, instead of hiding behind
an index and answers that grow with every file.

Faults: builds a throw-away venv with the core and every plugin (uv), then kills the
camera's ffmpeg, fills the disk under the data folder (a tmpfs it mounts; needs root),
corrupts settings.json between two starts, and uninstalls a plugin's package before a
restart; after each it checks that the server answers and that every acknowledged
settings write is still there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

SSE_CLIENTS = 50
SAMPLE_EVERY = 10.0


# --- the server process ----------------------------------------------------------------


class Server:
    """``seccam serve`` in a child process on a loopback port."""

    def __init__(self, data_dir: Path, python: str = sys.executable) -> None:
        from seccam_core.testing import free_port

        self.python = python
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock"}
        self.process: subprocess.Popen[bytes] | None = None
        self.preexec: Callable[[], None] | None = None  # e.g. a descriptor limit

    def start(self, settings_document: dict[str, object] | None = None) -> Server:
        settings = self.data_dir / "settings.json"
        if not settings.exists():
            # The benchmark never touches this machine's firewall.
            document = {"CaptivePortal": {"enabled": False}, **(settings_document or {})}
            settings.write_text(json.dumps(document))
        self.process = subprocess.Popen(
            [self.python, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
            preexec_fn=self.preexec,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(self.url + "/auth/status", timeout=2)
                return self
            if self.process.poll() is not None:
                raise RuntimeError("the server exited at start")
            time.sleep(0.2)
        raise TimeoutError("the server did not start")

    @property
    def token(self) -> str:
        return subprocess.run(
            [self.python, "-m", "seccam_core.cli", "token", "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, check=True).stdout.strip()

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def sample(self) -> dict[str, float]:
        assert self.process is not None
        proc = psutil.Process(self.process.pid)
        children = proc.children(recursive=True)
        return {
            "t": time.monotonic(),
            "rss_mb": proc.memory_info().rss / 2**20,
            "fds": proc.num_fds(),
            "ffmpeg": sum(1 for c in children if "ffmpeg" in process_name(c)),
        }


def process_name(process: psutil.Process) -> str:
    """The name, or "" for a child that ended since it was listed (a finished job)."""
    try:
        return process.name()
    except psutil.NoSuchProcess:
        return ""


def slope_per_minute(samples: list[dict[str, float]], key: str) -> float:
    half = samples[len(samples) // 2:]
    if len(half) < 2:
        return 0.0
    xs = [s["t"] / 60 for s in half]
    ys = [s[key] for s in half]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs) or 1.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator


# --- load ------------------------------------------------------------------------------


async def sse_client(url: str, token: str, stop: asyncio.Event, stats: dict[str, int]) -> None:
    """Connects, reads 1-8 s, drops, reconnects with Last-Event-ID; counts id gaps."""
    last_id: int | None = None
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client:
        while not stop.is_set():
            headers = {"Authorization": f"Bearer {token}"}
            if last_id is not None:
                headers["Last-Event-ID"] = str(last_id)
            deadline = time.monotonic() + random.uniform(1, 8)
            with contextlib.suppress(httpx.HTTPError):
                async with client.stream("GET", url + "/events", headers=headers) as response:
                    if response.status_code != 200:
                        stats["refused"] += 1
                        await asyncio.sleep(1)
                        continue
                    stats["connections"] += 1
                    async for line in response.aiter_lines():
                        if line.startswith("id: "):
                            event_id = int(line[4:])
                            if last_id is not None and event_id > last_id + 1:
                                stats["lost"] += event_id - last_id - 1
                            last_id = max(event_id, last_id or 0)
                            stats["events"] += 1
                        if time.monotonic() > deadline or stop.is_set():
                            break


async def request_loop(client: httpx.AsyncClient, stop: asyncio.Event, period: float,
                       stats: dict[str, int], method: str, path: str,
                       body: object = None) -> None:
    while not stop.is_set():
        payload = body() if callable(body) else body
        try:
            response = await client.request(method, path, json=payload)
            stats["requests"] += 1
            if response.status_code >= 500 and path != "/snapshot":
                stats["server_errors"] += 1
        except httpx.HTTPError:
            stats["transport_errors"] += 1
        await asyncio.sleep(period)


async def snapshot_loop(client: httpx.AsyncClient, stop: asyncio.Event, period: float,
                        stats: dict[str, int], keep: int = 20) -> None:
    """A snapshot every ``period`` s; past ``keep`` the oldest are deleted, as a user would."""
    while not stop.is_set():
        try:
            await client.post("/snapshot")
            older = (await client.get("/snapshots", params={"offset": keep})).json()
            for snapshot in older:
                response = await client.post("/delete_snapshot",
                                             json={"snapshot_path": snapshot["path"]})
                stats["server_errors"] += response.status_code >= 500
            stats["requests"] += 2 + len(older)
        except httpx.HTTPError:
            stats["transport_errors"] += 1
        await asyncio.sleep(period)


async def soak(server: Server, minutes: float) -> None:
    token = server.token
    headers = {"Authorization": f"Bearer {token}"}
    stop = asyncio.Event()
    stats = {"requests": 0, "server_errors": 0, "transport_errors": 0, "events": 0,
             "lost": 0, "connections": 0, "refused": 0}
    samples: list[dict[str, float]] = []
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        await client.post("/sensor/configure", json={"type": "mock", "enabled": True,
                                                      "hold_seconds": 1})
        counter = iter(range(10**9))
        loops = [
            request_loop(client, stop, 0.05, stats, "GET", "/sensor/status"),
            request_loop(client, stop, 0.2, stats, "GET", "/system_info"),
            request_loop(client, stop, 0.5, stats, "GET", "/archive"),
            request_loop(client, stop, 1.0, stats, "POST", "/settings",
                         lambda: {"Api": {"cors_origins": [f"http://soak-{next(counter)}"]}}),
            snapshot_loop(client, stop, 5.0, stats),
            request_loop(client, stop, 3.0, stats, "POST", "/sensor/mock/trigger"),
            request_loop(client, stop, 3.0, stats, "POST", "/sensor/mock/release"),
        ]
        tasks = [asyncio.create_task(loop) for loop in loops]
        tasks += [asyncio.create_task(sse_client(server.url, token, stop, stats))
                  for _ in range(SSE_CLIENTS)]
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end:
            samples.append(server.sample())
            s = samples[-1]
            recordings = (await client.get("/archive/count")).json()["count"]
            print(f"  {len(samples) * SAMPLE_EVERY:>5.0f} s  rss {s['rss_mb']:6.1f} MB  "
                  f"fds {s['fds']:4.0f}  ffmpeg {s['ffmpeg']:.0f}  requests {stats['requests']}"
                  f"  events {stats['events']}  recordings {recordings}", flush=True)
            await asyncio.sleep(SAMPLE_EVERY)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(f"soak {minutes} min: {stats}")
    print(f"  rss {samples[0]['rss_mb']:.1f} -> {samples[-1]['rss_mb']:.1f} MB, "
          f"trend (2nd half) {slope_per_minute(samples, 'rss_mb'):+.2f} MB/min")
    print(f"  fds {samples[0]['fds']:.0f} -> {samples[-1]['fds']:.0f}, "
          f"trend {slope_per_minute(samples, 'fds'):+.2f}/min")
    print(f"  ffmpeg processes max {max(s['ffmpeg'] for s in samples):.0f}")


# --- faults ----------------------------------------------------------------------------


def acknowledged_write(server: Server, marker: str) -> None:
    response = httpx.post(server.url + "/settings", timeout=30,
                          headers={"Authorization": f"Bearer {server.token}"},
                          json={"Api": {"cors_origins": [marker]}})
    response.raise_for_status()


def still_there(server: Server, marker: str) -> bool:
    document = httpx.get(server.url + "/settings", timeout=30,
                         headers={"Authorization": f"Bearer {server.token}"}).json()
    return marker in document["Api"]["cors_origins"]


def wait_until(predicate, timeout: float = 60.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(Exception):
            if predicate():
                return time.monotonic() - start
        time.sleep(0.2)
    raise TimeoutError("not recovered in time")


REPO = Path(__file__).resolve().parent.parent


def faults() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run(["uv", "venv", "-q", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        plugins = sorted(str(p) for p in (REPO / "plugins").iterdir() if p.is_dir())
        subprocess.run(["uv", "pip", "install", "-q", "--python", python, str(REPO), *plugins],
                       check=True)
        data_dir = Path(scratch) / "data"
        data_dir.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(data_dir)],
                       check=True)
        try:
            run_faults(data_dir, python)
        finally:
            subprocess.run(["umount", "-l", str(data_dir)], check=False)


def run_faults(data_dir: Path, python: str) -> None:
    server = Server(data_dir, python).start()
    headers = {"Authorization": f"Bearer {server.token}"}
    acknowledged_write(server, "http://before-faults")

    # 1. the camera source dies
    proc = psutil.Process(server.process.pid)  # type: ignore[union-attr]
    cameras = [c for c in proc.children(recursive=True) if "ffmpeg" in c.name()]
    for camera in cameras:
        camera.kill()
    took = wait_until(lambda: httpx.get(
        server.url + "/camera/status", headers=headers, timeout=10).json()["state"] == "running"
        and all(not c.is_running() for c in cameras))
    snapshot = httpx.post(server.url + "/snapshot", headers=headers, timeout=60)
    print(f"camera killed ({len(cameras)} ffmpeg): running again after {took:.1f} s, "
          f"snapshot afterwards {snapshot.status_code} {snapshot.text[:200]}")

    # 2. the disk fills up
    filler = data_dir / "filler"
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 2**20)
    full_write = httpx.post(server.url + "/settings", headers=headers, timeout=30,
                            json={"Api": {"cors_origins": ["http://during-full-disk"]}})
    full_snapshot = httpx.post(server.url + "/snapshot", headers=headers, timeout=60)
    alive = httpx.get(server.url + "/sensor/status", headers=headers, timeout=30).status_code
    filler.unlink()
    acknowledged_write(server, "http://after-full-disk")
    print(f"disk full: settings write {full_write.status_code}, snapshot "
          f"{full_snapshot.status_code}, status {alive}; after freeing space the write "
          f"lands: {still_there(server, 'http://after-full-disk')}")

    # 3. settings.json corrupted between two starts
    assert server.stop() == 0
    (data_dir / "settings.json").write_text('{"Api": {"cors_origins": [')
    server = Server(data_dir, python).start()
    print(f"settings.json corrupted: server up, last acknowledged write kept: "
          f"{still_there(server, 'http://after-full-disk')}")

    # 4. the configured sensor's plugin package is uninstalled before the next start
    httpx.post(server.url + "/sensor/configure", headers=headers, timeout=30,
               json={"type": "mock", "enabled": True})
    assert server.stop() == 0
    subprocess.run(["uv", "pip", "uninstall", "-q", "--python", python, "seccam-sensor-mock"],
                   check=True)
    server = Server(data_dir, python).start()
    plugins = httpx.get(server.url + "/plugins", headers=headers, timeout=30).json()["plugins"]
    status = httpx.get(server.url + "/sensor/status", headers=headers, timeout=30)
    print(f"plugin uninstalled: server up, sensor_mock listed: "
          f"{any(p['name'] == 'sensor_mock' for p in plugins)}, "
          f"sensor status {status.status_code} {status.json().get('error')!r}, "
          f"/sensor/status {status.status_code}, settings kept: "
          f"{still_there(server, 'http://after-full-disk')}")
    print(f"exit code on SIGTERM: {server.stop()}")


@contextlib.contextmanager
def small_filesystem(size_mb: int):
    """A tmpfs of ``size_mb`` to hold the data folder (the whole run's recordings)."""
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", scratch],
                       check=True)
        try:
            yield Path(scratch)
        finally:
            subprocess.run(["umount", "-l", scratch], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--data-mb", type=int, default=48,
                        help="size of the tmpfs holding the data folder (auto-delete at 50%%)")
    parser.add_argument("--faults", action="store_true")
    args = parser.parse_args()
    if args.faults:
        faults()
        return
    auto_delete = {"StorageLimit": {"enabled": True, "max_percent": 50,
                                    "check_interval_seconds": 5}}
    with small_filesystem(args.data_mb) as data_dir:
        server = Server(data_dir).start(auto_delete)
        try:
            asyncio.run(soak(server, args.minutes))
        finally:
            print(f"exit code on SIGTERM: {server.stop()}")


if __name__ == "__main__":
    main()
