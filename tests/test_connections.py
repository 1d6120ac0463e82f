"""Connections: closed when the client goes, capped in total and per address, refused
cheaply, and a process out of descriptors drains its backlog with one log line.

Real hypercorn on loopback (the test kit's live server, or ``GatedSocket`` under
asyncio in a child process with a lowered descriptor limit). Connections "from another
address" come from 127.0.0.2..127.0.0.9: the loopback network answers every 127/8 address.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

import httpx
import psutil
from hypothesis import given, settings
from hypothesis import strategies as st

from seccam_core.connections import (
    REFUSAL,
    ConnectionGate,
    ConnectionLimits,
    LogThrottle,
)
from seccam_core.server import KEEP_ALIVE_SECONDS
from seccam_core.testing import wait_until

NO_CAMERA = frozenset({"builtin.media"})


def connect(server, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5,
                                    source_address=(source, 0))
    return sock


def server_sockets(server, status: str) -> int:
    """The server's (this process's) sockets on its port in TCP state ``status``."""
    return sum(1 for c in psutil.Process().net_connections(kind="tcp")
               if c.laddr and c.laddr.port == server.port and c.status == status)


def settled(server):
    """The server with no connection open (the live server's own readiness check gone)."""
    wait_until(lambda: server_sockets(server, psutil.CONN_ESTABLISHED) == 0, 5,
               "the server's connections closed")
    return server


def get_status(server, source: str) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=5) as client:
        return client.get(server.url + "/sensor/status",
                          headers={"Authorization": f"Bearer {server.token}"})


def refused(sock: socket.socket) -> bool:
    """True when the server answered the connection with the cheap 503 and closed it."""
    sock.settimeout(5)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received == REFUSAL


# --- closing --------------------------------------------------------------------------


def test_a_connection_the_client_closed_is_closed_at_once(seccam_live_server):
    """Before: each one stayed open (CLOSE_WAIT, holding a descriptor) for the keep-alive."""
    server = seccam_live_server(disabled_plugins=NO_CAMERA)
    for _ in range(50):
        connect(server).close()
    client = server.client()  # one full request cycle on a kept-alive connection too
    assert client.get("/sensor/status").status_code == 200
    client.close()
    wait_until(lambda: server_sockets(server, psutil.CONN_CLOSE_WAIT) == 0
               and server_sockets(server, psutil.CONN_ESTABLISHED) == 0,
               timeout=KEEP_ALIVE_SECONDS / 2, what="no connection left open by the server")


def test_an_idle_connection_is_closed_after_the_short_keep_alive(seccam_live_server):
    server = seccam_live_server(disabled_plugins=NO_CAMERA)
    sock = connect(server)
    sock.sendall(b"GET /auth/status HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.settimeout(KEEP_ALIVE_SECONDS + 5)
    received = b""
    while chunk := sock.recv(4096):  # the answer, then EOF when the server closes
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    sock.close()


# --- caps -----------------------------------------------------------------------------


def test_one_address_cannot_take_every_connection(seccam_live_server):
    server = settled(seccam_live_server(disabled_plugins=NO_CAMERA, max_connections=8,
                                        max_connections_per_address=3))
    held = [connect(server) for _ in range(3)]
    wait_until(lambda: server_sockets(server, psutil.CONN_ESTABLISHED) == 3, 5)
    over = connect(server)
    assert refused(over), "the address's 4th connection is refused with a 503"
    answer = get_status(server, "127.0.0.2")
    assert answer.status_code == 200, "another address is still served"
    for sock in held:
        sock.close()
    wait_until(lambda: get_status(server, "127.0.0.1").status_code == 200, 5,
               "the address is served again once it closed its connections")


def test_the_total_cap_refuses_every_address(seccam_live_server):
    server = settled(seccam_live_server(disabled_plugins=NO_CAMERA, max_connections=4,
                                        max_connections_per_address=4))
    held = [connect(server, f"127.0.0.{n}") for n in range(2, 6)]
    wait_until(lambda: server_sockets(server, psutil.CONN_ESTABLISHED) == 4, 5)
    assert refused(connect(server, "127.0.0.9"))
    held.pop().close()
    wait_until(lambda: get_status(server, "127.0.0.9").status_code == 200, 5,
               "a place freed by a closed connection is given to the next one")
    for sock in held:
        sock.close()


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(64, 1 << 20),
       total=st.none() | st.integers(1, 1 << 20),
       per_address=st.none() | st.integers(1, 1 << 20))
