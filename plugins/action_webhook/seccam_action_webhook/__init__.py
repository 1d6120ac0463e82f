"""``webhook``: every incident (or any event you choose) POSTed to your endpoints, signed.

Each delivery follows the Standard Webhooks specification (standardwebhooks.com): the
headers ``webhook-id`` (the same on every retry of one message), ``webhook-timestamp``
and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the
endpoint's ``whsec_`` secret, so any Standard Webhooks library verifies it. Network
errors, timeouts and 5xx answers are retried with backoff; a 4xx is final. With
``snapshot: true`` an incident's JPEG rides along as ``multipart/form-data`` (parts
``payload`` and ``snapshot``). The signature then covers the ``payload`` part (Standard
Webhooks libraries verify text bodies), which carries ``snapshot_sha256``, the JPEG's
SHA-256 in hex: verify the payload, then compare the hash of the image part with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccam_core import (
    ActionContext,
    ActionType,
    Backoff,
    Event,
    SettingsSection,
    TransientError,
    action_section,
    hookimpl,
    http_client,
)


class Refused(Exception):
    """The receiver refused the message (a 4xx answer): final, never retried."""


SECTION = "Webhook"
DEFAULT_EVENTS = ["incident"]
EVENTS = frozenset({"incident", "sensor_state", "recording_state", "archive_updated",
                    "system_alert", "storage_cleanup", "camera_state"})
REQUEST_TIMEOUT = 10.0

ENDPOINT = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "pattern": "^https?://[^\\s]+$", "maxLength": 2000,
                "description": "where to POST (http or https)"},
        "secret": {"type": ["string", "null"], "pattern": "^whsec_[A-Za-z0-9+/=]{8,}$",
                   "description": "the Standard Webhooks signing secret, whsec_<base64> "
                                  "(write-only)"},
        "events": {"type": "array", "items": {"enum": sorted(EVENTS)}, "minItems": 1,
                   "uniqueItems": True, "description": "event types sent (default: incident)"},
        "snapshot": {"type": "boolean",
                     "description": "attach an incident's JPEG (multipart/form-data)"},
    },
    "required": ["url"],
    "additionalProperties": False,
}


def _check(section: Mapping[str, Any]) -> str | None:
    for index, endpoint in enumerate(section.get("endpoints") or []):
        secret = endpoint.get("secret")
        if secret:
            try:
                base64.b64decode(secret[len("whsec_"):], validate=True)
            except (binascii.Error, ValueError):
                return f"endpoints.{index}.secret: not base64 after whsec_"
    return None


WEBHOOK_SECTION: SettingsSection = action_section(
    SECTION,
    description="Signed webhooks (Standard Webhooks) to your endpoints.",
    properties={"endpoints": {"type": "array", "items": ENDPOINT, "maxItems": 20}},
    defaults={"endpoints": []},
    write_only={"endpoints[].secret"},
    check=_check,
)


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def payload(event: Event) -> dict[str, Any]:
    """The JSON body: ``{"type": "seccam.<event>", "timestamp", "data"}``."""
    return {
        "type": f"seccam.{event.type}",
        "timestamp": datetime.fromtimestamp(event.ts, UTC).isoformat(timespec="milliseconds"),
        "data": event.data,
    }


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def _body(event: Event, endpoint: Mapping[str, Any]) -> tuple[bytes, bytes, str]:
    """(the request body, the signed bytes, the content type)."""
    document = payload(event)
    snapshot = event.data.get("snapshot") if event.type == "incident" else None
    image = None
    if endpoint.get("snapshot") and snapshot:
        try:
            image = Path(snapshot).read_bytes()
        except OSError:
            image = None
    if image is None:
        data = _encode(document)
        return data, data, "application/json"
    document["snapshot_sha256"] = hashlib.sha256(image).hexdigest()
    data = _encode(document)
    boundary = "seccam-" + secrets.token_hex(12)
    parts = [
        (b'Content-Disposition: form-data; name="payload"\r\n'
         b"Content-Type: application/json\r\n\r\n" + data),
        (b'Content-Disposition: form-data; name="snapshot"; filename="snapshot.jpg"\r\n'
         b"Content-Type: image/jpeg\r\n\r\n" + image),
    ]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, data, f"multipart/form-data; boundary={boundary}"


async def _post(endpoint: Mapping[str, Any], event: Event, message_id: str) -> None:
    body, signed, content_type = _body(event, endpoint)
    timestamp = int(time.time())
    headers = {"content-type": content_type, "webhook-id": message_id,
               "webhook-timestamp": str(timestamp), "user-agent": "seccam-webhook/0.1"}
    if endpoint.get("secret"):
        headers["webhook-signature"] = sign(endpoint["secret"], message_id, timestamp, signed)
    import httpx  # for its errors; http_client() has loaded it
    try:
        response = await http_client().post(endpoint["url"], content=body, headers=headers,
                                            timeout=REQUEST_TIMEOUT)
    except httpx.HTTPError as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 500:
        raise TransientError(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise Refused(f"HTTP {response.status_code} (not retried)")


def _wanted(event: Event, settings: Mapping[str, Any]) -> bool:
    """An event some endpoint asked for: the others never queue (nor fill the log)."""
    return any(event.type in (endpoint.get("events") or DEFAULT_EVENTS)
               for endpoint in settings.get("endpoints") or [])


async def run(event: Event, ctx: ActionContext) -> bool:
    """Send ``event`` to every endpoint that wants it; retry only those that failed."""
    endpoints = [e for e in ctx.settings.get("endpoints") or []
                 if event.type == "test" or event.type in (e.get("events") or DEFAULT_EVENTS)]
    if not endpoints:
        return False
    done: set[str] = ctx.memo.setdefault("done", set())
    transient: list[str] = []
    final: list[str] = []
    for index, endpoint in enumerate(endpoints):
        key = endpoint["url"]
        if key in done:
            continue
        try:
            await _post(endpoint, event, ctx.delivery_id)
        except TransientError as exc:
            transient.append(f"endpoint {index}: {exc}")
            continue
        except Refused as exc:
            final.append(f"endpoint {index}: {exc}")
        done.add(key)  # sent, or a 4xx: final either way
    if transient:
        raise TransientError("; ".join(transient + final))
    if final:
        raise RuntimeError("; ".join(final))
    return True


WEBHOOK_ACTION = ActionType(
    name="webhook",
    events=EVENTS,
    run=run,
    timeout=30.0,
    description="POSTs events to your endpoints, signed as Standard Webhooks.",
    section=SECTION,
    retries=8,
    backoff=Backoff(base=1.0, factor=2.0, cap=30.0),
    updates=True,
    wants=_wanted,
    queue_size=500,
)



@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Webhook`` section."""
    return [WEBHOOK_SECTION]


@hookimpl
def seccam_actions() -> list[ActionType]:
    """The webhook action."""
    return [WEBHOOK_ACTION]
