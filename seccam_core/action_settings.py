"""An action's settings section, with the fields every action shares.

``action_section("Webhook", properties={...}, defaults={...}, write_only={"endpoints[].secret"})``
builds a :class:`SettingsSection` whose schema has the action's own fields plus:

``enabled`` (false)
    Nothing is queued for a disabled action.
``cooldown_seconds`` (0..86400, default 0)
    After a message is sent, the next incident's message waits this long (it is
    skipped, not delayed). Counted from messages actually sent.
``max_per_hour`` (0..3600, default 0: no cap)
    At most this many incidents' messages in any hour.
``quiet_hours`` (default none)
    Weekly windows in local time, which may span midnight (:mod:`seccam_core.quiet_hours`);
    overlapping or malformed windows are a 400 naming the window.
``urgent_bypasses_quiet_hours`` (false)
    Events the action calls urgent (a critical health alert) go out in quiet hours.
``snoozed_until`` (internal)
    Set by ``POST /actions/<name>/snooze``; nothing is sent before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from seccam_core import quiet_hours
from seccam_core.contributions import SettingsSection

MAX_COOLDOWN_SECONDS = 86400
MAX_PER_HOUR = 3600

COMMON_PROPERTIES: dict[str, Any] = {
    "enabled": {"type": "boolean", "description": "whether the action runs"},
    "cooldown_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_COOLDOWN_SECONDS,
                         "description": "seconds after a sent message before the next "
                                        "incident's message may go"},
    "max_per_hour": {"type": "integer", "minimum": 0, "maximum": MAX_PER_HOUR,
                     "description": "at most this many incidents' messages per hour "
                                    "(0: no cap)"},
    "quiet_hours": quiet_hours.QUIET_HOURS_SCHEMA,
    "urgent_bypasses_quiet_hours": {"type": "boolean",
                                    "description": "urgent events (critical health alerts) "
                                                   "are sent in quiet hours"},
    "snoozed_until": {"type": ["number", "null"],
                      "description": "epoch seconds; nothing is sent before (set by snooze)"},
}
COMMON_DEFAULTS: dict[str, Any] = {
    "enabled": False, "cooldown_seconds": 0, "max_per_hour": 0, "quiet_hours": [],
    "urgent_bypasses_quiet_hours": False, "snoozed_until": None,
}


def action_section(
    name: str,
    *,
    properties: Mapping[str, Any],
    defaults: Mapping[str, Any],
    description: str = "",
    write_only: Iterable[str] = (),
    check: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> SettingsSection:
    """The action's section: its own ``properties`` and ``defaults`` plus the common ones.

    ``write_only`` names its secrets (``token``, ``ntfy.token``, ``endpoints[].secret``);
    ``check`` adds rules a schema cannot say, returning ``"field: problem"``.
    """

    def check_all(section: Mapping[str, Any]) -> str | None:
        problem = quiet_hours.problem(section.get("quiet_hours") or [])
        if problem is None and check is not None:
            problem = check(section)
        return problem

    return SettingsSection(
        name=name,
        description=description,
        schema={
            "type": "object",
            "properties": {**COMMON_PROPERTIES, **properties},
            "additionalProperties": False,
        },
        defaults={**COMMON_DEFAULTS, **defaults},
        internal_fields=frozenset({"snoozed_until"}),
        write_only_fields=frozenset(write_only),
        check=check_all,
    )
