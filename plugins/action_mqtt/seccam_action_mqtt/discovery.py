"""Home Assistant MQTT discovery: one device payload declaring every entity of the camera.

The payload goes, retained, to ``<discovery_prefix>/device/seccam_<device_id>/config``
(device-based discovery, with the ``origin`` block). Every entity has a ``unique_id``
built from the device id and a fixed key, so it stays the same across restarts and
renames, and a ``default_entity_id`` (``binary_sensor.seccam_<device_id>_recording``).
A component that went away (a sensor was removed) is sent once with only its
``platform``, which is how Home Assistant removes one component of a device; an empty
payload removes the whole device.

The arm modes are an ``alarm_control_panel``: seccam's ``disarmed``, ``home``, ``away``
and ``night`` are Home Assistant's ``disarmed``, ``armed_home``, ``armed_away`` and
``armed_night``; while an incident of an armed sensor is open the panel shows
``triggered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seccam_core import __version__

ORIGIN = {"name": "seccam", "sw_version": __version__}
HEALTH_LEVELS = ["ok", "warn", "critical", "unavailable"]
ALARM_STATES = {"disarmed": "disarmed", "home": "armed_home", "away": "armed_away",
                "night": "armed_night"}
"""seccam's arm mode -> Home Assistant's alarm state."""
ALARM_COMMANDS = {"DISARM": "disarmed", "ARM_HOME": "home", "ARM_AWAY": "away",
                  "ARM_NIGHT": "night"}
"""The panel's command payloads (Home Assistant's defaults) -> seccam's arm mode."""


@dataclass(frozen=True)
class Topics:
    """Every topic of one camera, from the base topic and device id."""

    base: str
    discovery_prefix: str
    device_id: str

    @property
    def root(self) -> str:
        return f"{self.base}/{self.device_id}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    @property
    def discovery(self) -> str:
        return f"{self.discovery_prefix}/device/seccam_{self.device_id}/config"

    @property
    def birth(self) -> str:
        return f"{self.discovery_prefix}/status"

    @property
    def incidents(self) -> str:
        return f"{self.root}/incidents"

    def state(self, key: str) -> str:
        """``<base>/<device_id>/<key>``: a retained state topic."""
        return f"{self.root}/{key}"

    def command(self, key: str) -> str:
        """``<base>/<device_id>/<key>/set``: a command topic (never retained by us)."""
        return f"{self.root}/{key}/set"

    def sensor(self, sensor_id: str) -> str:
        """``sensor/<id>``: the part of a sensor's state and command topics."""
        return f"sensor/{sensor_id}"


@dataclass(frozen=True)
class SensorInfo:
    """One configured sensor as its entities show it."""

    id: str
    name: str
    device_class: str

    @property
    def key(self) -> str:
        """The component key (entity ids allow no ``-``; sensor ids do)."""
        return "sensor_" + self.id.replace("-", "_")


def components(topics: Topics, sensors: list[SensorInfo]) -> dict[str, dict[str, Any]]:
    """Every entity of the device, by its object key."""
    ids = f"seccam_{topics.device_id}"

    def entity(platform: str, key: str, name: str, **options: Any) -> dict[str, Any]:
        return {"platform": platform, "name": name, "unique_id": f"{ids}_{key}",
                "default_entity_id": f"{platform}.{ids}_{key}", **options}

    found = {
        "recording": entity("binary_sensor", "recording", "Recording",
                            device_class="running", state_topic=topics.state("recording")),
        "someone_home": entity("binary_sensor", "someone_home", "Someone home",
                               device_class="presence",
                               state_topic=topics.state("someone_home")),
        "snapshot": entity("image", "snapshot", "Snapshot", image_topic=topics.state("snapshot"),
                           content_type="image/jpeg"),
        "take_snapshot": entity("button", "take_snapshot", "Take snapshot",
                                command_topic=topics.command("snapshot"),
                                payload_press="PRESS", icon="mdi:camera"),
        "manual_recording": entity("switch", "manual_recording", "Manual recording",
                                   state_topic=topics.state("manual_recording"),
                                   command_topic=topics.command("manual_recording"),
                                   icon="mdi:record-rec"),
        "cpu_temperature": entity("sensor", "cpu_temperature", "CPU temperature",
                                  device_class="temperature", unit_of_measurement="°C",
                                  state_class="measurement", entity_category="diagnostic",
                                  state_topic=topics.state("cpu_temperature")),
        "storage": entity("sensor", "storage", "Storage used", unit_of_measurement="%",
                          state_class="measurement", entity_category="diagnostic",
                          icon="mdi:sd", state_topic=topics.state("storage")),
        "health": entity("sensor", "health", "Health", device_class="enum",
                         options=HEALTH_LEVELS, entity_category="diagnostic",
                         state_topic=topics.state("health")),
        "last_incident": entity("sensor", "last_incident", "Last incident",
                                device_class="timestamp",
                                state_topic=topics.state("last_incident")),
    }
    found["alarm"] = entity(
        "alarm_control_panel", "alarm", "Arm mode", state_topic=topics.state("alarm"),
        command_topic=topics.command("alarm"),
        json_attributes_topic=topics.state("alarm/attributes"),
        supported_features=["arm_home", "arm_away", "arm_night"],
        code_arm_required=False, code_disarm_required=False,
        **{f"payload_{command.lower()}": command for command in ALARM_COMMANDS})
    for sensor in sensors:
        base = topics.sensor(sensor.id)
        options: dict[str, Any] = {"state_topic": topics.state(f"{base}/state")}
        if sensor.device_class:
            options["device_class"] = sensor.device_class
        found[sensor.key] = entity("binary_sensor", sensor.key, sensor.name, **options)
        found[f"{sensor.key}_enabled"] = entity(
            "switch", f"{sensor.key}_enabled", f"{sensor.name} enabled",
            entity_category="config", state_topic=topics.state(f"{base}/enabled"),
            command_topic=topics.command(f"{base}/enabled"))
    return found


def device_payload(topics: Topics, device_name: str, sensors: list[SensorInfo],
                   removed: dict[str, str] | None = None) -> dict[str, Any]:
    """The discovery payload; ``removed`` (key -> platform) are components to drop."""
    cmps: dict[str, dict[str, Any]] = {
        key: {"platform": platform} for key, platform in (removed or {}).items()}
    cmps.update(components(topics, sensors))
    return {
        "device": {"identifiers": [f"seccam_{topics.device_id}"], "name": device_name,
                   "manufacturer": "seccam", "model": "Raspberry Pi security camera",
                   "sw_version": __version__},
        "origin": ORIGIN,
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": 1,
        "components": cmps,
    }
