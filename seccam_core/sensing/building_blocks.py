"""The shape most sensor types share: one digital input with a debounce time.

A reed switch, a hall sensor, a PIR, a vibration switch and a light gate differ only in
what their settled levels mean. :func:`digital_input_factory` builds the gpiozero input
the way all of them need it (the configured pin and pin factory, gpiozero's own bounce
handling off, the device closed again if the sensor cannot be built), so a plugin writes
only its level logic; :func:`bounce_time_property` is the calibration key they share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from seccam_core.sensing.types import Emit, LiveSensor, SensorConfig

SensorT = TypeVar("SensorT", bound=LiveSensor)


def bounce_time_property(
    default: float,
    *,
    maximum: float = 1,
    description: str = "Edges within this many seconds of a reported one are ignored.",
) -> dict[str, Any]:
    """The ``bounce_time`` calibration key (gpiozero's own argument name), in seconds."""
    return {
        "type": "number", "minimum": 0, "maximum": maximum, "default": default,
        "title": "Debounce", "x-unit": "s", "description": description,
    }


def digital_input_factory(
    make: Callable[[Any, Emit, Mapping[str, Any]], SensorT],
    *,
    pull_up: bool | None = True,
    active_state: bool | None = None,
) -> Callable[[SensorConfig, Emit], SensorT]:
    """A :class:`~seccam_core.sensing.types.SensorType` factory for one digital input.

    ``make(device, emit, calibration)`` builds the live sensor around the gpiozero
    ``DigitalInputDevice``; ``pull_up`` and ``active_state`` are gpiozero's own (a module
    that drives its output takes ``pull_up=None, active_state=True``).
    """

    def build(config: SensorConfig, emit: Emit) -> SensorT:
        from gpiozero import DigitalInputDevice

        device = DigitalInputDevice(config.gpio, pull_up=pull_up, active_state=active_state,
                                    pin_factory=config.pin_factory)
        try:
            return make(device, emit, config.calibration)
        except Exception:
            device.close()
            raise

    return build
