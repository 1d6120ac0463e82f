"""``notify``: push notifications to a phone, through ntfy or any service Apprise knows.

Per incident: the snapshot taken at the trigger as soon as it exists (seconds), then a
follow-up with the clip's link once the clip and its sidecars are final. The gate every
action has applies (cooldown on sent messages, hourly cap, quiet hours that may span
midnight, snooze); a critical health alert may go out in quiet hours. Nothing is sent for
a trigger suppressed because someone is at home unless ``notify_when_home`` is set.

ntfy is built in (an HTTP PUT of the JPEG with its title, priority, tags and click URL
as headers). Apprise URLs (``tgram://``, ``pover://``, ``discord://``, ``mailto://`` ...)
are sent by the Apprise library, which is synchronous, so in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from quart import Blueprint

from seccam_action_notify.api import make_blueprint
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


SECTION = "Notify"
REQUEST_TIMEOUT = 10.0
TOPIC_PATTERN = "^[-_A-Za-z0-9]{1,64}$"

NTFY = {
    "type": ["object", "null"],
    "properties": {
        "server": {"type": "string", "pattern": "^https?://[^\\s/]+(/[^\\s]*)?$",
                   "maxLength": 500, "description": "the ntfy server, e.g. https://ntfy.sh"},
        "topic": {"type": "string", "pattern": TOPIC_PATTERN,
                  "description": "the topic to publish to (letters, digits, - and _)"},
        "token": {"type": ["string", "null"], "maxLength": 200,
                  "description": "an access token (write-only)"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {"type": "array", "items": {"type": "string", "pattern": "^[-_a-z0-9]{1,40}$"},
                 "maxItems": 10},
    },
    "required": ["server", "topic"],
    "additionalProperties": False,
    "description": "ntfy: null when not used",
}


def _check(section: Mapping[str, Any]) -> str | None:
    urls = section.get("apprise_urls") or []
    if not urls:
        return None
    import apprise

    for index, url in enumerate(urls):
        if apprise.Apprise.instantiate(url) is None:
            return f"apprise_urls.{index}: not a URL Apprise understands"
    return None


NOTIFY_SECTION: SettingsSection = action_section(
    SECTION,
    description="Push notifications through ntfy and Apprise.",
    properties={
        "ntfy": NTFY,
        "apprise_urls": {"type": "array", "maxItems": 20,
                         "items": {"type": "string", "pattern": "^[a-z0-9+.-]+://\\S+$",
                                   "maxLength": 2000},
                         "description": "Apprise URLs (write-only: they carry credentials)"},
        "link_base_url": {"type": "string", "pattern": "^(https?://\\S+)?$", "maxLength": 500,
                          "description": "how a phone reaches this camera "
                                         "(http://camera.local:5005), for clip links"},
        "notify_when_home": {"type": "boolean",
                             "description": "notify even while someone is at home"},
        "alert_levels": {"type": "array", "items": {"enum": ["warn", "critical"]},
                         "uniqueItems": True,
                         "description": "health alert levels that notify"},
    },
    defaults={"ntfy": None, "apprise_urls": [], "link_base_url": "", "notify_when_home": False,
              "alert_levels": ["critical"], "cooldown_seconds": 60, "max_per_hour": 20},
    write_only={"ntfy.token", "apprise_urls"},
    check=_check,
)


# --- what to say ------------------------------------------------------------------------


LINK_SECONDS = 7 * 86400
"""A clip link works for a week: a notification is often read later."""


def clip_link(settings: Mapping[str, Any], clip: str,
              sign: Callable[[str], str] | None = None) -> str | None:
    """The clip's link on this camera (``/stream_video``), signed by ``sign`` so a
    phone opens it without the token, or None without a base URL."""
    base = str(settings.get("link_base_url") or "").rstrip("/")
    if not base:
        return None
    path = f"/stream_video?video_path={quote(Path(clip).name)}"
    return base + (sign(path) if sign is not None else path)


def _local_time(text: str | None) -> str:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone().strftime(
            "%H:%M:%S")
    except ValueError:
        return ""


def compose(event: Event, settings: Mapping[str, Any],
            sign: Callable[[str], str] | None = None) -> dict[str, Any] | None:
    """``{title, message, attach, click, urgent}`` for the event, or None to send nothing;
    ``sign`` makes a clip link that opens without the token."""
    data = event.data
    if event.type == "test":
        return {"title": "seccam test", "message": str(data.get("message")), "attach": None,
                "click": None}
    if event.type == "system_alert":
        levels = set(settings.get("alert_levels") or [])
        hits = [t for t in data.get("transitions") or [] if t.get("to") in levels]
        if not hits:
            return None
        text = ", ".join(f"{t.get('metric')}: {t.get('from')} -> {t.get('to')}" for t in hits)
        return {"title": f"seccam health: {data.get('overall')}", "message": text,
                "attach": None, "click": None}
    if event.type != "incident":
        return None
    if data.get("suppressed") and not settings.get("notify_when_home"):
        return None
    sensor = _sensor_words(data)
    at = _local_time(data.get("started_at"))
    if data.get("state") == "update":
        return {"title": f"seccam: {sensor} triggered",
                "message": f"{sensor} triggered at {at}", "attach": data.get("snapshot"),
                "click": None}
    if data.get("state") == "end" and data.get("clip"):
        link = clip_link(settings, data["clip"], sign)
        return {"title": f"seccam: clip of {at} ready",
                "message": f"The recording of {sensor} at {at} is ready"
                + (f": {link}" if link else "."),
                "attach": None, "click": link}
    return None


def _sensor_words(data: Mapping[str, Any]) -> str:
    """"Front door", or "Front door and Hall": the names the owner gave the sensors that
    triggered (an incident from an older core has only ``sensor_type``)."""
    names = [str(s.get("name")) for s in data.get("sensors") or [] if isinstance(s, dict)]
    if not names:
        names = [str(data.get("sensor_name") or data.get("sensor_type") or "sensor")]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# --- sending ---------------------------------------------------------------------------


def _header(value: str) -> str:
    """ntfy reads RFC 2047 encoded headers; plain ASCII goes as it is."""
    if value.isascii():
        return value
    import base64

    return "=?UTF-8?B?" + base64.b64encode(value.encode()).decode() + "?="


async def send_ntfy(ntfy: Mapping[str, Any], message: Mapping[str, Any]) -> None:
    """Publish to ntfy: the JPEG as the attachment (PUT) or the text (POST)."""
    url = f"{str(ntfy['server']).rstrip('/')}/{ntfy['topic']}"
    headers = {"Title": _header(message["title"]),
               "Priority": str(ntfy.get("priority") or 4)}
    if ntfy.get("tags"):
        headers["Tags"] = ",".join(ntfy["tags"])
    if message.get("click"):
        headers["Click"] = message["click"]
    if ntfy.get("token"):
        headers["Authorization"] = f"Bearer {ntfy['token']}"
    image = None
    if message.get("attach"):
        try:
            image = await asyncio.to_thread(Path(message["attach"]).read_bytes)
        except OSError:
            image = None
    client = http_client()
    import httpx  # for its errors; http_client() has loaded it
    try:
        if image is not None:
            headers["Filename"] = "snapshot.jpg"
            headers["Message"] = _header(message["message"])
            response = await client.put(url, content=image, headers=headers,
                                        timeout=REQUEST_TIMEOUT)
        else:
            response = await client.post(url, content=message["message"].encode(),
                                         headers=headers, timeout=REQUEST_TIMEOUT)
    except httpx.HTTPError as exc:
        raise TransientError(f"ntfy: {type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(f"ntfy: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise Refused(f"ntfy: HTTP {response.status_code} (not retried)")


def send_apprise(url: str, message: Mapping[str, Any]) -> bool:
    """One Apprise URL, synchronously (call it in a thread)."""
    import apprise

    notifier = apprise.Apprise()
    notifier.add(url)
    attach = apprise.AppriseAttachment(message["attach"]) if message.get("attach") else None
    body = message["message"]
    return bool(notifier.notify(title=message["title"], body=body, attach=attach))


async def run(event: Event, ctx: ActionContext) -> bool:
    """Send the event's message to ntfy and every Apprise URL; retry only what failed."""
    message = compose(event, ctx.settings,
                      lambda path: ctx.seccam.media_link(path, seconds=LINK_SECONDS))
    if message is None:
        return False
    channels: list[tuple[str, Any]] = []
    if ctx.settings.get("ntfy"):
        channels.append(("ntfy", ctx.settings["ntfy"]))
    channels += [(f"apprise {i}", url) for i, url in enumerate(ctx.settings.get("apprise_urls")
                                                               or [])]
    if not channels:
        return False
    done: set[str] = ctx.memo.setdefault("done", set())
    failures: list[str] = []
    final: list[str] = []
    for name, target in channels:
        if name in done:
            continue
        try:
            if name == "ntfy":
                await send_ntfy(target, message)
            elif not await asyncio.to_thread(send_apprise, target, message):
                raise TransientError(f"{name}: not delivered")
        except TransientError as exc:
            failures.append(str(exc))
            continue
        except Refused as exc:
            final.append(str(exc))
        done.add(name)
    if failures:
        raise TransientError("; ".join(failures + final))
    if final:
        raise RuntimeError("; ".join(final))
    return True


