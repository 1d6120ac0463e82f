"""Our one door to the MQTT client library (aiomqtt 2.x, paho-mqtt 2.x underneath).

Nothing else in the plugin imports aiomqtt, so a later aiomqtt 3 (MQTT 5 only) or
another client is a change to this module alone. A session is MQTT 3.1.1 with a
retained last will; every library error surfaces as :class:`LinkError`.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiomqtt

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
KEEPALIVE = 30


def _library() -> ModuleType:
    """aiomqtt, imported at the first connection: a camera with MQTT off never holds it
    in memory (about 1 MB of a Pi Zero's 512)."""
    import aiomqtt

    return aiomqtt


class LinkError(Exception):
    """The broker could not be reached, refused us, or the connection broke."""


@dataclass(frozen=True)
class BrokerAddress:
    """Where and as whom to connect. ``password`` never appears in ``repr``."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    client_id: str | None = None
    ca_file: str | None = None

    def __repr__(self) -> str:
        return (f"BrokerAddress(host={self.host!r}, port={self.port}, "
                f"username={self.username!r}, tls={self.tls}, ca_file={self.ca_file!r})")


@dataclass(frozen=True)
class Incoming:
    """A message from the broker; ``retained`` is true for one stored before we subscribed."""

    topic: str
    payload: bytes
    retained: bool


class Session:
    """One live connection: publish, subscribe, read what arrives."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client

    async def publish(self, topic: str, payload: bytes, *, retain: bool = False,
                      qos: int = 1) -> None:
        """Send one message; it is handed to the broker (QoS 1) before this returns."""
        try:
            await self._client.publish(topic, payload, qos=qos, retain=retain)
        except _library().MqttError as exc:
            raise LinkError(str(exc)) from None

    async def subscribe(self, *topics: str) -> None:
        """Subscribe to topic filters (QoS 1)."""
        try:
            await self._client.subscribe([(topic, 1) for topic in topics])
        except _library().MqttError as exc:
            raise LinkError(str(exc)) from None

    async def incoming(self) -> AsyncIterator[Incoming]:
        """Messages as they arrive; ends with :class:`LinkError` when the link breaks."""
        try:
            async for message in self._client.messages:
                payload = message.payload
                data = payload if isinstance(payload, bytes) else str(payload or "").encode()
                yield Incoming(message.topic.value, data, bool(message.retain))
        except _library().MqttError as exc:
            raise LinkError(str(exc)) from None


@contextlib.asynccontextmanager
async def connect(address: BrokerAddress, *, will_topic: str,
                  will_payload: bytes) -> AsyncIterator[Session]:
    """A session with a retained last will; the connection closes when the block ends."""
    try:
        tls_context = (ssl.create_default_context(cafile=address.ca_file)
                       if address.tls else None)
    except (ssl.SSLError, OSError) as exc:  # the file changed since it was checked
        raise LinkError(f"the CA file cannot be read: {exc}") from None
    library = _library()
    client = library.Client(
        address.host, address.port, username=address.username, password=address.password,
        identifier=address.client_id, logger=log, timeout=CONNECT_TIMEOUT,
        keepalive=KEEPALIVE, tls_context=tls_context, clean_session=True,
        will=library.Will(will_topic, will_payload, qos=1, retain=True),
    )
    try:
        async with client:
            yield Session(client)
    except library.MqttError as exc:
        raise LinkError(str(exc)) from None
