"""The catalogue's SQLite file against crashes, deletion and damage, with a real
``seccam serve`` process (killed with SIGKILL while it writes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from seccam_core.testing import free_port, wait_until

SECCAM = [sys.executable, "-m", "seccam_core.cli"]
DB = "catalogue.sqlite3"


def _fill(folder: Path, start: int, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(start, start + count):
        path = folder / f"output_2026{1 + i // 100000 % 12:02d}{1 + i // 3600 % 28:02d}_" \
                        f"{i // 60 % 60:02d}{i % 60:02d}{i // 36000 % 10:02d}.mp4"
        path.write_bytes(b"")
        made.append(path)
    return made


class Served:
    """One ``seccam serve`` on a loopback port (media and catalogue, no camera work)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*SECCAM, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock",
                 "SECCAM_DISABLED_PLUGINS": "captive_portal"},
        )
        token = subprocess.run([*SECCAM, "token", "--data-dir", str(data_dir)],
                               capture_output=True, text=True, check=True).stdout.strip()
        self.http = httpx.Client(base_url=self.url, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"})

    def wait_listening(self) -> None:
        def up() -> bool:
            assert self.process.poll() is None, self.process.stderr.read()
            try:
                return self.http.get("/auth/status").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, 60, "seccam serve listening")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.http.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
        self.http.close()


@pytest.fixture
def serve(seccam_data_dir):
    started: list[Served] = []

    def start() -> Served:
        served = Served(seccam_data_dir)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def _integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def _listed(served: Served) -> set[str]:
    return {item["name"] for item in served.http.get("/archive?limit=100000").json()}


def test_a_sigkill_while_writing_never_damages_the_catalogue(serve, seccam_data_dir):
    folder = seccam_data_dir / "recordings"
    on_disk = {p.name for p in _fill(folder, 0, 8000)}
    delays = (0.3, 0.9, 1.6, 2.4)
    killed_mid_write = 0
    for round_number, delay in enumerate(delays):
        served = serve()
        served.wait_listening()
        # Files come and go by hand while the server lists and reconciles them.
        added = _fill(folder, 10000 + 500 * round_number, 500)
        on_disk |= {p.name for p in added}
        for path in sorted(folder.glob("output_*.mp4"))[:200]:
            path.unlink()
            on_disk.discard(path.name)
        try:
            served.http.post("/archive/reconcile", timeout=delay)
        except httpx.TimeoutException:
            killed_mid_write += 1  # still writing: that is the moment to kill it
        served.kill()
        assert _integrity(seccam_data_dir / DB) == "ok", f"after the kill in round {round_number}"

    assert killed_mid_write, "no kill landed while the catalogue was still writing"
    served = serve()
    served.wait_listening()
    assert served.http.post("/archive/reconcile").status_code == 200
    assert _listed(served) == on_disk
    assert served.http.get("/archive/count").json() == {"count": len(on_disk)}
    served.stop()


def test_a_deleted_catalogue_is_rebuilt_from_the_folder(serve, seccam_data_dir):
    folder = seccam_data_dir / "recordings"
    names = {p.name for p in _fill(folder, 0, 300)}
    served = serve()
    served.wait_listening()
    assert served.http.get("/archive/count").json() == {"count": 300}
    served.stop()

    for suffix in ("", "-wal", "-shm"):
        Path(f"{seccam_data_dir / DB}{suffix}").unlink(missing_ok=True)
    served = serve()
    served.wait_listening()
    assert served.http.get("/archive/count").json() == {"count": 300}
    assert _listed(served) == names

    # Deleted while the server runs: the periodic check notices and rebuilds it.
    (seccam_data_dir / DB).unlink()
    # The periodic check (every minute) notices it; so does a reconcile asked for now.
    assert served.http.post("/archive/reconcile").status_code == 200
    assert (seccam_data_dir / DB).exists()
    assert served.http.get("/archive/count").json() == {"count": 300}
    served.stop()


def test_a_corrupt_catalogue_is_set_aside_and_rebuilt(serve, seccam_data_dir):
    folder = seccam_data_dir / "recordings"
    names = {p.name for p in _fill(folder, 0, 200)}
    (seccam_data_dir / DB).write_bytes(b"this is not a database" * 1000)
    served = serve()
    served.wait_listening()
    assert _listed(served) == names
    assert list(seccam_data_dir.glob(f"{DB}.corrupt-*")), "the damaged file is kept aside"
    served.stop()

    # Damaged pages in a real database (a card that lost a sector): also rebuilt.
    with open(seccam_data_dir / DB, "r+b") as damaged:
        damaged.seek(4096)
        damaged.write(os.urandom(4096 * 3))
    served = serve()
    served.wait_listening()
    assert _listed(served) == names
    assert _integrity(seccam_data_dir / DB) == "ok"
    served.stop()