def _wants(event: Event, settings: Mapping[str, Any]) -> bool:
    """The snapshot and clip of an incident, and an alert reaching a level the owner
    chose: a level the owner did not choose takes no line in the delivery log."""
    if event.type == "incident":
        return event.data.get("state") in ("update", "end")
    levels = set(settings.get("alert_levels") or [])
    return event.type == "system_alert" and any(
        isinstance(t, dict) and t.get("to") in levels
        for t in event.data.get("transitions") or [])


def _urgent(event: Event) -> bool:
    return event.type == "system_alert" and any(
        t.get("to") == "critical" for t in event.data.get("transitions") or [])


NOTIFY_ACTION = ActionType(
    name="notify",
    events=frozenset({"incident", "system_alert"}),
    run=run,
    timeout=45.0,
    description="Push notifications (ntfy, Apprise): the snapshot at once, the clip later.",
    section=SECTION,
    retries=5,
    backoff=Backoff(base=2.0, factor=2.0, cap=60.0),
    updates=True,
    wants=_wants,
    urgent=_urgent,
)



@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Notify`` section."""
    return [NOTIFY_SECTION]


@hookimpl
def seccam_actions() -> list[ActionType]:
    """The notify action."""
    return [NOTIFY_ACTION]


@hookimpl
def seccam_register_routes(seccam: Any) -> list[Blueprint]:
    """``POST /notify/snooze``."""
    return [make_blueprint(seccam)]
