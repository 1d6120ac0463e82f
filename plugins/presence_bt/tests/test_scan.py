"""POST /bt/scan (and /bluetooth/scan) against dbusmock's BlueZ, over HTTP."""

import threading

from conftest import PHONE, TABLET

from seccam_core.testing import wait_until


def test_plugin_is_installed(seccam_live_server, system_bus):
    server = seccam_live_server(entry_points=True)
    names = [p["name"] for p in server.client().get("/plugins").json()["plugins"]]
    assert "presence_bt" in names


def test_scan_finds_devices_with_name_and_rssi(bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Anna's phone")
    bluez.add_device(TABLET, "Kitchen tablet")
    client = start_server().client()

    response = client.post("/bt/scan", json={"duration": 0.3})

    assert response.status_code == 200, response.text
    devices = {d["address"]: d for d in response.json()["devices"]}
    assert devices[PHONE]["name"] == "Anna's phone"
    assert devices[TABLET]["name"] == "Kitchen tablet"
    assert devices[PHONE]["rssi"] == -79  # the template's value
    called = [name for name, _ in bluez.calls("/org/bluez/hci0")]
    assert called.index("StartDiscovery") < called.index("StopDiscovery")
    assert bluez.adapter()["Discovering"] is False


def test_scan_reports_a_device_that_appears_while_scanning(bluez, start_server):
    bluez.add_adapter()
    client = start_server().client()
    result = {}
    scanning = threading.Thread(
        target=lambda: result.update(r=client.post("/bluetooth/scan", json={"duration": 4})))
    scanning.start()
    wait_until(lambda: bluez.adapter()["Discovering"], what="discovery started")
    bluez.add_device(PHONE, "Late phone")
    scanning.join(30)

    assert result["r"].status_code == 200
    assert [d["address"] for d in result["r"].json()["devices"]] == [PHONE]


def test_concurrent_scans_share_one_discovery_and_do_not_block_other_requests(
        bluez, start_server):
    bluez.add_adapter()
    bluez.add_device(PHONE, "Phone")
    server = start_server(scan_seconds=5)
    results = []

    def scan():
        results.append(server.client().post("/bt/scan"))

    scans = [threading.Thread(target=scan) for _ in range(2)]
    for thread in scans:
        thread.start()
    wait_until(lambda: bluez.adapter()["Discovering"], what="discovery started")
    status = server.client().get("/bt/devices")
    assert status.status_code == 200
    assert any(thread.is_alive() for thread in scans), "the status waited for the scan"
    for thread in scans:
        thread.join(30)

    assert [r.status_code for r in results] == [200, 200]
    assert results[0].json() == results[1].json()
    starts = [name for name, _ in bluez.calls("/org/bluez/hci0") if name == "StartDiscovery"]
    assert starts == ["StartDiscovery"]


def test_scan_duration_is_validated(bluez, start_server):
    bluez.add_adapter()
    client = start_server().client()
    for body in ({"duration": "long"}, {"duration": 0}, {"duration": 1000}):
        response = client.post("/bt/scan", json=body)
        assert response.status_code == 400
        assert response.json()["error"].startswith("duration:")
