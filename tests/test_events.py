"""Live events over real HTTP: framing, ids, replay, heartbeats, bounded queues."""

import asyncio
import threading

import httpx

from seccam_core.events import EventBus
from seccam_core.testing import wait_until


def publish(server, event_type, data):
    return server.call(lambda: server.seccam.bus.publish(event_type, data))


def test_events_arrive_framed_with_increasing_ids(seccam_live_server):
    server = seccam_live_server()
    reader = server.events()
    for n in range(3):
        publish(server, "tick", {"n": n})
    events = [reader.wait_for("tick") for _ in range(3)]
    assert [e.data["n"] for e in events] == [0, 1, 2]
    assert events[0].id < events[1].id < events[2].id


def test_raw_frame_and_headers(seccam_live_server):
    server = seccam_live_server(heartbeat_seconds=0.2)
    with httpx.Client(timeout=5) as client, client.stream(
        "GET", f"{server.url}/events?token={server.token}"
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        lines = response.iter_lines()
        assert next(lines) == ": heartbeat"
        event = publish(server, "door", {"open": True})
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith("data:"):
                break
        assert seen[-3:] == [f"id: {event.id}", "event: door", 'data: {"open":true}']


def test_heartbeat_after_silence(seccam_live_server):
    server = seccam_live_server(heartbeat_seconds=0.2)
    with httpx.Client(timeout=5) as client, client.stream(
        "GET", f"{server.url}/events", headers={"Authorization": f"Bearer {server.token}"}
    ) as response:
        lines = response.iter_lines()
        # The camera's start may publish an event first: read past it.
        comments = [line for line in (next(lines) for _ in range(12)) if line == ": heartbeat"]
        assert len(comments) >= 2


def test_reconnect_with_last_event_id_replays_what_was_missed(seccam_live_server):
    server = seccam_live_server()
    first = publish(server, "tick", {"n": 1})
    publish(server, "tick", {"n": 2})
    publish(server, "tick", {"n": 3})
    reader = server.events(last_event_id=first.id)
    assert [reader.wait_for("tick").data["n"] for _ in range(2)] == [2, 3]


def test_regenerating_the_token_closes_open_streams(seccam_live_server):
    server = seccam_live_server()
    reader = server.events()
    server.client().post("/auth/regenerate")
    while True:  # drain whatever was queued; the stream must end
        event = reader.next(timeout=5)
        if event is None:
            break


def test_stream_cap_answers_503(seccam_live_server):
    server = seccam_live_server(max_sse_streams=1)
    server.events()
    response = server.client().get("/events")
    assert response.status_code == 503
    assert "too many" in response.json()["error"]


async def test_a_stalled_subscriber_is_dropped_and_others_get_everything():
    bus = EventBus(queue_size=8)
    stalled = bus.subscribe()
    healthy = bus.subscribe()
    received = []
    for n in range(50):
        bus.publish("tick", {"n": n})
        received.append(await healthy.next_frame(1))
    assert stalled.closed and "too slow" in stalled.close_reason
    assert await stalled.next_frame(1) is None
    assert len(received) == 50 and b'"n":49' in received[-1]
    assert bus.subscriber_count == 1


def test_ids_keep_growing_across_restarts():
    first = EventBus().publish("x", {})
    second = EventBus().publish("x", {})
    assert second.id >= first.id


async def test_a_burst_is_one_chunk():
    bus = EventBus()
    subscription = bus.subscribe()
    for n in range(3):
        bus.publish("tick", {"n": n})
    chunk = await subscription.next_frames(1)
    assert chunk.count(b"event: tick") == 3 and chunk.index(b'"n":0') < chunk.index(b'"n":2')
    subscription.close("done")
    assert await subscription.next_frames(1) is None


async def test_a_heartbeat_comes_only_after_silence():
    """Frames every 0.05 s keep a 0.25 s heartbeat away; then silence brings one, and
    another after as much silence again."""
    bus = EventBus()
    subscription = bus.subscribe()
    loop = asyncio.get_running_loop()
    for n in range(12):
        loop.call_later(0.05, bus.publish, "tick", {"n": n})
        assert (await subscription.next_frames(0.25)).startswith(b"id: ")
    began = loop.time()
    assert await subscription.next_frames(0.25) == b""
    assert 0.2 <= loop.time() - began < 1.0
    assert await subscription.next_frames(0.25) == b""
    assert loop.time() - began >= 0.45
    subscription.close("done")
    assert await subscription.next_frames(0.25) is None


async def test_a_stream_dropped_before_its_first_byte_holds_no_subscriber(seccam_app):
    """The answer exists but its body is never read (the client went away first)."""
    from seccam_core.api.events import events

    app = seccam_app.app
    bus = seccam_app.seccam.bus
    for replay in (None, "1", "bogus"):
        headers = {"Last-Event-ID": replay} if replay else {}
        for _ in range(20):
            async with app.test_request_context("/events", headers=headers):
                response = await events()
            assert bus.subscriber_count == 0
            del response
    async with app.test_request_context("/events"):
        response = await events()
    body = response.response.__aiter__()
    assert await body.__anext__() == b": heartbeat\n\n"
    assert bus.subscriber_count == 1, "subscribed once the body is read"
    await body.aclose()
    assert bus.subscriber_count == 0


def test_a_burst_of_new_streams_never_exceeds_the_cap(seccam_live_server):
    """A hundred streams opened at once against a cap of three: three are served, the
    rest get the 503 at once, and places freed by closed streams are given again. (The
    cap is checked in the view and taken when the body starts: this guards the gap.)"""
    server = seccam_live_server(max_sse_streams=3)
    opened: list[httpx.Response] = []
    barrier = threading.Barrier(100)
    lock = threading.Lock()
    client = httpx.Client(base_url=server.url, timeout=10,
                          headers={"Authorization": f"Bearer {server.token}"},
                          limits=httpx.Limits(max_connections=120))

    def open_one() -> None:
        barrier.wait()
        response = client.send(client.build_request("GET", "/events"), stream=True)
        with lock:
            opened.append(response)

    threads = [threading.Thread(target=open_one) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    served = [r for r in opened if r.status_code == 200]
    assert len(opened) == 100
    assert len(served) == 3, [r.status_code for r in opened]
    assert {r.status_code for r in opened if r not in served} == {503}
    wait_until(lambda: server.call(lambda: server.seccam.bus.subscriber_count) == 3, 10,
               "three subscribers")
    for response in opened:
        response.close()
    wait_until(lambda: server.call(lambda: server.seccam.bus.subscriber_count) == 0, 10,
               "the closed streams gone")
    again = server.events()  # a place freed is given again
    server.call(lambda: server.seccam.bus.publish("tick", {"n": 1}))
    assert again.wait_for("tick").data == {"n": 1}
    client.close()
