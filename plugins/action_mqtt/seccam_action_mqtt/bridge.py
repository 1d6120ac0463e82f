"""The bridge: one camera's state on an MQTT broker, and the broker's commands to it.

State is kept here as the retained payload of each state topic; the broker gets a change
through a bounded outgoing queue, so the event bus never waits for the broker. When the
queue is full the oldest waiting message is dropped and counted (``overflow``); on every
(re)connect the discovery payload and every current state are sent again anyway, so a
dropped state is only late. Commands arrive on ``.../set`` topics; one found retained on
subscribe is ignored and counted (an old command must never start a recording).

Sensors are the ``Sensors`` settings list (one binary_sensor and one enabled switch
each, by sensor id); their states come from ``sensor_state`` events. The arm mode is
an alarm panel: ``arming_state`` sets its state, an open incident of an armed sensor
shows it ``triggered``, and its command topic sets the mode by hand.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seccam_action_mqtt.discovery import (
    ALARM_COMMANDS,
    ALARM_STATES,
    SensorInfo,
    Topics,
    device_payload,
)
from seccam_action_mqtt.link import BrokerAddress, Incoming, LinkError, Session, connect
from seccam_action_mqtt.settings import SECTION, address_of, device_name_of, topics_of
from seccam_core import ARMING, SNAPSHOTS, AlertLevel, Backoff, Event, NotKnown, Seccam

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
HEALTH_INTERVAL = 30.0
STOP_TIMEOUT = 3.0
RECONNECT = Backoff(base=0.5, factor=2.0, cap=4.0)
ON, OFF = b"ON", b"OFF"
SENSORS_SECTION = "Sensors"


def on_off(value: Any) -> bytes:
    return ON if value else OFF


class Bridge:
    """Keeps one connection to the broker, with reconnects, while the section is enabled."""

    def __init__(self, seccam: Seccam, *, queue_size: int = QUEUE_SIZE,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.seccam = seccam
        self.queue_size = queue_size
        self.sleep = sleep
        self.retained: dict[str, bytes] = {}
        self.pending: collections.deque[tuple[str, bytes | None, bool]] = collections.deque()
        self._queued_states: set[str] = set()
        self.counters = dict.fromkeys(
            ("messages_sent", "overflow", "connects", "commands", "ignored_retained"), 0)
        self.connected = False
        self.last_error: str | None = None
        self.sensors: list[SensorInfo] = []
        self.arm_mode: str | None = None
        self.open_incidents: set[str] = set()
        self._announced: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._connected_event = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._health_task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[Any]] = set()
        self._command_lock = asyncio.Lock()
        self._clear_on_stop = False
        self.settings: dict[str, Any] = {}
        self.topics: Topics | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def status(self) -> dict[str, Any]:
        """What ``GET /actions`` shows as the mqtt action's ``details``."""
        return {"connected": self.connected, "last_error": self.last_error,
                "queued": len(self.pending), **self.counters}

    async def start(self) -> None:
        """Connect (and keep reconnecting) with the ``Mqtt`` section's settings."""
        if self.running:
            return
        self.settings = self.seccam.settings.get(SECTION)
        self.topics = topics_of(self.settings)
        self._stop.clear()
        self._clear_on_stop = False
        self._read_current_state()
        self._task = asyncio.create_task(self._run(address_of(self.settings)), name="mqtt")
        self._health_task = asyncio.create_task(self._poll_health(), name="mqtt-health")

    async def stop(self, *, clear: bool = False) -> None:
        """Say ``offline`` and disconnect; ``clear`` also removes the Home Assistant device."""
        if not self.running:
            return
        self._clear_on_stop = clear
        self._stop.set()
        self._wake.set()
        assert self._task is not None
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT * 2)
        except Exception as exc:  # stopping goes on: the task is cancelled below
            log.warning("mqtt: the connection did not close cleanly: %s",
                        self._redact(str(exc) or type(exc).__name__))
        for task in (self._task, self._health_task, *self._jobs):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._task, self._health_task, *self._jobs)
                               if t is not None), return_exceptions=True)
        self._task = self._health_task = None
        self.connected = False
        self.pending.clear()
        self._queued_states.clear()

    async def restart(self) -> None:
        """Apply changed settings: the old device is removed if its topics changed."""
        old = self.topics
        new = topics_of(self.seccam.settings.get(SECTION))
        await self.stop(clear=old != new)
        await self.start()

    async def wait_connected(self, timeout: float) -> bool:
        """True once connected (tests and the benchmark)."""
        try:
            await asyncio.wait_for(self._connected_event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # --- the outgoing queue -----------------------------------------------------------------

    def _enqueue(self, entry: tuple[str, bytes | None, bool]) -> None:
        # States need no bound: one entry per topic at most, its value read when sent.
        if entry[1] is not None and len(self.pending) - len(self._queued_states) >= self.queue_size:
            oldest = next(i for i, queued in enumerate(self.pending) if queued[1] is not None)
            topic = self.pending[oldest][0]
            del self.pending[oldest]
            self.counters["overflow"] += 1
            log.warning("mqtt: %d messages waiting for the broker; dropped the oldest (%s)",
                        self.queue_size, topic)
        self.pending.append(entry)
        self._wake.set()

    def set_state(self, topic: str, payload: bytes) -> bool:
        """Make ``payload`` the retained state of ``topic``; queued only if it changed."""
        if self.retained.get(topic) == payload:
            return False
        self.retained[topic] = payload
        if topic not in self._queued_states:
            self._queued_states.add(topic)
            self._enqueue((topic, None, True))
        return True

    def clear_state(self, topic: str) -> None:
        """Remove a retained state from the broker (an empty retained message)."""
        if self.retained.pop(topic, None) is not None and topic not in self._queued_states:
            self._queued_states.add(topic)
            self._enqueue((topic, None, True))

    def push(self, topic: str, payload: bytes) -> None:
        """Queue a message that is not retained (an incident)."""
        self._enqueue((topic, payload, False))

    def _discovery(self) -> bytes:
        assert self.topics is not None
        removed = {key: platform for key, platform in self._announced.items()}
        payload = device_payload(self.topics, device_name_of(self.settings), self.sensors)
        for key in payload["components"]:
            removed.pop(key, None)
        if removed:
            payload = device_payload(self.topics, device_name_of(self.settings), self.sensors,
                                     removed=removed)
        self._announced = {key: c["platform"] for key, c in payload["components"].items()
                           if len(c) > 1}
        return json.dumps(payload, ensure_ascii=False).encode()

    def announce(self) -> None:
        """Queue the discovery payload and every state again (Home Assistant restarted)."""
        assert self.topics is not None
        self.retained[self.topics.discovery] = self._discovery()
        states = [(self.topics.discovery, None, True)] + [
            (topic, None, True) for topic in self.retained if topic != self.topics.discovery]
        others = [entry for entry in self.pending if entry[1] is not None]
        self.pending.clear()
        self._queued_states = {topic for topic, _, _ in states}
        for entry in states + others:
            self._enqueue(entry)

    # --- the connection -----------------------------------------------------------------

    async def _run(self, address: BrokerAddress) -> None:
        assert self.topics is not None
        topics = self.topics
        failures = 0
        while not self._stop.is_set():
            try:
                async with connect(address, will_topic=topics.availability,
                                   will_payload=b"offline") as session:
                    failures = 0
                    await self._connected(session, topics)
            except LinkError as exc:
                self.last_error = self._redact(str(exc))
                log.warning("mqtt: %s:%s: %s", address.host, address.port, self.last_error)
            except TimeoutError:
                self.last_error = "the broker did not answer in time"
                log.warning("mqtt: %s:%s: %s", address.host, address.port, self.last_error)
            finally:
                if self.connected:
                    log.info("mqtt: disconnected from %s:%s", address.host, address.port)
                self.connected = False
                self._connected_event.clear()
            if self._stop.is_set():
                return
            failures += 1
            delay = RECONNECT.delay(failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _connected(self, session: Session, topics: Topics) -> None:
        await session.subscribe(topics.birth, f"{topics.root}/+/set",
                                f"{topics.root}/sensor/+/enabled/set")
        self.connected = True
        self.last_error = None
        self.counters["connects"] += 1
        log.info("mqtt: connected as %s", topics.root)
        await session.publish(topics.availability, b"online", retain=True)
        self.counters["messages_sent"] += 1
        self.announce()
        self._connected_event.set()
        reader: asyncio.Task[Any] = asyncio.create_task(self._read(session, topics))
        writer: asyncio.Task[Any] = asyncio.create_task(self._write(session))
        stopping: asyncio.Task[Any] = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({reader, writer, stopping},
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer, stopping):
                task.cancel()
            await asyncio.gather(reader, writer, stopping, return_exceptions=True)
        for task in done:
            if task is not stopping and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if self._stop.is_set():
            async with asyncio.timeout(STOP_TIMEOUT):
                if self._clear_on_stop:
                    await session.publish(topics.discovery, b"", retain=True)
                    for topic in self.retained:
                        if topic != topics.discovery:
                            await session.publish(topic, b"", retain=True)
                await session.publish(topics.availability, b"offline", retain=True)

    async def _write(self, session: Session) -> None:
        while True:
            while not self.pending:
                self._wake.clear()
                await self._wake.wait()
            topic, payload, retain = self.pending.popleft()
            if payload is None:
                self._queued_states.discard(topic)
            data = self.retained.get(topic, b"") if payload is None else payload
            try:
                await session.publish(topic, data, retain=retain)
            except BaseException:
                if payload is None and topic not in self._queued_states:
                    self._queued_states.add(topic)
                    self.pending.appendleft((topic, None, retain))
                elif payload is not None:
                    self.pending.appendleft((topic, payload, retain))
                raise
            self.counters["messages_sent"] += 1

    async def _read(self, session: Session, topics: Topics) -> None:
        async for message in session.incoming():
            if message.topic == topics.birth:
                if message.payload == b"online" and not message.retained:
                    log.info("mqtt: Home Assistant is online: discovery sent again")
                    self.announce()
                continue
            if message.retained:
                self.counters["ignored_retained"] += 1
                log.warning("mqtt: ignored a retained command on %s (commands are acted on "
                            "only when sent live)", message.topic)
                continue
            self.counters["commands"] += 1
            job = asyncio.create_task(self._command(message, topics))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    def _redact(self, text: str) -> str:
        for secret in self.seccam.settings.secret_values():
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    # --- commands -----------------------------------------------------------------------

    async def _command(self, message: Incoming, topics: Topics) -> None:
        async with self._command_lock:  # one at a time: two quick ONs must not toggle twice
            await self._run_command(message, topics)

    async def _run_command(self, message: Incoming, topics: Topics) -> None:
        payload = message.payload.strip().upper()
        try:
            if message.topic == topics.command("manual_recording"):
                await self._set_recording(payload == ON)
            elif message.topic == topics.command("snapshot"):
                await self._take_snapshot()
            elif message.topic == topics.command("alarm"):
                await self._set_arm_mode(payload.decode(errors="replace"))
            elif message.topic.startswith(f"{topics.root}/sensor/") and payload in (ON, OFF):
                sensor_id = message.topic.split("/")[-3]
                await self._set_sensor_enabled(sensor_id, payload == ON)
            else:
                log.warning("mqtt: unknown command topic %s", message.topic)
        except Exception as exc:
            log.error("mqtt: command on %s failed: %s", message.topic, exc)

    async def _set_recording(self, wanted: bool) -> None:
        recorder = self.seccam.recorder
        if recorder is None:
            log.warning("mqtt: no recorder: cannot %s recording", "start" if wanted else "stop")
            return
        if recorder.recording != wanted:
            await recorder.toggle()

    async def _take_snapshot(self) -> None:
        snapshots = self.seccam.get(SNAPSHOTS)
        if snapshots is None:
            log.warning("mqtt: no camera: cannot take a snapshot")
            return
        path = await snapshots.snapshot()
        await self._publish_image(path)

    async def _set_sensor_enabled(self, sensor_id: str, enabled: bool) -> None:
        sensors = self.seccam.sensors
        if sensors is None:
            log.warning("mqtt: no sensors: cannot %s %s", "enable" if enabled else "disable",
                        sensor_id)
            return
        try:
            await sensors.set_enabled(sensor_id, enabled)
        except NotKnown:
            log.warning("mqtt: no sensor %r to %s", sensor_id, "enable" if enabled else "disable")

    async def _set_arm_mode(self, command: str) -> None:
        mode = ALARM_COMMANDS.get(command)
        arming = self.seccam.get(ARMING)
        if mode is None:
            log.warning("mqtt: unknown alarm command %r (expected one of %s)", command[:40],
                        ", ".join(ALARM_COMMANDS))
        elif arming is None:
            log.warning("mqtt: no arm modes: cannot set %s", mode)
        else:
            log.info("mqtt: arm mode %s (from Home Assistant)", mode)
            await arming.set_mode(mode)

    # --- events -------------------------------------------------------------------------

    def _read_current_state(self) -> None:
        assert self.topics is not None
        self._read_sensor_list()
        sensors = self.seccam.sensors
        if sensors is not None:
            for entry in sensors.status().get("sensors", []):
                self._sensor_state({**entry, "sensor_id": entry.get("id")})
        arming = self.seccam.get(ARMING)
        if arming is not None:
            self._arming_state(arming.status())
        recorder = self.seccam.recorder
        if recorder is not None:
            self._recording_state(recorder.status())
        else:
            self._recording_state({"recording": False})
        self.set_state(self.topics.state("someone_home"), on_off(self.seccam.someone_home()))

    def _read_sensor_list(self) -> None:
        """The sensors as the ``Sensors`` section lists them: their entities follow it
        (added, renamed, a new type's device class, removed)."""
        assert self.topics is not None
        listed: list[SensorInfo] = []
        for entry in self.seccam.settings.get(SENSORS_SECTION).get("sensors", []):
            declared = self.seccam.sensor_types.get(str(entry.get("type")))
            listed.append(SensorInfo(str(entry["id"]), str(entry.get("name") or entry["id"]),
                                     declared.device_class if declared else ""))
        if listed == self.sensors:
            return
        gone = {sensor.id for sensor in self.sensors} - {sensor.id for sensor in listed}
        self.sensors = listed
        if self.topics.discovery in self.retained:
            self.set_state(self.topics.discovery, self._discovery())
        for sensor_id in gone:
            base = self.topics.sensor(sensor_id)
            self.clear_state(self.topics.state(f"{base}/state"))
            self.clear_state(self.topics.state(f"{base}/enabled"))

    def _sensor_state(self, data: Mapping[str, Any]) -> None:
        assert self.topics is not None
        sensor_id = data.get("sensor_id")
        if not sensor_id or data.get("removed"):
            return
        if all(sensor.id != sensor_id for sensor in self.sensors):
            self._read_sensor_list()
        base = self.topics.sensor(str(sensor_id))
        self.set_state(self.topics.state(f"{base}/state"), on_off(data.get("triggered")))
        self.set_state(self.topics.state(f"{base}/enabled"), on_off(data.get("enabled")))

    def _arming_state(self, status: Mapping[str, Any]) -> None:
        assert self.topics is not None
        self.arm_mode = str(status.get("mode"))
        self._alarm_state()
        attributes = {key: status.get(key) for key in ("source", "set_mode", "since",
                                                          "next_change")}
        self.set_state(self.topics.state("alarm/attributes"),
                       json.dumps(attributes, default=str).encode())

    def _alarm_state(self) -> None:
        assert self.topics is not None
        state = "triggered" if self.open_incidents else ALARM_STATES.get(self.arm_mode or "")
        if state is not None:
            self.set_state(self.topics.state("alarm"), state.encode())

    def _recording_state(self, data: Mapping[str, Any]) -> None:
        assert self.topics is not None
        recording = bool(data.get("recording"))
        self.set_state(self.topics.state("recording"), on_off(recording))
        self.set_state(self.topics.state("manual_recording"),
                       on_off(recording and data.get("reason") == "manual"))

    async def _publish_image(self, path: str | Path) -> None:
        assert self.topics is not None
        try:
            image = await asyncio.to_thread(Path(path).read_bytes)
        except OSError as exc:
            log.warning("mqtt: cannot read the snapshot %s: %s", path, exc)
            return
        self.set_state(self.topics.state("snapshot"), image)

    async def handle(self, event: Event) -> bool:
        """Turn one bus event into state changes and messages; true if any were queued."""
        if self.topics is None or not self.running:
            return False
        topics = self.topics
        before = len(self.pending) + self.counters["overflow"]
        data = event.data
        if event.type == "sensor_state":
            self._sensor_state(data)
        elif event.type == "recording_state":
            self._recording_state(data)
        elif event.type == "presence_state":
            self.set_state(topics.state("someone_home"), on_off(data.get("someone_home")))
        elif event.type == "arming_state":
            self._arming_state(data)
        elif event.type == "settings_changed" and SENSORS_SECTION in data.get("sections", ()):
            self._read_sensor_list()
        elif event.type == "incident":
            self.push(topics.incidents, json.dumps({"type": data.get("state"), **data},
                                                   default=str).encode())
            self._follow_incident(data)  # after: an automation sees the end, then the panel
            if data.get("state") == "new" and data.get("started_at"):
                self.set_state(topics.state("last_incident"), str(data["started_at"]).encode())
            if data.get("state") == "update" and data.get("snapshot"):
                await self._publish_image(data["snapshot"])
        elif event.type == "archive_updated" and data.get("type") == "snapshot":
            await self._publish_image(data["path"])
        elif event.type == "system_alert":
            overall = data.get("overall")
            if overall:
                self.set_state(topics.state("health"), str(overall).encode())
        elif event.type == "test":
            self.push(topics.state("test"), json.dumps(data).encode())
        return len(self.pending) + self.counters["overflow"] != before

    def _follow_incident(self, data: Mapping[str, Any]) -> None:
        """An incident of an armed sensor shows the panel ``triggered`` until it ends."""
        incident_id = str(data.get("id"))
        if data.get("state") == "end":
            self.open_incidents.discard(incident_id)
        elif data.get("state") == "new" and not data.get("suppressed"):
            self.open_incidents.add(incident_id)
        self._alarm_state()

    # --- health -------------------------------------------------------------------------

    def _read_health(self) -> dict[str, Any]:
        levels: list[AlertLevel] = []
        values: dict[str, Any] = {}
        for name, metric in list(self.seccam.alert_metrics.items()):
            try:
                reading = metric.read()
            except Exception as exc:
                log.debug("mqtt: metric %s failed: %s", name, exc)
                continue
            levels.append(reading.level)
            values[name] = reading.value
        overall = max(levels, key=lambda level: level.rank).value if levels else "unavailable"
        return {"overall": overall, **values}

    async def _poll_health(self) -> None:
        assert self.topics is not None
        while True:
            health = await asyncio.to_thread(self._read_health)
            self.set_state(self.topics.state("health"), health["overall"].encode())
            for key, topic in (("cpu_temp", "cpu_temperature"), ("storage", "storage")):
                value = health.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    self.set_state(self.topics.state(topic), f"{value:.1f}".encode())
            await self.sleep(HEALTH_INTERVAL)
