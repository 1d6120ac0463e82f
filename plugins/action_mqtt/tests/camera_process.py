"""A camera in a process of its own (so a test can SIGKILL it): the live server with the
mqtt action and the mock sensor on the data folder given as the first argument. Prints
``ready`` once serving; stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import seccam_action_mqtt
import seccam_sensor_mock

from seccam_core.testing import LiveServer, make_app


def main() -> None:
    server = LiveServer(make_app(Path(sys.argv[1]), seccam_action_mqtt, seccam_sensor_mock))
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
