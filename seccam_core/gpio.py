"""Pin-factory choice: the core's only touch of gpiozero.

``GPIOZERO_PIN_FACTORY`` is respected as gpiozero documents it. Off a Raspberry Pi,
and with no factory named, seccam uses gpiozero's ``MockFactory`` and says so once in
the log, so the server runs on any laptop.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from gpiozero import Device

log = logging.getLogger(__name__)

MODEL_FILE = Path("/proc/device-tree/model")


def running_on_pi(model_file: Path = MODEL_FILE) -> bool:
    try:
        return "Raspberry Pi" in model_file.read_text(errors="replace")
    except OSError:
        return False


def choose_pin_factory() -> str:
    """Install the pin factory once per process; return its class name."""
    if Device.pin_factory is not None:
        return type(Device.pin_factory).__name__
    if os.environ.get("GPIOZERO_PIN_FACTORY") or running_on_pi():
        Device.ensure_pin_factory()
    else:
        from gpiozero.pins.mock import MockFactory

        Device.pin_factory = MockFactory()
        log.warning("not a Raspberry Pi: using gpiozero's MockFactory (simulated pins)")
    return type(Device.pin_factory).__name__
