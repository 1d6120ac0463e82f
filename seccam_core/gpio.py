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


def current_pin_factory() -> object:
    """The pin factory in use (chosen by :func:`choose_pin_factory` if none is yet)."""
    choose_pin_factory()
    return Device.pin_factory


class _PinProbe:
    """A stand-in reserver: asks the factory whether a pin is free without opening it."""

    def _conflicts_with(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "<seccam pin probe>"


def pin_in_use(gpio: int) -> str | None:
    """What holds BCM pin ``gpio`` in this process (``None`` when it is free)."""
    factory = current_pin_factory()
    probe = _PinProbe()
    name = f"GPIO{gpio}"
    try:
        factory.reserve_pins(probe, name)  # type: ignore[attr-defined]
    except Exception as exc:  # GPIOPinInUse names the device holding it
        return str(exc)
    factory.release_pins(probe, name)  # type: ignore[attr-defined]
    return None
