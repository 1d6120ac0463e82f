"""A benchmark-only plugin: ``POST /bench/publish`` publishes an event stamped with the
monotonic clock (shared by every process on Linux), so clients can measure delivery."""

from __future__ import annotations

import time

from quart import Blueprint

from seccam_core import hookimpl

blueprint = Blueprint("bench", __name__)


@blueprint.post("/bench/publish")
async def publish() -> dict:
    """Publish one ``bench`` event stamped with ``time.perf_counter()``."""
    from seccam_core.api.context import current_seccam

    current_seccam().bus.publish("bench", {"bench": True, "t": time.perf_counter()})
    return {"ok": True}


@hookimpl
def seccam_register_routes(seccam):
    """The benchmark's route."""
    return [blueprint]
