"""``seccam serve`` as a real process with every plugin installed (the captive portal too)."""

from __future__ import annotations

import socket
import subprocess
import sys


def test_a_taken_port_is_a_clear_error_even_while_plugins_are_starting(seccam_data_dir):
    """The captive portal starts iptables in the background at startup; a port that
    cannot be bound afterwards must still end the process at once, with the reason
    (it used to hang until killed: the plugin's subprocess was cancelled mid-creation)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "seccam_core.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(seccam_data_dir)],
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert result.returncode == 1, result.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
