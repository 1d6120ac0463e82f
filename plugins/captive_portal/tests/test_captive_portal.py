"""The captive portal over HTTP against a live server, with real iptables in a namespace.

Every server here is configured (in settings.json, before it starts) to run iptables
inside the test's own network namespace, so the host's tables are never touched.
"""

from __future__ import annotations

import json
import sys

import seccam_captive_portal
from seccam_captive_portal.portal import PORTAL


def test_plugin_is_installed(seccam_live_server, netns, portal_settings):
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(entry_points=True)
    plugins = {p["name"]: p for p in server.client().get("/plugins").json()["plugins"]}
    assert "captive_portal" in plugins
    assert plugins["captive_portal"]["error"] is None
    assert plugins["captive_portal"]["distribution"] == "seccam-captive-portal"


def test_enabled_adds_the_rule_at_startup(seccam_live_server, netns, portal_settings,
                                                     backend):
    netns.iptables = backend
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    rules = netns.wait_for_rules(1)
    assert rules == ["-A PREROUTING -i ap0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3000"]
    assert server.client().get("/captive-portal").json() == {"enabled": True, "active": True}


def test_post_removes_and_adds_the_rule_in_the_kernel(seccam_live_server, netns,
                                                      portal_settings, seccam_data_dir, backend):
    netns.iptables = backend
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    client = server.client()
    netns.wait_for_rules(1)

    off = client.post("/captive-portal", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert off.json() == {"enabled": False, "active": False}
    assert netns.redirect_rules() == []
    assert client.get("/captive-portal").json() == {"enabled": False, "active": False}
    saved = json.loads((seccam_data_dir / "settings.json").read_text())
    assert saved["CaptivePortal"]["enabled"] is False

    on = client.post("/captive-portal", json={"enabled": True})
    assert on.json() == {"enabled": True, "active": True}
    again = client.post("/captive-portal", json={"enabled": True})
    assert again.json() == {"enabled": True, "active": True}
    assert len(netns.redirect_rules()) == 1  # checked before adding: never a duplicate


def test_disabling_removes_every_copy(seccam_live_server, netns, portal_settings):
    portal_settings(iptables_command=netns.command(), enabled=False)
    for _ in range(3):
        netns.add_rule()
    server = seccam_live_server(seccam_captive_portal)
    assert netns.wait_for_rules(0) == []  # the startup sync removed all three

    for _ in range(2):
        netns.add_rule()
    response = server.client().post("/captive-portal", json={"enabled": False})
    assert response.json() == {"enabled": False, "active": False}
    assert netns.redirect_rules() == []


def test_active_is_read_from_the_kernel_not_from_memory(seccam_live_server, netns,
                                                        portal_settings):
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    netns.wait_for_rules(1)
    netns.delete_rule()
    assert server.client().get("/captive-portal").json() == {"enabled": True, "active": False}


def test_enabled_must_be_a_real_boolean(seccam_live_server, netns, portal_settings):
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    client = server.client()
    netns.wait_for_rules(1)
    for body in ({"enabled": "false"}, {"enabled": 0}, {"enabled": None}, {},
                 {"enabled": False, "extra": 1}):
        response = client.post("/captive-portal", json=body)
        assert response.status_code == 400, body
        assert "error" in response.json()
    not_json = client.post("/captive-portal", content=b"enabled=false",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 415
    assert client.get("/captive-portal").json() == {"enabled": True, "active": True}
    assert len(netns.redirect_rules()) == 1


def test_iptables_failure_is_a_json_error_and_changes_nothing(seccam_live_server, netns,
                                                              portal_settings, seccam_data_dir):
    # A namespace that does not exist: `ip netns exec` fails as iptables would.
    portal_settings(iptables_command=["ip", "netns", "exec", netns.name + "-gone", "iptables"])
    server = seccam_live_server(seccam_captive_portal)
    client = server.client()

    response = client.post("/captive-portal", json={"enabled": False})
    assert response.status_code == 502
    error = response.json()["error"]
    assert "-gone" in error and "not changed" in error
    status = client.get("/captive-portal")
    assert status.status_code == 200
    assert status.json()["enabled"] is True
    assert status.json()["active"] is None
    assert "-gone" in status.json()["error"]
    saved = json.loads((seccam_data_dir / "settings.json").read_text())
    assert saved["CaptivePortal"]["enabled"] is True


def test_missing_iptables_is_503(seccam_live_server, portal_settings):
    portal_settings(iptables_command=["/nonexistent/iptables"])
    server = seccam_live_server(seccam_captive_portal)
    response = server.client().post("/captive-portal", json={"enabled": False})
    assert response.status_code == 503
    assert "not installed" in response.json()["error"]


def test_the_command_cannot_be_set_through_the_api(seccam_live_server, netns, portal_settings):
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    response = server.client().post(
        "/settings", json={"CaptivePortal": {"iptables_command": ["touch", "/tmp/pwned"]}}
    )
    assert response.status_code == 400
    assert "CaptivePortal.iptables_command" in response.json()["error"]


def test_changing_interface_through_settings_moves_the_rule(seccam_live_server, netns,
                                                            portal_settings):
    portal_settings(iptables_command=netns.command())
    server = seccam_live_server(seccam_captive_portal)
    client = server.client()
    netns.wait_for_rules(1)
    response = client.post("/settings", json={"CaptivePortal": {"interface": "wlan1",
                                                                "dashboard_port": 8080}})
    assert response.status_code == 200, response.text
    expected = ["-A PREROUTING -i wlan1 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080"]
    assert netns.wait_for_rules(expected) == expected  # the old ap0 rule is gone
    assert client.get("/captive-portal").json() == {"enabled": True, "active": True}
    bad = client.post("/settings", json={"CaptivePortal": {"interface": "-j ACCEPT"}})
    assert bad.status_code == 400
    assert "CaptivePortal.interface" in bad.json()["error"]


def test_startup_does_not_wait_for_iptables(seccam_live_server, netns, portal_settings):
    """A slow iptables (a wrapper that sleeps 3 s first) must not hold up the server."""
    slow = [sys.executable, "-c",
            "import os, sys, time; time.sleep(3); os.execvp(sys.argv[1], sys.argv[1:])"]
    portal_settings(iptables_command=[*slow, *netns.command()])
    server = seccam_live_server(seccam_captive_portal)
    status = server.client(token=None).get("/auth/status")
    assert status.status_code == 200
    assert netns.redirect_rules() == []  # the server answers while the sync still runs
    assert len(netns.wait_for_rules(1)) == 1


def test_off_by_default_unless_the_access_point_interface_exists(
        seccam_live_server, netns, seccam_data_dir, tmp_path):
    """Tried as root on a laptop, the portal must not touch its firewall."""
    from seccam_captive_portal.portal import section

    assert section(tmp_path).defaults["enabled"] is False
    (tmp_path / "ap0").mkdir()
    assert section(tmp_path).defaults["enabled"] is True
    (seccam_data_dir / "settings.json").write_text(json.dumps(
        {"CaptivePortal": {"iptables_command": netns.command()}}))
    server = seccam_live_server(seccam_captive_portal)
    assert server.client().get("/captive-portal").json() == {"enabled": False, "active": False}
    server.call(lambda: server.seccam.require(PORTAL).wait_idle())
    assert netns.redirect_rules() == []


def test_without_iptables_both_routes_refuse_and_off_logs_no_error(
        seccam_live_server, seccam_data_dir, caplog):
    (seccam_data_dir / "settings.json").write_text(json.dumps({"CaptivePortal": {
        "enabled": False, "iptables_command": ["/nonexistent/iptables"]}}))
    server = seccam_live_server(seccam_captive_portal)
    client = server.client()
    server.call(lambda: server.seccam.require(PORTAL).wait_idle())
    assert client.post("/captive-portal", json={"enabled": True}).status_code == 503
    by_settings = client.post("/settings", json={"CaptivePortal": {"enabled": True}})
    assert by_settings.status_code == 400
    assert "not installed" in by_settings.json()["error"]
    assert client.get("/settings").json()["CaptivePortal"]["enabled"] is False
    assert not [r for r in caplog.records
                if r.levelname == "ERROR" and "captive" in r.getMessage()]
