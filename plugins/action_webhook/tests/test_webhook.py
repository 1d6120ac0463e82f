"""The webhook action over real HTTP: Standard Webhooks signatures, retries, snapshots."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json

import pytest
from seccam_action_webhook import WEBHOOK_ACTION, new_secret, run
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from seccam_core import ActionContext, TransientError
from seccam_core.testing import wait_until


def context(settings, memo=None, delivery_id="msg_1"):
    return ActionContext(None, WEBHOOK_ACTION, delivery_id=delivery_id,  # type: ignore[arg-type]
                         memo=memo if memo is not None else {}, settings=settings)


def test_plugin_is_installed(seccam_live_server):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "action_webhook" in names


def test_a_mock_trigger_gives_incident_webhooks_that_standardwebhooks_verifies(
        camera_server, seccam_receiver):
    receiver = seccam_receiver
    secret = new_secret()
    server = camera_server({"enabled": True, "endpoints": [
        {"url": receiver.url + "/hook", "secret": secret}]})
    wait_until(lambda: server.http.get("/camera/status").json()["buffered_seconds"] >= 1,
               30, "the camera's pre-roll")
    server.http.post("/sensor/mock/trigger").raise_for_status()
    server.http.post("/sensor/mock/release").raise_for_status()
    requests = receiver.wait_for(3, timeout=30)
    verifier = Webhook(secret)
    states = []
    for request in requests[:3]:
        verified = verifier.verify(request.body, request.headers)
        assert verified["type"] == "seccam.incident"
        states.append(verified["data"]["state"])
    assert states == ["new", "update", "end"]
    ids = {request.json()["data"]["id"] for request in requests[:3]}
    assert len(ids) == 1
    end = requests[2].json()["data"]
    assert end["clip"].endswith(".mp4") and end["snapshot"].endswith(".jpg")
    assert len({request.header("webhook-id") for request in requests[:3]}) == 3
    # A forged body is refused by the same library.
    with pytest.raises(WebhookVerificationError):
        verifier.verify(requests[0].body + b" ", requests[0].headers)


async def test_5xx_and_network_errors_are_retried_with_the_same_id_4xx_is_not(
        seccam_receiver, seccam_event):
    receiver = seccam_receiver
    secret = new_secret()
    settings = {"endpoints": [{"url": receiver.url, "secret": secret}]}
    event = seccam_event("incident", {"id": "inc_1", "state": "new"})
    memo: dict = {}
    receiver.answer(503)
    with pytest.raises(TransientError, match="HTTP 503"):
        await run(event, context(settings, memo, "msg_7"))
    receiver.down()
    with pytest.raises(TransientError, match="ConnectError"):
        await run(event, context(settings, memo, "msg_7"))
    receiver.up()
    receiver.answer(200)
    assert await run(event, context(settings, memo, "msg_7")) is True
    # Already delivered: a further attempt of the same message sends nothing again.
    assert await run(event, context(settings, memo, "msg_7")) is True
    got = receiver.wait_for(2)
    assert [r.header("webhook-id") for r in got] == ["msg_7", "msg_7"]
    for request in got:
        Webhook(secret).verify(request.body, request.headers)
    receiver.answer(404)
    with pytest.raises(RuntimeError, match="404"):
        await run(event, context(settings, {}, "msg_8"))


async def test_a_hanging_endpoint_times_out_as_a_transient_failure(
        seccam_receiver, seccam_event, monkeypatch):
    import seccam_action_webhook

    monkeypatch.setattr(seccam_action_webhook, "REQUEST_TIMEOUT", 0.3)
    receiver = seccam_receiver
    receiver.answer(200, delay=5)
    with pytest.raises(TransientError, match="Timeout"):
        await run(seccam_event("incident", {"id": "i"}),
                  context({"endpoints": [{"url": receiver.url}]}))


def test_the_runner_retries_until_the_receiver_answers(camera_server, seccam_receiver,
                                                       fast_retries):
    delays, sleep = fast_retries
    receiver = seccam_receiver
    receiver.answer(500)
    server = camera_server({"enabled": True, "endpoints": [{"url": receiver.url}]})
    server.seccam.action_runner.sleep = sleep
    result = server.http.post("/actions/webhook/test").json()
    assert result == {"outcome": "failed", "attempts": 9, "error": "endpoint 0: HTTP 500"}
    assert len(delays) == 8 and delays[3] > delays[0]  # exponential, with jitter
    assert all(d <= 30 for d in delays)
    ids = {r.header("webhook-id") for r in receiver.wait_for(9)}
    assert len(ids) == 1
    deliveries = server.http.get("/actions/webhook/deliveries").json()["deliveries"]
    assert deliveries[0]["outcome"] == "failed" and deliveries[0]["attempts"] == 9
    listed = {a["name"]: a for a in server.http.get("/actions").json()["actions"]}
    assert listed["webhook"]["failed"] == 1 and listed["webhook"]["retries"] == 8


def test_the_snapshot_rides_along_as_multipart_bound_to_the_signed_payload(
        camera_server, seccam_receiver):
    receiver = seccam_receiver
    secret = new_secret()
    server = camera_server({"enabled": True, "endpoints": [
        {"url": receiver.url, "secret": secret, "snapshot": True}]})
    wait_until(lambda: server.http.get("/camera/status").json()["state"] == "running", 30,
               "the camera")
    server.http.post("/sensor/mock/trigger").raise_for_status()
    updates = wait_until(lambda: [r for r in receiver.requests
                                  if r.header("content-type").startswith("multipart/")], 30,
                         "the incident update with its snapshot")
    request = updates[0]
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        b"Content-Type: " + request.header("content-type").encode() + b"\r\n\r\n"
        + request.body)
    parts = {part.get_param("name", header="content-disposition"): part
             for part in message.iter_parts()}
    assert parts["snapshot"].get_content_type() == "image/jpeg"
    assert parts["snapshot"].get_content().startswith(b"\xff\xd8")
    signed = parts["payload"].get_content()
    verified = Webhook(secret).verify(signed, request.headers)
    assert verified["data"]["state"] == "update"
    image = parts["snapshot"].get_content()
    assert verified["snapshot_sha256"] == hashlib.sha256(image).hexdigest()
    server.http.post("/sensor/mock/release").raise_for_status()


def test_the_secret_is_write_only(camera_server, seccam_receiver, seccam_data_dir):
    receiver = seccam_receiver
    server = camera_server({"enabled": True, "endpoints": []})
    events = server.events()
    secret = new_secret()
    answer = server.http.post("/settings", json={"Webhook": {"endpoints": [
        {"url": receiver.url, "secret": secret}]}})
    assert answer.status_code == 200, answer.text
    shown = server.http.get("/settings").json()["Webhook"]["endpoints"]
    assert shown == [{"url": receiver.url, "secret_set": True}]
    # Writing back what GET showed (no secret) keeps the secret.
    server.http.post("/settings", json={"Webhook": {"endpoints": shown, "cooldown_seconds": 1}}
                     ).raise_for_status()
    server.http.post("/actions/webhook/test").raise_for_status()
    Webhook(secret).verify(receiver.wait_for(1)[0].body, receiver.requests[0].headers)
    for path in ("/settings", "/settings/export", "/actions", "/actions/webhook/deliveries",
                 "/openapi.json"):
        assert secret not in server.http.get(path).text, path
    server.stop()  # closes the event stream: read everything it carried
    seen = list(iter(lambda: events.next(5), None))
    assert any(e.type == "settings_changed" for e in seen)
    assert secret not in "".join(str(e.data) for e in seen)
    logs = "".join(p.read_text() for p in (seccam_data_dir / "logs").rglob("*.log*"))
    assert secret not in logs


@pytest.mark.parametrize(("change", "field"), [
    ({"endpoints": [{"url": "ftp://127.0.0.1/x"}]}, "Webhook.endpoints.0.url"),
    ({"endpoints": [{"url": "http://127.0.0.1/", "secret": "nope"}]},
     "Webhook.endpoints.0.secret"),
    ({"cooldown_seconds": -1}, "Webhook.cooldown_seconds"),
    ({"quiet_hours": [{"start": "22:00", "end": "07:00"}, {"start": "06:00", "end": "08:00"}]},
     "Webhook.quiet_hours.1"),
    ({"quiet_hours": [{"start": "25:00", "end": "07:00"}]}, "Webhook.quiet_hours.0.start"),
])
def test_bad_settings_are_a_400_naming_the_field_and_nothing_is_stored(
        seccam_live_server, change, field):
    import seccam_action_webhook

    server = seccam_live_server(seccam_action_webhook)
    http = server.client()
    before = http.get("/settings").json()["Webhook"]
    answer = http.post("/settings", json={"Webhook": change})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(field), answer.text
    assert http.get("/settings").json()["Webhook"] == before


def test_the_server_stops_promptly_while_a_webhook_hangs(seccam_live_server, seccam_receiver,
                                                        seccam_data_dir):
    """A delivery stuck in a receiver that never answers does not hold up the shutdown."""
    import json
    import time

    import seccam_action_webhook

    seccam_receiver.answer(200, delay=30)
    (seccam_data_dir / "settings.json").write_text(json.dumps({"Webhook": {
        "enabled": True, "endpoints": [{"url": seccam_receiver.url,
                                        "events": ["sensor_state"]}]}}))
    server = seccam_live_server(seccam_action_webhook)
    http = server.client()
    server.call(lambda: server.seccam.bus.publish("sensor_state", {"triggered": True}))
    seccam_receiver.wait_for(1)
    listed = {a["name"]: a for a in http.get("/actions").json()["actions"]}
    assert listed["webhook"]["state"] == "busy"
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3


def test_events_no_endpoint_asked_for_never_queue_nor_fill_the_log(
        seccam_live_server, seccam_data_dir, seccam_receiver):
    """600 sensor states (more than the queue holds) while the one endpoint asks for
    incidents only: the incident after them is delivered, and it is the log's only line."""
    import seccam_action_webhook

    (seccam_data_dir / "settings.json").write_text(json.dumps({"Webhook": {
        "enabled": True, "endpoints": [{"url": seccam_receiver.url}]}}))
    server = seccam_live_server(seccam_action_webhook)
    http = server.client()

    def flood() -> None:
        for n in range(600):
            server.seccam.bus.publish("sensor_state", {"n": n, "triggered": bool(n % 2)})
        server.seccam.bus.publish("incident", {"id": "inc_1", "state": "new"})

    server.call(flood)
    delivered = seccam_receiver.wait_for(1)[0].json()
    assert delivered["type"] == "seccam.incident" and delivered["data"]["id"] == "inc_1"
    server.call(server.seccam.action_runner.drain)
    deliveries = http.get("/actions/webhook/deliveries").json()["deliveries"]
    assert [(d["event"], d["outcome"]) for d in deliveries] == [("incident", "sent")]
    listed = {a["name"]: a for a in http.get("/actions").json()["actions"]}["webhook"]
    assert listed["dropped"] == 0 and listed["sent"] == 1
