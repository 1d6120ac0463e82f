"""The pairing agent: accepts a pairing while the owner has asked for one, and only then.

BlueZ asks the default agent to confirm or authorise a pairing. The camera has no
screen or keyboard, so the agent registers as ``NoInputNoOutput`` and says yes to every
question, but it is registered only for the length of a pairing the owner started
(``POST /bt/discoverable`` or ``POST /devices/bt/add``); outside that window it refuses.
"""

# No ``from __future__ import annotations``: dbus-fast reads these annotations at runtime.
import contextlib
import logging
from collections.abc import AsyncIterator

from dbus_fast import DBusError
from dbus_fast.annotations import DBusObjectPath, DBusStr, DBusUInt16, DBusUInt32
from dbus_fast.service import ServiceInterface, dbus_method

from seccam_core import EngineError
from seccam_presence_bt.bluez import AGENT_MANAGER_IFACE, BluezClient

log = logging.getLogger(__name__)

AGENT_PATH = "/org/seccam/presence_bt/agent"
AGENT_CAPABILITY = "NoInputNoOutput"
_REJECTED = "org.bluez.Error.Rejected"


class PairingAgent(ServiceInterface):
    """``org.bluez.Agent1``: answers BlueZ's pairing questions while ``accepting``."""

    def __init__(self) -> None:
        super().__init__("org.bluez.Agent1")
        self.accepting = False

    def _accept(self, what: str, device: str) -> None:
        if not self.accepting:
            raise DBusError(_REJECTED, "seccam is not pairing now")
        log.info("pairing agent: accepting %s for %s", what, device)

    @dbus_method()
    def Release(self) -> None:
        self.accepting = False

    @dbus_method()
    def RequestPinCode(self, device: DBusObjectPath) -> DBusStr:
        self._accept("a PIN request", device)
        return "0000"

    @dbus_method()
    def DisplayPinCode(self, device: DBusObjectPath, pincode: DBusStr) -> None:
        self._accept("a PIN display", device)

    @dbus_method()
    def RequestPasskey(self, device: DBusObjectPath) -> DBusUInt32:
        self._accept("a passkey request", device)
        return 0

    @dbus_method()
    def DisplayPasskey(
        self, device: DBusObjectPath, passkey: DBusUInt32, entered: DBusUInt16
    ) -> None:
        self._accept("a passkey display", device)

    @dbus_method()
    def RequestConfirmation(self, device: DBusObjectPath, passkey: DBusUInt32) -> None:
        self._accept(f"passkey {passkey:06d}", device)

    @dbus_method()
    def RequestAuthorization(self, device: DBusObjectPath) -> None:
        self._accept("the pairing", device)

    @dbus_method()
    def AuthorizeService(self, device: DBusObjectPath, uuid: DBusStr) -> None:
        self._accept(f"service {uuid}", device)

    @dbus_method()
    def Cancel(self) -> None:
        log.info("pairing agent: BlueZ cancelled the request")


@contextlib.asynccontextmanager
async def accepting_pairings(client: BluezClient) -> AsyncIterator[PairingAgent]:
    """Register the agent as BlueZ's default for the ``async with`` block, then remove it."""
    agent = PairingAgent()
    client.export(AGENT_PATH, agent)
    try:
        await client.call("/org/bluez", AGENT_MANAGER_IFACE, "RegisterAgent", "os",
                          [AGENT_PATH, AGENT_CAPABILITY])
        await client.call("/org/bluez", AGENT_MANAGER_IFACE, "RequestDefaultAgent", "o",
                          [AGENT_PATH])
        agent.accepting = True
        yield agent
    finally:
        agent.accepting = False
        with contextlib.suppress(EngineError):
            await client.call("/org/bluez", AGENT_MANAGER_IFACE, "UnregisterAgent", "o",
                              [AGENT_PATH])
        client.unexport(AGENT_PATH)
