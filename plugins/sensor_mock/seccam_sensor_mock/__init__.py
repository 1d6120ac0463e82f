"""``mock``: a sensor without hardware, triggered and released over HTTP.

``POST /sensor/mock/trigger`` and ``POST /sensor/mock/release`` fire its edges while it
is the active sensor (400 otherwise). ``invert_logic`` applies to it as to any sensor.
Useful for trying seccam on a laptop and for end-to-end tests of what reacts to a sensor.
"""

from __future__ import annotations

from quart import Blueprint

from seccam_core import Emit, LiveSensor, Seccam, SensorConfig, SensorType, hookimpl


class MockSensor(LiveSensor):
    """Emits exactly what it is told, from the caller's thread."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self.closed = False

    def trigger(self) -> None:
        if not self.closed:
            self._emit("trigger")

    def release(self) -> None:
        if not self.closed:
            self._emit("release")

    @property
    def raw_value(self) -> bool | None:
        return None

    def close(self) -> None:
        self.closed = True


def build(config: SensorConfig, emit: Emit) -> MockSensor:
    """A mock sensor; it has no pin and no calibration."""
    return MockSensor(emit)


MOCK = SensorType(
    name="mock",
    label="Mock sensor",
    device_class="motion",
    factory=build,
    default_gpio=None,
    module="Software only",
    description="No hardware: POST /sensor/mock/trigger and /sensor/mock/release fire it.",
    use_case="Trying seccam without a sensor; testing what reacts to a trigger.",
    wiring_note="Nothing to wire.",
    uses_gpio=False,
)


@hookimpl
def seccam_sensor_types() -> list[SensorType]:
    """The mock sensor."""
    return [MOCK]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """The mock's trigger and release endpoints."""
    from seccam_sensor_mock.api import make_blueprint

    return [make_blueprint(seccam)]
