"""Actions run on their own: a failing or hanging action never stops another."""

import asyncio

from seccam_core.actions import ActionRunner
from seccam_core.contributions import ActionType
from seccam_core.events import EventBus


async def test_actions_are_isolated_and_ordered(caplog):
    bus = EventBus()
    seen: list[int] = []

    async def good(event, ctx):
        seen.append(event.data["n"])

    async def failing(event, ctx):
        raise RuntimeError("notifier down")

    async def hanging(event, ctx):
        await asyncio.Event().wait()

    runner = ActionRunner(bus, [
        ActionType("failing", frozenset({"door"}), failing),
        ActionType("hanging", frozenset({"door"}), hanging, timeout=0.05),
        ActionType("good", frozenset({"door"}), good),
    ], context_seccam=None)
    runner.start()
    for n in range(5):
        bus.publish("door", {"n": n})
    bus.publish("other", {"n": 99})
    await asyncio.wait_for(runner.drain(), 5)
    await runner.stop()
    assert seen == [0, 1, 2, 3, 4]
    assert runner.failures == {"failing": 5, "hanging": 5, "good": 0}
    assert "notifier down" in caplog.text and "timed out" in caplog.text
