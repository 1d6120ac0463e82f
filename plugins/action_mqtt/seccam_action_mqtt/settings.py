"""The ``Mqtt`` settings section: where the broker is, as whom, and the topics to use.

``password`` is write-only (``POST /settings`` sets it; reads show ``password_set``).
``device_id`` and ``device_name`` default to values derived from the machine (its
``/etc/machine-id``, else its host name), so two cameras never share topics.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seccam_action_mqtt.discovery import Topics
from seccam_action_mqtt.link import BrokerAddress
from seccam_core import SettingsSection

SECTION = "Mqtt"
TOPIC_PATTERN = r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$"
NULLABLE_TEXT = {"type": ["string", "null"], "maxLength": 256}

SCHEMA = {
    "type": "object",
    "properties": {
        "enabled": {"type": "boolean", "description": "connect to the broker"},
        "host": {"type": "string", "minLength": 1, "maxLength": 253,
                 "pattern": r"^[A-Za-z0-9.:\[\]_-]+$", "description": "the broker's host"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "username": {**NULLABLE_TEXT, "description": "null: connect without a login"},
        "password": {**NULLABLE_TEXT, "description": "the broker password (write-only)"},
        "tls": {"type": "boolean", "description": "TLS, checking the broker's certificate "
                "against ca_file, else the system's CA certificates"},
        "ca_file": {"type": ["string", "null"], "maxLength": 4096,
                    "description": "a PEM file with the CA certificate that signed the "
                                   "broker's (a broker with its own CA); null: the system's"},
        "base_topic": {"type": "string", "maxLength": 100, "pattern": TOPIC_PATTERN,
                       "description": "state and command topics live under "
                                      "<base_topic>/<device_id>/"},
        "discovery_prefix": {"type": "string", "maxLength": 100, "pattern": TOPIC_PATTERN,
                             "description": "Home Assistant's discovery prefix"},
        "device_id": {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9_-]{1,64}$",
                      "description": "null: derived from the machine id"},
        "device_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 100,
                        "description": "the device's name in Home Assistant "
                                       "(null: seccam <host name>)"},
    },
    "additionalProperties": False,
}
DEFAULTS: dict[str, Any] = {
    "enabled": False, "host": "127.0.0.1", "port": 1883, "username": None, "password": None,
    "tls": False, "ca_file": None, "base_topic": "seccam", "discovery_prefix": "homeassistant",
    "device_id": None, "device_name": None,
}

CA_FILE_LIMIT = 1 << 20
_NOT_FILES = ("/proc/", "/sys/", "/dev/")


def ca_file_problem(value: Any) -> str | None:
    """Why ``ca_file`` cannot be the broker's CA, judged by what the path resolves to: a
    regular file of at most 1 MiB, outside /proc, /sys and /dev, that loads as PEM
    certificates. ``None`` when it can (or is not set)."""
    if value is None:
        return None
    path = Path(str(value))
    if not path.is_absolute():
        return "ca_file: an absolute path, like /etc/mosquitto/ca.crt"
    try:
        real = path.resolve(strict=True)
        info = real.stat()
    except (OSError, RuntimeError, ValueError):
        return "ca_file: no such file"
    if str(real).startswith(_NOT_FILES) or not stat.S_ISREG(info.st_mode):
        return "ca_file: not a regular file"
    if info.st_size > CA_FILE_LIMIT:
        return "ca_file: larger than 1 MiB, not a CA certificate"
    try:
        ssl.create_default_context(cafile=str(real))
    except (ssl.SSLError, OSError, ValueError):
        return "ca_file: not a readable PEM CA certificate"
    return None


def check_section(section: Mapping[str, Any]) -> str | None:
    """The rules a schema cannot say: the CA file is judged by what it resolves to."""
    return ca_file_problem(section.get("ca_file"))


MQTT_SECTION = SettingsSection(
    name=SECTION,
    schema=SCHEMA,
    defaults=DEFAULTS,
    description="MQTT and Home Assistant discovery.",
    write_only_fields=frozenset({"password"}),
    check=check_section,
)


def machine_device_id() -> str:
    """12 hex digits from ``/etc/machine-id`` (a hash: the id itself is not shared),
    else the host name."""
    try:
        machine = Path("/etc/machine-id").read_text().strip()
    except OSError:
        machine = ""
    if machine:
        return hashlib.sha256(machine.encode()).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:64] or "camera"


def topics_of(settings: Mapping[str, Any]) -> Topics:
    """The topics for these settings."""
    return Topics(settings.get("base_topic") or DEFAULTS["base_topic"],
                  settings.get("discovery_prefix") or DEFAULTS["discovery_prefix"],
                  settings.get("device_id") or machine_device_id())


def device_name_of(settings: Mapping[str, Any]) -> str:
    return str(settings.get("device_name") or f"seccam {socket.gethostname()}")


def address_of(settings: Mapping[str, Any]) -> BrokerAddress:
    """Where to connect, with a client id unique to the device."""
    return BrokerAddress(
        host=settings.get("host") or DEFAULTS["host"],
        port=int(settings.get("port") or DEFAULTS["port"]),
        username=settings.get("username") or None,
        password=settings.get("password") or None,
        tls=bool(settings.get("tls")),
        ca_file=settings.get("ca_file") or None,
        client_id=f"seccam-{topics_of(settings).device_id}",
    )
