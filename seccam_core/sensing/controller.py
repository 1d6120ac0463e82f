"""The sensor controller: one active sensor, its state machine and its hold timer.

A live sensor calls ``emit(edge)`` from gpiozero's (or a timer's) thread; that call
crosses into asyncio in exactly one place (:meth:`SensorController._emitter`), and every
other step runs on the event loop:

* **trigger** (after ``invert_logic``): ``triggered``; the hold timer is cancelled. If a
  sensor recording request is already open, it simply goes on (a re-trigger inside the
  hold extends it). Else, if a presence source sees someone at home, the trigger is
  *suppressed* and starts nothing. Else ``recording_request {active: true}``.
* **release**: not ``triggered``; if a request is open, it ends ``hold_seconds`` later
  (``recording_request {active: false}``) unless a new trigger comes first.
* **disable, reconfigure, shutdown**: an open request is ended first, so a recording is
  never orphaned.

``recording_from_sensor`` follows the recorder's ``recording_state`` events only, so it
never claims a recording that is not running. Every change of the state publishes
``sensor_state``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from seccam_core.errors import DeviceError, InvalidValue
from seccam_core.events import Event
from seccam_core.gpio import choose_pin_factory, current_pin_factory, pin_in_use
from seccam_core.incidents import new_incident_id
from seccam_core.runtime import Seccam
from seccam_core.sensing.config import (
    SECTION,
    calibration_problem,
    full_calibration,
    pin_for,
)
from seccam_core.sensing.types import Edge, Emit, LiveSensor, SensorConfig, SensorType
from seccam_core.services import SENSORS, ServiceKey

log = logging.getLogger(__name__)

STATE_EVENT = "sensor_state"
REQUEST_EVENT = "recording_request"


class PinInUse(InvalidValue):
    """The pin asked for is held by something other than the active sensor."""


class PinReadFailed(DeviceError):
    """Opening or reading a pin for ``/sensor/test`` failed."""


class SensorController:
    """Turns the active sensor's edges into ``sensor_state`` events and recording requests.

    Provided as the ``SENSORS`` service. Use it from the event loop.
    """

    def __init__(self, seccam: Seccam) -> None:
        self._seccam = seccam
        self._bus = seccam.bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reload_lock = asyncio.Lock()
        self._applied: dict[str, Any] = {}
        self._live: LiveSensor | None = None
        self._live_type: SensorType | None = None
        self._live_gpio: int | None = None
        self._generation = 0
        self._requesting = False
        self._hold: asyncio.TimerHandle | None = None
        self._faulted = False
        self._last_published: dict[str, Any] | None = None
        self._removers: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.triggered = False
        self.recording_from_sensor = False
        self.incident_id: str | None = None
        self.error: str | None = None
        self.pin_factory_name = ""

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Choose the pin factory, follow the bus, start the configured sensor."""
        self._loop = asyncio.get_running_loop()
        self.pin_factory_name = await asyncio.to_thread(choose_pin_factory)
        self._removers.append(self._bus.add_listener(self._on_bus_event))
        await self.reload()

    async def stop(self) -> None:
        """End any recording request and release the pin."""
        for remove in self._removers:
            remove()
        self._removers.clear()
        for task in list(self._tasks):
            task.cancel()
        async with self._reload_lock:
            await self._close()
            self._publish_state()

    async def reload(self, *, only_if_stale: bool = False) -> None:
        """(Re)start the sensor from the ``Sensor`` settings section.

        ``only_if_stale``: leave a sensor alone that already runs with these settings
        (a ``settings_changed`` that :meth:`apply` announced before it reloaded).
        """
        async with self._reload_lock:
            section = self._seccam.settings.get(SECTION)
            if only_if_stale and section == self._applied:
                return
            await self._close()
            self._applied = section
            self.error = None
            if section.get("enabled"):
                await self._open(section)
            self._publish_state()

    async def apply(self, changes: dict[str, Any]) -> None:
        """Write ``changes`` into the ``Sensor`` section (validated, atomic) and restart.

        Nothing changed and the sensor running well (enabling an enabled sensor): it is
        left alone, so a recording it asked for goes on. After an error it is retried.
        """
        changed = await self._seccam.settings.save(SECTION, changes)
        if changed or self.error is not None or self._applied != self._seccam.settings.get(SECTION):
            await self.reload()

    async def _open(self, section: dict[str, Any]) -> None:
        sensor_type = self._seccam.sensor_types.get(section["type"])
        if sensor_type is None:
            known = ", ".join(sorted(self._seccam.sensor_types)) or "none"
            self._fail(f"unknown sensor type {section['type']!r} (installed: {known})")
            return
        calibration = full_calibration(sensor_type, section.get("calibration") or {})
        problem = calibration_problem(sensor_type, calibration)
        gpio = pin_for(sensor_type, section.get("gpio"))
        if problem is None and sensor_type.uses_gpio and gpio is None:
            problem = f"gpio: the {sensor_type.name} sensor needs a pin"
        if problem is not None:
            self._fail(f"{sensor_type.name} not started: {problem}")
            return
        factory = current_pin_factory() if sensor_type.uses_gpio else None
        config = SensorConfig(gpio=gpio, calibration=calibration, pin_factory=factory)
        self._generation += 1
        emit = self._emitter(self._generation)
        try:
            live = await asyncio.to_thread(sensor_type.factory, config, emit)
        except Exception as exc:
            where = f" on GPIO{gpio}" if gpio is not None else ""
            self._fail(f"{sensor_type.name}{where} failed to start: {type(exc).__name__}: {exc}")
            return
        self._live, self._live_type, self._live_gpio = live, sensor_type, gpio
        self._faulted = False
        log.info("sensor %s started%s", sensor_type.name,
                 f" on GPIO{gpio}" if gpio is not None else "")

    async def _close(self) -> None:
        self._end_request("the sensor stopped")
        self._cancel_hold()
        self.triggered = False
        self._generation += 1  # edges still in flight from the old sensor are dropped
        live, self._live = self._live, None
        self._live_type, self._live_gpio = None, None
        if live is not None:
            try:
                await asyncio.to_thread(live.close)
            except Exception:
                log.exception("closing the sensor failed")

    def _fail(self, message: str) -> None:
        self.error = message
        log.error("sensor: %s", message)

    # --- edges: the one crossing from gpiozero's threads --------------------------------

    def _emitter(self, generation: int) -> Emit:
        loop = self._loop
        assert loop is not None

        def emit(edge: Edge, detail: str = "") -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
                loop.call_soon_threadsafe(self._on_edge, generation, edge, detail)

        return emit

    def _on_edge(self, generation: int, edge: Edge, detail: str = "") -> None:
        if generation != self._generation:
            return
        if edge == "ready":
            self._faulted = False
        elif edge == "error":
            self._faulted = True
            self._fail(detail or "the sensor reported an error")
        else:
            if self._applied.get("invert_logic"):
                edge = "release" if edge == "trigger" else "trigger"
            if edge == "trigger":
                self._on_trigger()
            else:
                self._on_release()
        self._publish_state()

    def _on_trigger(self) -> None:
        if self.triggered:
            return
        self.triggered = True
        self._cancel_hold()
        if self._requesting:
            return  # a re-trigger inside the hold: the same recording (and incident) goes on
        self.incident_id = new_incident_id()
        if self._seccam.someone_home():
            log.info("sensor trigger suppressed: someone is at home")
            return
        self._requesting = True
        log.info("sensor triggered: requesting a recording")
        self._bus.publish(REQUEST_EVENT, self._request_payload(True))

    def _on_release(self) -> None:
        if not self.triggered:
            return
        self.triggered = False
        if not self._requesting:
            self.incident_id = None  # a suppressed trigger's incident ends at its release
            return
        hold = float(self._applied.get("hold_seconds", 0))
        if hold <= 0:
            self._end_request("released")
            return
        assert self._loop is not None
        self._hold = self._loop.call_later(hold, self._hold_expired, self._generation)

    def _hold_expired(self, generation: int) -> None:
        self._hold = None
        if generation == self._generation and not self.triggered:
            self._end_request(f"{self._applied.get('hold_seconds')} s after the release")
            self._publish_state()

    def _cancel_hold(self) -> None:
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None

    def _end_request(self, why: str) -> None:
        if not self._requesting:
            return
        self._requesting = False
        log.info("sensor recording request ended: %s", why)
        self._bus.publish(REQUEST_EVENT, self._request_payload(False))
        self.incident_id = None

    def _request_payload(self, active: bool) -> dict[str, Any]:
        return {"source": "sensor", "active": active, "sensor_type": self._applied.get("type"),
                "incident_id": self.incident_id}

    # --- what others publish ------------------------------------------------------------

    def _on_bus_event(self, event: Event) -> None:
        if event.type == "recording_state":
            self._on_recording_state(event.data)
        elif event.type == "presence_state":
            self._publish_state()
        elif (event.type == "settings_changed"
              and SECTION in event.data.get("sections", ())
              and self._seccam.settings.get(SECTION) != self._applied):
            task = asyncio.ensure_future(self.reload(only_if_stale=True))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_recording_state(self, data: dict[str, Any]) -> None:
        from_sensor = bool(data.get("recording")) and data.get("reason") == "sensor"
        could_not_start = data.get("reason") == "sensor" and bool(data.get("error"))
        ended_without_us = (self.recording_from_sensor or could_not_start) and not from_sensor
        if ended_without_us and self._requesting:
            # Our recording ended without us (stopped by hand, crashed) or could not
            # start (camera down): forget the request, so the next trigger asks again.
            self._requesting = False
            self._cancel_hold()
        self.recording_from_sensor = from_sensor
        self._publish_state()

    # --- state ------------------------------------------------------------------------

    @property
    def live_sensor(self) -> LiveSensor | None:
        """The running sensor instance (``None`` when disabled or failed)."""
        return self._live

    @property
    def live_type(self) -> SensorType | None:
        return self._live_type

    @property
    def live_gpio(self) -> int | None:
        return self._live_gpio

    @property
    def enabled(self) -> bool:
        return bool(self._applied.get("enabled"))

    @property
    def armed(self) -> bool:
        return self._live is not None and self._live.armed and not self._faulted

    @property
    def suppressed(self) -> bool:
        """Whether a trigger now would be suppressed: armed, and someone is at home."""
        return self.armed and self._seccam.someone_home()

    def state_payload(self) -> dict[str, Any]:
        """The data of a ``sensor_state`` event."""
        return {
            "enabled": self.enabled,
            "armed": self.armed,
            "triggered": self.triggered,
            "suppressed": self.suppressed,
            "recording_from_sensor": self.recording_from_sensor,
            "type": self._applied.get("type"),
            "gpio": self._live_gpio if self._live is not None else self._applied.get("gpio"),
            "error": self.error,
            "incident_id": self.incident_id,
        }

    def status(self) -> dict[str, Any]:
        """``GET /sensor/status``: the flags, the hold, the stored config, the live sensor."""
        live_type = self._live_type
        sensor = None
        if self._live is not None and live_type is not None:
            sensor = {"type": live_type.name, "name": live_type.label,
                      "gpio": self._live_gpio, "running": True}
        return {
            "enabled": self.enabled,
            "armed": self.armed,
            "triggered": self.triggered,
            "suppressed": self.suppressed,
            "recording_from_sensor": self.recording_from_sensor,
            "hold_seconds": self._applied.get("hold_seconds"),
            "config": self._seccam.settings.snapshot(SECTION),
            "sensor": sensor,
            "error": self.error,
        }

    def _publish_state(self) -> None:
        payload = self.state_payload()
        if payload != self._last_published:
            self._last_published = payload
            self._bus.publish(STATE_EVENT, payload)

    # --- pins -------------------------------------------------------------------------

    async def check_pin_free(self, gpio: int | None) -> None:
        """:class:`PinInUse` when something other than the active sensor holds the pin."""
        if gpio is None or (self._live is not None and gpio == self._live_gpio):
            return
        holder = await asyncio.to_thread(pin_in_use, gpio)
        if holder is not None:
            raise PinInUse(f"gpio: GPIO{gpio} is already used by something else ({holder})")

    async def read_pin(self, sensor_type: SensorType, gpio: int) -> tuple[bool | None, str]:
        """The raw level of ``gpio`` and where it came from, without disturbing the sensor.

        The active sensor's own reading when it is on that pin; otherwise a throw-away
        instance of ``sensor_type`` opens the pin briefly.
        """
        live = self._live
        if live is not None and gpio == self._live_gpio:
            return live.raw_value, "active_sensor"
        await self.check_pin_free(gpio)
        calibration = full_calibration(sensor_type, {})
        config = SensorConfig(gpio=gpio, calibration=calibration,
                              pin_factory=current_pin_factory())

        def probe() -> bool | None:
            instance = sensor_type.factory(config, _ignore_edge)
            try:
                return instance.raw_value
            finally:
                instance.close()

        try:
            return await asyncio.to_thread(probe), "probe"
        except Exception as exc:
            raise PinReadFailed(f"reading GPIO{gpio} failed: {type(exc).__name__}: {exc}",
                                gpio=gpio, type=sensor_type.name) from None


def _ignore_edge(edge: Edge, detail: str = "") -> None:
    """The emit of a throw-away probe: its edges go nowhere."""


SENSOR_CONTROLLER: ServiceKey[SensorController] = ServiceKey(SENSORS.name, SENSORS.provider)
"""The ``SENSORS`` slot seen with its concrete type, for the core's own endpoints."""
