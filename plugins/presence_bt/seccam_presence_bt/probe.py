"""Looking for one tracked device: is it within reach right now?

A paired phone does not advertise itself, so the poller asks BlueZ to connect to it.
A phone in range answers the page even when it offers no profile the camera could use:
BlueZ then fails with "profile unavailable", which still proves the phone is there. A
page timeout, "host is down" or no answer at all means it is not. A connection the probe
opened is closed again at once, so the phone never routes audio to the camera.
"""

from __future__ import annotations

import contextlib
import logging

from seccam_core import EngineError
from seccam_presence_bt.bluez import DEVICE_IFACE, BluezCallError, BluezClient, Device

log = logging.getLogger(__name__)

# BlueZ errors that still prove the device answered the page.
_ANSWERED_ERRORS = frozenset({"org.bluez.Error.AlreadyConnected"})
_ANSWERED_TEXT = ("profile-unavailable", "protocol not available", "connection refused",
                  "already connected")


def answered(error: BluezCallError) -> bool:
    """Whether a failed Connect still shows the device is within reach."""
    text = error.text.lower()
    return error.name in _ANSWERED_ERRORS or any(hint in text for hint in _ANSWERED_TEXT)


async def within_reach(client: BluezClient, device: Device, probe_seconds: float) -> bool:
    """Whether ``device`` is in range now (connected already, or answering a connect)."""
    if device.connected:
        return True
    if not device.paired:
        return False  # connecting would start a pairing nobody asked for
    try:
        await client.call(device.path, DEVICE_IFACE, "Connect", reply_within=probe_seconds)
    except BluezCallError as exc:
        if answered(exc):
            return True
        log.debug("%s not within reach: %s", device.address, exc.message)
        return False
    with contextlib.suppress(EngineError):
        await client.call(device.path, DEVICE_IFACE, "Disconnect", reply_within=probe_seconds)
    return True