def test_caps_always_leave_descriptors_reserved(limit, total, per_address):
    limits = ConnectionLimits.from_descriptors(limit, total, per_address)
    assert 1 <= limits.per_address <= limits.total
    assert limits.total <= limit - min(256, limit // 4), "descriptors stay for the rest"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), max_size=200),
       st.integers(1, 12), st.integers(1, 12))
def test_the_gate_never_admits_over_a_cap_and_counts_back_to_zero(steps, total, per_address):
    gate = ConnectionGate(ConnectionLimits(total, min(per_address, total)))
    gate.throttle = LogThrottle(interval=1e9)
    admitted: list[str] = []
    for opening, who in steps:
        address = f"10.0.0.{who}"
        if opening:
            expected = (len(admitted) < gate.limits.total
                        and admitted.count(address) < gate.limits.per_address)
            assert gate.admit(address) == expected
            if expected:
                admitted.append(address)
        elif address in admitted:
            admitted.remove(address)
            gate.release(address)
        assert gate.open == len(admitted)
        assert gate.held_by(address) == admitted.count(address)
    for address in list(admitted):
        gate.release(address)
    assert gate.open == 0 and gate.held_by("10.0.0.0") == 0


def test_log_throttle_counts_what_it_held_back(caplog):
    now = [0.0]
    throttle = LogThrottle(interval=10, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="seccam_core.connections"):
        assert throttle.log(30, "k", "refusing")
        for _ in range(500):
            assert not throttle.log(30, "k", "refusing")
        now[0] = 10.5
        assert throttle.log(30, "k", "refusing")
    assert [r.getMessage() for r in caplog.records] == [
        "refusing", "refusing (500 more since the last such line)"]


# --- out of descriptors -------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import asyncio, logging, os, resource, socket, sys
    from seccam_core.connections import ConnectionGate, ConnectionLimits, GatedSocket
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    async def main():
        plain = socket.create_server(("127.0.0.1", 0))
        listener = GatedSocket.adopt(plain, ConnectionGate(ConnectionLimits(1000, 1000)))
        async def handle(reader, writer):
            writer.close()
        await asyncio.start_server(handle, sock=listener, backlog=100)
        fillers = []
        while True:  # use up every descriptor
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        print(listener.getsockname()[1], flush=True)
        await asyncio.sleep(float(sys.argv[1]))
    asyncio.run(main())
""")


def test_out_of_descriptors_refuses_pending_connections_with_one_log_line():
    """Before: asyncio retried every pending connection each tick, logging a traceback for
    each one (thousands a second), and left the clients hanging."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, "4"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
        assert all(refused(sock) for sock in clients)
    finally:
        _, stderr = child.communicate(timeout=20)
    assert stderr.count("out of file descriptors") == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "out of system resource" not in stderr


def test_refusal_is_a_json_503():
    head, body = REFUSAL.split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 ")
    assert json.loads(body) == {"error": "too many open connections"}
    assert f"content-length: {len(body)}".encode() in head


def test_connect_and_close_never_accumulates(seccam_live_server):
    """A burst of connect-and-close cycles from one address under a per-address cap far
    below the burst: every authenticated request after it is served."""
    server = seccam_live_server(disabled_plugins=NO_CAMERA, max_connections=40,
                                max_connections_per_address=20)
    for _ in range(200):
        connect(server).close()
    wait_until(lambda: get_status(server, "127.0.0.1").status_code == 200, 2,
               "the storm's address is served right after it")
