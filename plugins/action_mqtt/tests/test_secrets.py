"""The broker password is set through POST /settings and never read back: not in a GET,
the export, a log line, GET /actions or anything published on the broker."""

from __future__ import annotations

import json

from conftest import PASSWORD, ROOT, USER, mqtt_details

from seccam_core.testing import wait_until


def test_the_password_is_write_only_and_never_leaks(broker_factory, subscriber_factory,
                                                    mqtt_server, seccam_data_dir):
    broker = broker_factory(password=True)
    subscriber = subscriber_factory(broker)
    settings = broker.settings()
    del settings["password"]
    server = mqtt_server(settings)
    # Without the password the broker refuses us, and says so in GET /actions.
    error = wait_until(lambda: mqtt_details(server)["last_error"], 15, "the refusal")
    assert "authori" in error.lower()
    answer = server.http.post("/settings", json={"Mqtt": {"password": PASSWORD}})
    assert answer.status_code == 200
    subscriber.wait_for(f"{ROOT}/availability", b"online", timeout=20)
    shown = server.http.get("/settings").json()["Mqtt"]
    assert shown["password_set"] is True and "password" not in shown
    assert shown["username"] == USER
    # A write that leaves it out keeps it (a GET document posted back as it is).
    mark = subscriber.mark()
    server.http.post("/settings", json={"Mqtt": {**shown, "device_name": "Hall"}}
                     ).raise_for_status()
    subscriber.wait_for(f"{ROOT}/availability", b"online", since=mark, timeout=20)
    # A wrong one is refused by the broker; the error names no password.
    server.http.post("/settings", json={"Mqtt": {"password": "wrong-" + PASSWORD}}
                     ).raise_for_status()
    wait_until(lambda: not mqtt_details(server)["connected"]
               and mqtt_details(server)["last_error"], 15, "the wrong password refused")
    server.http.post("/settings", json={"Mqtt": {"password": PASSWORD}}).raise_for_status()
    wait_until(lambda: mqtt_details(server)["connected"], 20, "connected again")

    everything = [
        server.http.get("/settings").text,
        server.http.get("/settings/export").text,
        server.http.get("/actions").text,
        server.http.get("/actions/mqtt/deliveries").text,
    ]
    everything += [m.payload.decode("utf-8", "replace") for m in subscriber.messages]
    server.stop()
    everything += [p.read_text() for p in (seccam_data_dir / "logs").rglob("*.log*")]
    assert not [text for text in everything if PASSWORD in text]
    assert json.loads(everything[0])["Mqtt"]["password_set"] is True
