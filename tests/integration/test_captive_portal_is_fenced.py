"""The captive portal, installed with everything else, changes only the test namespace.

The conftest points ``CaptivePortal.iptables_command`` into the session's network
namespace; this proves it: the redirect rule appears there, and the host's nat table
(checked again when the run ends) is untouched.
"""

from __future__ import annotations

import subprocess

from netns_fence import host_nat_rules
from recording_kit import add_settings, wait_until

REDIRECT = "--dport 80 -j REDIRECT --to-ports 3000"


def test_the_portal_rule_lands_in_the_namespace_not_on_the_host(
        integration_netns, seccam_live_server, seccam_data_dir):
    host_before = host_nat_rules()
    # On, as on a Pi with its access point (off by default where there is no ap0).
    add_settings(seccam_data_dir, {"CaptivePortal": {"enabled": True}})
    # Start from an empty table, so the rule found below is this server's doing.
    subprocess.run([*integration_netns.iptables_command, "-t", "nat", "-F", "PREROUTING"],
                   check=True, capture_output=True)
    server = seccam_live_server(entry_points=True)
    client = server.client()

    def namespace_rules() -> list[str]:
        listing = subprocess.run([*integration_netns.iptables_command, "-t", "nat", "-S"],
                                 capture_output=True, text=True, check=True)
        return [line for line in listing.stdout.splitlines() if REDIRECT in line]

    status = wait_until(lambda: (s := client.get("/captive-portal").json())["active"] and s,
                        20, "the portal's rule")
    assert status["enabled"] is True
    assert namespace_rules() == ["-A PREROUTING -i ap0 -p tcp -m tcp " + REDIRECT]
    assert host_nat_rules() == host_before
