"""Home Assistant MQTT discovery: one device payload declaring every entity of the camera.

The payload goes, retained, to ``<discovery_prefix>/device/seccam_<device_id>/config``
(device-based discovery, with the ``origin`` block). Every entity has a ``unique_id``
built from the device id and a fixed key, so it stays the same across restarts and
renames, and a ``default_entity_id`` (``binary_sensor.seccam_<device_id>_recording``).
A component that went away (the sensor's type changed) is sent once with only its
``platform``, which is how Home Assistant removes one component of a device; an empty
payload removes the whole device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seccam_core import __version__

ORIGIN = {"name": "seccam", "sw_version": __version__}
HEALTH_LEVELS = ["ok", "warn", "critical", "unavailable"]


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

    def sensor(self, sensor_type: str) -> str:
        return f"sensor/{sensor_type}"


@dataclass(frozen=True)
class SensorInfo:
    """The configured sensor as the entities show it."""

    type: str
    label: str
    device_class: str


def components(topics: Topics, sensor: SensorInfo | None) -> dict[str, dict[str, Any]]:
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
    if sensor is not None:
        key = f"sensor_{sensor.type}"
        base = topics.sensor(sensor.type)
        options: dict[str, Any] = {"state_topic": topics.state(f"{base}/state")}
        if sensor.device_class:
            options["device_class"] = sensor.device_class
        found[key] = entity("binary_sensor", key, sensor.label, **options)
        found[f"{key}_enabled"] = entity(
            "switch", f"{key}_enabled", f"{sensor.label} enabled", entity_category="config",
            state_topic=topics.state(f"{topics.sensor(sensor.type)}/enabled"),
            command_topic=topics.command(f"{topics.sensor(sensor.type)}/enabled"))
    return found


def device_payload(topics: Topics, device_name: str, sensor: SensorInfo | None,
                   removed: dict[str, str] | None = None) -> dict[str, Any]:
    """The discovery payload; ``removed`` (key -> platform) are components to drop."""
    cmps: dict[str, dict[str, Any]] = {
        key: {"platform": platform} for key, platform in (removed or {}).items()}
    cmps.update(components(topics, sensor))
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
