"""The sensor controller: every configured sensor, one recording per incident.

A live sensor calls ``emit(edge)`` from gpiozero's (or a timer's) thread; that call
crosses into asyncio in exactly one place (:meth:`SensorController._emitter`), and every
other step runs on the event loop:

* **trigger** (after the sensor's ``invert_logic``): the sensor is ``triggered``; its
  hold timer is cancelled. If the sensor is not armed in the effective arm mode (see
  :mod:`seccam_core.sensing.arming`), the trigger is *suppressed* (with the reason in
  status and ``sensor_state``) and starts nothing. Else, if an incident is open (a
  recording request of any sensor), the sensor joins it and the same recording goes on
  (``recording_request {active: true}`` again, naming every sensor so far); else an
  incident opens: ``recording_request {active: true}``.
* **release**: the sensor is no longer triggered; ``hold_seconds`` later it stops
  holding the incident open. The incident ends (``recording_request {active: false}``)
  once no sensor in it is triggered or holding.
* **disable, reconfigure, delete, shutdown** of a sensor: it leaves the incident, so a
  recording is never orphaned.

``recording_from_sensor`` follows the recorder's ``recording_state`` events only, so it
never claims a recording that is not running. Every change of a sensor's state
publishes ``sensor_state`` with its ``sensor_id``.

The first sensor of the ``Sensors`` list is the primary one: the seed's flat ``Sensor``
section mirrors it, and the seed's ``/sensor/...`` endpoints act on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seccam_core.errors import DeviceError, InvalidValue, NotKnown
from seccam_core.events import Event
from seccam_core.gpio import choose_pin_factory, current_pin_factory, pin_in_use
from seccam_core.incidents import new_incident_id
from seccam_core.runtime import Seccam
from seccam_core.sensing.config import (
    SECTION,
    SENSORS_SECTION_NAME,
    calibration_problem,
    check_sensor_list,
    flat_from_entry,
    full_calibration,
    pin_for,
    sensor_pins,
    shown_name,
)
from seccam_core.sensing.types import Edge, Emit, LiveSensor, SensorConfig, SensorType
from seccam_core.services import SENSORS, ServiceKey

log = logging.getLogger(__name__)

STATE_EVENT = "sensor_state"
REQUEST_EVENT = "recording_request"

ModeRule = Callable[[], tuple[str, str]]
"""The effective arm mode and why (``("home", "someone is at home")``)."""


class PinInUse(InvalidValue):
    """The pin asked for is held by something other than a configured sensor."""


class PinReadFailed(DeviceError):
    """Opening or reading a pin for ``/sensor/test`` failed."""


class UnknownSensor(NotKnown):
    """No sensor has this id."""


@dataclass
class SensorRunner:
    """One configured sensor: its settings entry, its live instance and its state."""

    entry: dict[str, Any]
    live: LiveSensor | None = None
    live_type: SensorType | None = None
    live_gpio: int | None = None
    generation: int = 0
    triggered: bool = False
    in_incident: bool = False
    hold: asyncio.TimerHandle | None = None
    faulted: bool = False
    error: str | None = None
    suppressed_reason: str | None = None
    last_published: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.entry["id"])

    @property
    def enabled(self) -> bool:
        return bool(self.entry.get("enabled"))

    @property
    def armed(self) -> bool:
        return self.live is not None and self.live.armed and not self.faulted

    def cancel_hold(self) -> None:
        if self.hold is not None:
            self.hold.cancel()
            self.hold = None


def presence_rule(seccam: Seccam) -> ModeRule:
    """Without an arming service: mode ``away``, ``home`` while someone is at home."""

    def rule() -> tuple[str, str]:
        if seccam.someone_home():
            return "home", "someone is at home"
        return "away", "away"

    return rule


class SensorController:
    """Runs every sensor of the ``Sensors`` section; one recording request per incident.

    Provided as the ``SENSORS`` service. Use it from the event loop. The properties
    without a sensor id (``live_sensor``, ``triggered``, ``error``...) are the primary
    sensor's, as the seed's single-sensor API knew them.
    """

    def __init__(self, seccam: Seccam) -> None:
        self._seccam = seccam
        self._bus = seccam.bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reload_lock = asyncio.Lock()
        self._runners: dict[str, SensorRunner] = {}
        self._requesting = False
        self._incident_sensors: list[str] = []
        self._removers: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.mode_rule: ModeRule = presence_rule(seccam)
        self.recording_from_sensor = False
        self.incident_id: str | None = None
        self.pin_factory_name = ""

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Choose the pin factory, follow the bus, start the configured sensors."""
        self._loop = asyncio.get_running_loop()
        self.pin_factory_name = await asyncio.to_thread(choose_pin_factory)
        self._removers.append(self._bus.add_listener(self._on_bus_event))
        await self._sync_primary_mirror()
        await self.reload()

    async def stop(self) -> None:
        """End any recording request and release every pin."""
        for remove in self._removers:
            remove()
        self._removers.clear()
        for task in list(self._tasks):
            task.cancel()
        async with self._reload_lock:
            self._end_request("the sensors stopped")
            for runner in list(self._runners.values()):
                await self._close(runner)
                self._publish_state(runner)

    def entries(self) -> list[dict[str, Any]]:
        """The stored ``Sensors`` list."""
        return list(self._seccam.settings.get(SENSORS_SECTION_NAME).get("sensors") or [])

    async def reload(self) -> None:
        """Bring the running sensors in line with the ``Sensors`` section.

        A sensor whose entry did not change is left alone (its recording goes on); a
        changed one is restarted; a removed one is stopped.
        """
        async with self._reload_lock:
            entries = {str(entry["id"]): entry for entry in self.entries()}
            for sensor_id, old in list(self._runners.items()):
                if entries.get(sensor_id) != old.entry:
                    await self._close(old)
                    if sensor_id not in entries:
                        del self._runners[sensor_id]
                        self._publish_state(old, removed=True)
            runners: dict[str, SensorRunner] = {}
            for sensor_id, entry in entries.items():
                runner = self._runners.get(sensor_id)
                if runner is None or runner.entry != entry:
                    runner = SensorRunner(entry=entry) if runner is None else runner
                    runner.entry, runner.error = entry, None
                    if runner.enabled:
                        await self._open(runner)
                runners[sensor_id] = runner
            self._runners = runners
            self._end_request_if_idle("a sensor stopped")
            for runner in runners.values():
                self._publish_state(runner)

    async def save_entries(self, entries: list[dict[str, Any]]) -> None:
        """Validate and store a new ``Sensors`` list (and the primary's mirror); restart.

        Raises :class:`InvalidValue` (a 400 naming the field) and then nothing is stored.
        """
        check_sensor_list(entries, self._seccam.sensor_types)
        for entry in entries:
            await self.check_pin_free(pin_for_entry(self._seccam, entry), entry["id"])
        # The list first: a crash before the mirror is written is repaired at start.
        await self._seccam.settings.save(SENSORS_SECTION_NAME, {"sensors": entries})
        await self._sync_primary_mirror()
        await self.reload()

    async def apply(self, changes: Mapping[str, Any], sensor_id: str | None = None) -> None:
        """Change fields of one sensor (the primary by default), store and restart it.

        Nothing changed and the sensor running well (enabling an enabled sensor): it is
        left alone, so a recording it asked for goes on. After an error it is retried.
        """
        entries = self.entries()
        index = self._index_of(entries, sensor_id)
        entries[index] = {**entries[index], **changes}
        runner = self._runners.get(str(entries[index]["id"]))
        retry = runner is not None and runner.error is not None
        if entries == self.entries() and not retry:
            return
        if retry and runner is not None:
            await self._restart(runner)
        await self.save_entries(entries)

    async def set_enabled(self, sensor_id: str, enabled: bool) -> None:
        """Start or stop one sensor (:class:`UnknownSensor` for an unknown id)."""
        self.require(sensor_id)
        await self.apply({"enabled": enabled}, sensor_id)

    async def _restart(self, runner: SensorRunner) -> None:
        async with self._reload_lock:
            await self._close(runner)
            runner.error = None
            if runner.enabled:
                await self._open(runner)

    def _index_of(self, entries: list[dict[str, Any]], sensor_id: str | None) -> int:
        if sensor_id is None:
            return 0
        for index, entry in enumerate(entries):
            if entry["id"] == sensor_id:
                return index
        raise UnknownSensor(f"sensor_id: no sensor {sensor_id!r}", sensor_id=sensor_id)

    async def _sync_primary_mirror(self) -> None:
        """Keep the flat ``Sensor`` section equal to the primary sensor (both ways).

        The list wins at start and after a ``Sensors`` change; a ``Sensor`` written by
        an old client (``POST /settings``) is copied into the primary sensor.
        """
        entries = self.entries()
        flat = self._seccam.settings.get(SECTION)
        if entries and flat != flat_from_entry(entries[0]):
            await self._seccam.settings.save(SECTION, flat_from_entry(entries[0]))

    async def _take_in_flat_section(self) -> None:
        entries = self.entries()
        flat = self._seccam.settings.get(SECTION)
        if entries and flat != flat_from_entry(entries[0]):
            entries[0] = {**entries[0], **flat}
            await self._seccam.settings.save(SENSORS_SECTION_NAME, {"sensors": entries})
        await self.reload()

    async def _open(self, runner: SensorRunner) -> None:
        entry = runner.entry
        sensor_type = self._seccam.sensor_types.get(entry["type"])
        if sensor_type is None:
            known = ", ".join(sorted(self._seccam.sensor_types)) or "none"
            self._fail(runner, f"unknown sensor type {entry['type']!r} (installed: {known})")
            return
        calibration = full_calibration(sensor_type, entry.get("calibration") or {})
        problem = calibration_problem(sensor_type, calibration)
        gpio = pin_for(sensor_type, entry.get("gpio"))
        if problem is None and sensor_type.uses_gpio and gpio is None:
            problem = f"gpio: the {sensor_type.name} sensor needs a pin"
        if problem is not None:
            self._fail(runner, f"{sensor_type.name} not started: {problem}")
            return
        factory = current_pin_factory() if sensor_type.uses_gpio else None
        config = SensorConfig(gpio=gpio, calibration=calibration, pin_factory=factory)
        runner.generation += 1
        emit = self._emitter(runner, runner.generation)
        try:
            live = await asyncio.to_thread(sensor_type.factory, config, emit)
        except Exception as exc:
            where = f" on GPIO{gpio}" if gpio is not None else ""
            self._fail(runner, f"{sensor_type.name}{where} failed to start: "
                               f"{type(exc).__name__}: {exc}")
            return
        runner.live, runner.live_type, runner.live_gpio = live, sensor_type, gpio
        runner.faulted = False
        log.info("sensor %s (%s) started%s", runner.id, sensor_type.name,
                 f" on GPIO{gpio}" if gpio is not None else "")

    async def _close(self, runner: SensorRunner) -> None:
        runner.cancel_hold()
        runner.triggered = False
        runner.suppressed_reason = None
        runner.in_incident = False
        runner.generation += 1  # edges still in flight from the old sensor are dropped
        live, runner.live = runner.live, None
        runner.live_type, runner.live_gpio = None, None
        if live is not None:
            try:
                await asyncio.to_thread(live.close)
            except Exception:
                log.exception("closing the sensor %s failed", runner.id)

    def _fail(self, runner: SensorRunner, message: str) -> None:
        runner.error = message
        log.error("sensor %s: %s", runner.id, message)

    # --- edges: the one crossing from gpiozero's threads --------------------------------

    def _emitter(self, runner: SensorRunner, generation: int) -> Emit:
        loop = self._loop
        assert loop is not None

        def emit(edge: Edge, detail: str = "") -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
                loop.call_soon_threadsafe(self._on_edge, runner, generation, edge, detail)

        return emit

    def _on_edge(self, runner: SensorRunner, generation: int, edge: Edge,
                 detail: str = "") -> None:
        if generation != runner.generation or self._runners.get(runner.id) is not runner:
            return
        if edge == "ready":
            runner.faulted = False
        elif edge == "error":
            runner.faulted = True
            self._fail(runner, detail or "the sensor reported an error")
        else:
            if runner.entry.get("invert_logic"):
                edge = "release" if edge == "trigger" else "trigger"
            if edge == "trigger":
                self._on_trigger(runner)
            else:
                self._on_release(runner)
        self._publish_state(runner)

    def _on_trigger(self, runner: SensorRunner) -> None:
        if runner.triggered:
            return
        runner.triggered = True
        runner.cancel_hold()
        if runner.in_incident:
            return  # a re-trigger inside its hold: the same recording goes on
        if not self._requesting:
            self.incident_id = new_incident_id()
        reason = self.suppression(runner)
        runner.suppressed_reason = reason
        if reason is not None:
            log.info("sensor %s trigger suppressed: %s", runner.id, reason)
            return
        runner.in_incident = True
        if runner.id not in self._incident_sensors:
            self._incident_sensors.append(runner.id)
        joining = self._requesting
        self._requesting = True
        log.info("sensor %s triggered: %s", runner.id,
                 "the recording goes on" if joining else "requesting a recording")
        self._bus.publish(REQUEST_EVENT, self._request_payload(True, runner))

    def _on_release(self, runner: SensorRunner) -> None:
        if not runner.triggered:
            return
        runner.triggered = False
        runner.suppressed_reason = None
        if not self._requesting and not any(r.triggered for r in self._runners.values()):
            self.incident_id = None  # a suppressed trigger's incident ends at its release
        if not runner.in_incident:
            return
        hold = float(runner.entry.get("hold_seconds", 0))
        if hold <= 0:
            self._leave_incident(runner, "released")
            return
        assert self._loop is not None
        runner.hold = self._loop.call_later(hold, self._hold_expired, runner, runner.generation)

    def _hold_expired(self, runner: SensorRunner, generation: int) -> None:
        runner.hold = None
        if generation == runner.generation and not runner.triggered:
            self._leave_incident(runner, f"{runner.entry.get('hold_seconds')} s after the release")
            self._publish_state(runner)

    def _leave_incident(self, runner: SensorRunner, why: str) -> None:
        runner.in_incident = False
        self._end_request_if_idle(f"sensor {runner.id}: {why}")

    def _end_request_if_idle(self, why: str) -> None:
        if not any(r.in_incident for r in self._runners.values()):
            self._end_request(why)

    def _end_request(self, why: str) -> None:
        if not self._requesting:
            return
        self._requesting = False
        for runner in self._runners.values():
            runner.in_incident = False
            runner.cancel_hold()
        log.info("sensor recording request ended: %s", why)
        self._bus.publish(REQUEST_EVENT, self._request_payload(False))
        self._incident_sensors = []
        self.incident_id = None

    def _request_payload(self, active: bool, runner: SensorRunner | None = None
                         ) -> dict[str, Any]:
        first = self._runners.get(self._incident_sensors[0]) if self._incident_sensors else None
        by = runner or first
        return {"source": "sensor", "active": active,
                "sensor_type": by.entry.get("type") if by is not None else None,
                "sensor_id": by.id if by is not None else None,
                "sensor_name": self.shown_name(by) if by is not None else None,
                "sensors": list(self._incident_sensors), "incident_id": self.incident_id}

    def suppression(self, runner: SensorRunner) -> str | None:
        """Why a trigger of this sensor now starts nothing, or ``None`` when it would."""
        mode, why = self.mode_rule()
        modes = runner.entry.get("modes") or []
        if mode in modes:
            return None
        detail = f" ({why})" if why and why != mode else ""
        return (f"mode {mode}{detail}: sensor {runner.id} records only in "
                f"{', '.join(modes) or 'no mode'}")

    # --- what others publish ------------------------------------------------------------

    def _on_bus_event(self, event: Event) -> None:
        if event.type == "recording_state":
            self._on_recording_state(event.data)
        elif event.type in ("presence_state", "arming_state"):
            self.publish_all()
        elif event.type == "settings_changed":
            sections = event.data.get("sections", ())
            if SENSORS_SECTION_NAME in sections:
                self._spawn(self._sync_then_reload())
            elif SECTION in sections:
                self._spawn(self._take_in_flat_section())

    async def _sync_then_reload(self) -> None:
        await self._sync_primary_mirror()
        await self.reload()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
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
            self._incident_sensors = []
            for runner in self._runners.values():
                runner.in_incident = False
                runner.cancel_hold()
        self.recording_from_sensor = from_sensor
        self.publish_all()

    # --- state ------------------------------------------------------------------------

    def runner(self, sensor_id: str | None = None) -> SensorRunner | None:
        """The runner of a sensor (the primary's by default); ``None`` if there is none."""
        if sensor_id is None:
            return next(iter(self._runners.values()), None)
        return self._runners.get(sensor_id)

    def require(self, sensor_id: str) -> SensorRunner:
        """The runner of a sensor, or :class:`UnknownSensor` (a 404)."""
        runner = self._runners.get(sensor_id)
        if runner is None:
            raise UnknownSensor(f"no sensor {sensor_id!r}", sensor_id=sensor_id)
        return runner

    @property
    def runners(self) -> list[SensorRunner]:
        return list(self._runners.values())

    def live_sensor_of(self, sensor_id: str | None) -> LiveSensor | None:
        """A sensor's running instance (the primary's by default)."""
        runner = self.runner(sensor_id)
        return runner.live if runner is not None else None

    @property
    def live_sensor(self) -> LiveSensor | None:
        """The primary sensor's running instance (``None`` when disabled or failed)."""
        return self.live_sensor_of(None)

    @property
    def live_type(self) -> SensorType | None:
        runner = self.runner()
        return runner.live_type if runner is not None else None

    @property
    def live_gpio(self) -> int | None:
        runner = self.runner()
        return runner.live_gpio if runner is not None else None

    @property
    def enabled(self) -> bool:
        runner = self.runner()
        return runner is not None and runner.enabled

    @property
    def armed(self) -> bool:
        runner = self.runner()
        return runner is not None and runner.armed

    @property
    def triggered(self) -> bool:
        runner = self.runner()
        return runner is not None and runner.triggered

    @property
    def error(self) -> str | None:
        runner = self.runner()
        return runner.error if runner is not None else None

    @property
    def suppressed(self) -> bool:
        """Whether a trigger of the primary sensor now would be suppressed."""
        runner = self.runner()
        return runner is not None and self._suppressed(runner)

    def _suppressed(self, runner: SensorRunner) -> bool:
        return runner.armed and self.suppression(runner) is not None

    def shown_name(self, runner: SensorRunner) -> str:
        """The sensor's name as messages and the history show it (see ``shown_name``)."""
        return shown_name(runner.entry, self._seccam.sensor_types)

    def state_payload(self, runner: SensorRunner | None = None) -> dict[str, Any]:
        """The data of a ``sensor_state`` event (the primary's by default)."""
        runner = runner or self.runner()
        if runner is None:
            return {}
        entry = runner.entry
        return {
            "sensor_id": runner.id,
            "name": self.shown_name(runner),
            "enabled": runner.enabled,
            "armed": runner.armed,
            "triggered": runner.triggered,
            "suppressed": self._suppressed(runner),
            "suppressed_reason": runner.suppressed_reason,
            "recording_from_sensor": self.recording_from_sensor,
            "type": entry.get("type"),
            "gpio": runner.live_gpio if runner.live is not None else entry.get("gpio"),
            "error": runner.error,
            "incident_id": self.incident_id,
        }

    def sensor_status(self, runner: SensorRunner) -> dict[str, Any]:
        """One entry of ``GET /sensors`` and of ``sensors`` in ``GET /sensor/status``."""
        live_type = runner.live_type
        live = None
        if runner.live is not None and live_type is not None:
            live = {"type": live_type.name, "name": live_type.label,
                    "gpio": runner.live_gpio, "running": True}
        measurement = runner.live.measurement if runner.live is not None else None
        return {
            **runner.entry,
            "armed": runner.armed,
            "triggered": runner.triggered,
            "suppressed": self._suppressed(runner),
            "suppressed_reason": runner.suppressed_reason,
            "in_incident": runner.in_incident,
            "sensor": live,
            "measurement": dict(measurement) if measurement is not None else None,
            "error": runner.error,
        }

    def status(self) -> dict[str, Any]:
        """``GET /sensor/status``: the primary's flags, hold, config and live sensor,
        plus every sensor in ``sensors``."""
        primary = self.runner()
        sensor = None
        if primary is not None and primary.live is not None and primary.live_type is not None:
            sensor = {"type": primary.live_type.name, "name": primary.live_type.label,
                      "gpio": primary.live_gpio, "running": True}
        return {
            "enabled": self.enabled,
            "armed": self.armed,
            "triggered": self.triggered,
            "suppressed": self.suppressed,
            "recording_from_sensor": self.recording_from_sensor,
            "hold_seconds": primary.entry.get("hold_seconds") if primary is not None else None,
            "config": self._seccam.settings.snapshot(SECTION),
            "sensor": sensor,
            "error": self.error,
            "sensors": [self.sensor_status(runner) for runner in self._runners.values()],
        }

    def publish_all(self) -> None:
        """Publish ``sensor_state`` for every sensor whose state changed."""
        for runner in list(self._runners.values()):
            self._publish_state(runner)

    def _publish_state(self, runner: SensorRunner, *, removed: bool = False) -> None:
        payload = self.state_payload(runner)
        if removed:
            payload = {**payload, "removed": True, "enabled": False, "armed": False}
        if payload != runner.last_published:
            runner.last_published = payload
            self._bus.publish(STATE_EVENT, payload)

    # --- pins -------------------------------------------------------------------------

    async def check_pin_free(self, gpio: int | None, sensor_id: str | None = None) -> None:
        """:class:`PinInUse` when something other than our sensors holds the pin."""
        if gpio is None:
            return
        if any(r.live is not None and gpio == r.live_gpio for r in self._runners.values()):
            return  # one of ours: the list check decides whether two sensors share it
        holder = await asyncio.to_thread(pin_in_use, gpio)
        if holder is not None:
            raise PinInUse(f"gpio: GPIO{gpio} is already used by something else ({holder})")

    async def read_pin(self, sensor_type: SensorType, gpio: int) -> tuple[bool | None, str]:
        """The raw level of ``gpio`` and where it came from, without disturbing a sensor.

        A running sensor's own reading when one is on that pin; otherwise a throw-away
        instance of ``sensor_type`` opens the pin briefly.
        """
        for runner in self._runners.values():
            if runner.live is not None and gpio == runner.live_gpio:
                return runner.live.raw_value, "active_sensor"
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


def pin_for_entry(seccam: Seccam, entry: Mapping[str, Any]) -> int | None:
    """The main pin an entry will use (``None`` for an unknown or pinless type)."""
    sensor_type = seccam.sensor_types.get(str(entry.get("type")))
    if sensor_type is None:
        return None
    return sensor_pins(sensor_type, entry).get("gpio")


def _ignore_edge(edge: Edge, detail: str = "") -> None:
    """The emit of a throw-away probe: its edges go nowhere."""


SENSOR_CONTROLLER: ServiceKey[SensorController] = ServiceKey(SENSORS.name, SENSORS.provider)
"""The ``SENSORS`` slot seen with its concrete type, for the core's own endpoints."""
