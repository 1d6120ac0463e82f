"""The pieces sensor plugins build on: the countdown, the debouncer, calibration defaults."""

from __future__ import annotations

import threading

import pytest

from seccam_core.sensing.countdown import Countdown
from seccam_core.sensing.debounce import Debouncer
from seccam_core.sensing.types import SensorType, calibration_defaults


def test_countdown_fires_once_after_the_last_start():
    fired = threading.Event()
    calls = []
    countdown = Countdown(lambda: (calls.append(1), fired.set()))
    countdown.start(10)
    countdown.start(0.05)  # a restart replaces the first deadline
    assert fired.wait(5)
    assert calls == [1]
    countdown.close()


def test_cancelled_and_closed_countdowns_never_fire():
    fired = threading.Event()
    countdown = Countdown(fired.set)
    countdown.start(0.05)
    countdown.cancel()
    assert not fired.wait(0.2)
    countdown.close()
    countdown.start(0)
    assert not fired.wait(0.2)


def test_debouncer_reports_the_first_edge_and_the_settled_level():
    level = {"value": False}
    changes = []
    settled = threading.Event()

    def on_change(value):
        changes.append(value)
        if len(changes) == 2:
            settled.set()

    debouncer = Debouncer(0.05, lambda: level["value"], on_change, initial_level=False)
    level["value"] = True
    debouncer.poke()
    level["value"] = False
    debouncer.poke()  # bounce: ignored now, looked at again when the window ends
    assert changes == [True]
    assert settled.wait(5)
    assert changes == [True, False]
    debouncer.close()


def test_debouncer_passes_read_failures_to_on_error():
    errors = []

    def read():
        raise OSError("device gone")

    debouncer = Debouncer(0, read, lambda value: None, initial_level=False,
                          on_error=errors.append)
    debouncer.poke()
    assert [str(e) for e in errors] == ["device gone"]


def test_debouncer_without_on_error_raises():
    debouncer = Debouncer(0, lambda: 1 / 0, lambda value: None, initial_level=False)
    with pytest.raises(ZeroDivisionError):
        debouncer.poke()


def test_calibration_defaults_and_slider_descriptors():
    schema = {"type": "object", "properties": {
        "pulse_count": {"type": "integer", "minimum": 1, "maximum": 20, "default": 1,
                        "title": "Pulses"},
        "pulse_window": {"type": "number", "minimum": 0.1, "maximum": 30, "default": 5,
                         "x-unit": "s"},
        "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
    }}
    assert calibration_defaults(schema) == {"pulse_count": 1, "pulse_window": 5, "mode": "a"}
    declaration = SensorType(name="x", label="X", factory=lambda c, e: None,  # type: ignore
                             calibration_schema=schema).declaration()
    sliders = {s["key"]: s for s in declaration["calibration"]}
    assert set(sliders) == {"pulse_count", "pulse_window"}  # only numbers are sliders
    assert sliders["pulse_count"]["name"] == "Pulses" and sliders["pulse_count"]["step"] == 1
    assert sliders["pulse_window"]["unit"] == "s" and sliders["pulse_window"]["max"] == 30
