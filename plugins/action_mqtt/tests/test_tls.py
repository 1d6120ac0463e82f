"""TLS to the broker: Debian's mosquitto on loopback with a TLS listener whose certificate
a CA made for the test signed (openssl). The test subscriber reads the same broker on
its plain listener."""

from __future__ import annotations

import os

import pytest
from conftest import ROOT, make_tls_files, mqtt_details

from seccam_core.testing import wait_until


@pytest.fixture
def tls_files(tmp_path):
    return make_tls_files(tmp_path / "tls")


def test_the_camera_trusts_a_broker_signed_by_the_ca_file_it_is_given(
        broker_factory, subscriber_factory, mqtt_server, tls_files):
    broker = broker_factory(tls=tls_files)
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings(port=broker.tls_port, tls=True,
                                         ca_file=str(tls_files.ca)))
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    details = wait_until(lambda: (d := mqtt_details(server))["connected"] and d, 15,
                         "connected over TLS")
    assert details["last_error"] is None


def test_without_the_ca_the_broker_is_refused_until_the_owner_gives_it(
        broker_factory, subscriber_factory, mqtt_server, tls_files):
    """The system's CAs do not know the test CA: the connection fails with the reason in
    the status, the camera carries on, and setting ca_file connects."""
    broker = broker_factory(tls=tls_files)
    subscriber = subscriber_factory(broker)
    server = mqtt_server(broker.settings(port=broker.tls_port, tls=True))
    details = wait_until(lambda: (d := mqtt_details(server))["last_error"] and d, 15,
                         "the refused certificate in the status")
    assert "certificate" in details["last_error"].lower(), details
    assert details["connected"] is False
    assert server.http.get("/sensor/status").status_code == 200
    assert subscriber.latest(f"{ROOT}/availability") is None

    answer = server.http.post("/settings", json={"Mqtt": {"ca_file": str(tls_files.ca)}})
    assert answer.status_code == 200, answer.text
    subscriber.wait_for(f"{ROOT}/availability", b"online")
    wait_until(lambda: mqtt_details(server)["connected"], 15, "connected over TLS")


def test_a_ca_file_is_judged_by_what_it_resolves_to(mqtt_server, tls_files, tmp_path):
    """Not how it is spelled: a device, a kernel file, a folder, a key, a file that is no
    certificate, a missing or relative path, or a link to any of them is a 400 naming
    the field, and nothing is stored."""
    server = mqtt_server({"enabled": False})
    (tmp_path / "to-zero").symlink_to("/dev/zero")
    (tmp_path / "to-key").symlink_to(tls_files.key)
    big = tmp_path / "big.pem"
    big.write_bytes(tls_files.ca.read_bytes() * (2 * 2**20 // tls_files.ca.stat().st_size))
    unreadable = [
        "/dev/zero", "/proc/self/environ", "/sys/kernel/mm/transparent_hugepage/enabled",
        "/etc", "/etc/hostname", str(tls_files.key), str(tls_files.key.parent / "ca.srl"),
        str(tmp_path / "missing.crt"), "ca.crt", "../tls/ca.crt", str(tmp_path / "to-zero"),
        str(tmp_path / "to-key"), str(big), "/proc/self/cwd/" + "../" * 64 + "dev/zero",
    ]
    for value in unreadable:
        answer = server.http.post("/settings", json={"Mqtt": {"ca_file": value}})
        assert answer.status_code == 400, (value, answer.text)
        assert answer.json()["error"].startswith("Mqtt.ca_file: "), (value, answer.json())
    assert server.http.get("/settings").json()["Mqtt"]["ca_file"] is None
    (tmp_path / "to-ca").symlink_to(tls_files.ca)
    for good in (str(tls_files.ca), str(tmp_path / "to-ca")):
        answer = server.http.post("/settings", json={"Mqtt": {"ca_file": good}})
        assert answer.status_code == 200, (good, answer.text)
    assert os.path.samefile(server.http.get("/settings").json()["Mqtt"]["ca_file"],
                            tls_files.ca)
