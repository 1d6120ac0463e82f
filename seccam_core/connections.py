"""Admitting connections: caps in total and per address, sized from the descriptor limit.

A Pi service has about 1,024 file descriptors. Every open connection holds one, and the
camera, the recorder and ffmpeg's pipes need theirs too, so connections get a budget
below the limit and the rest is reserved. The caps are enforced where a connection is
accepted, before asyncio builds a transport and a task for it: a connection over a cap
costs one ``accept``, one short ``503`` written to the socket and one ``close``.

The listening socket is a :class:`GatedSocket`: asyncio's accept loop calls its
``accept()``, which counts each admitted connection (by client address) until its
socket is closed, refuses what is over a cap, and keeps one spare descriptor so that
even when the process runs out of descriptors the backlog is drained with refusals
instead of asyncio retrying (and logging a traceback for) every pending connection.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

RESERVED_DESCRIPTORS = 256
"""Kept for everything that is not a client connection: camera and recorder ffmpeg pipes,
media files, logs, the database, D-Bus, plugins."""
MAX_CONNECTIONS = 1024
"""Never more client connections than this, whatever the limit: each costs memory."""
_REFUSAL_BODY = b'{"error": "too many open connections"}'
REFUSAL = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
           b"retry-after: 1\r\nconnection: close\r\ncontent-length: "
           + str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY)
"""What a connection over a cap reads before it is closed."""
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE})


def descriptor_limit() -> int:
    """The soft ``RLIMIT_NOFILE``, first raised to the hard limit (allowed unprivileged)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else MAX_CONNECTIONS + RESERVED_DESCRIPTORS


@dataclass(frozen=True)
class ConnectionLimits:
    """How many client connections may be open at once, in total and from one address."""

    total: int
    per_address: int

    @classmethod
    def from_descriptors(cls, limit: int | None = None, total: int | None = None,
                         per_address: int | None = None) -> ConnectionLimits:
        """Caps below ``limit`` (default: the process's descriptor limit) with descriptors
        reserved; ``total`` and ``per_address`` override, but never exceed that budget."""
        limit = descriptor_limit() if limit is None else limit
        reserved = max(32, min(RESERVED_DESCRIPTORS, limit // 4))
        budget = max(8, min(MAX_CONNECTIONS, limit - reserved))
        chosen_total = budget if total is None else max(1, min(total, budget))
        # One address may hold a third: an attacker on one address leaves two thirds to
        # everyone else, while a dashboard with 200 event streams still fits.
        chosen_per_address = max(1, chosen_total // 3) if per_address is None else per_address
        return cls(chosen_total, max(1, min(chosen_per_address, chosen_total)))


class LogThrottle:
    """At most one log line per ``interval`` seconds per key; the rest are counted and
    reported with the next line, so a storm cannot rotate the log away."""

    def __init__(self, interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def log(self, level: int, key: str, message: str) -> bool:
        """Log ``message`` unless ``key`` was logged less than ``interval`` ago."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message = f"{message} ({suppressed} more since the last such line)"
        log.log(level, "%s", message)
        return True


class ConnectionGate:
    """Counts open client connections by address and decides whether another may open."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open = 0
        self._by_address: dict[str, int] = {}
        self.refused = 0
        self.throttle = LogThrottle()

    def admit(self, address: str) -> bool:
        held = self._by_address.get(address, 0)
        if self.open >= self.limits.total:
            self._refuse("total", f"{self.open} connections are open (the cap); "
                                  "refusing new ones")
            return False
        if held >= self.limits.per_address:
            self._refuse(f"address {address}",
                         f"{address} holds {held} connections (the cap per address); "
                         "refusing its new ones")
            return False
        self.open += 1
        self._by_address[address] = held + 1
        return True

    def release(self, address: str) -> None:
        self.open -= 1
        held = self._by_address.get(address, 0) - 1
        if held > 0:
            self._by_address[address] = held
        else:
            self._by_address.pop(address, None)

    def held_by(self, address: str) -> int:
        return self._by_address.get(address, 0)

    def _refuse(self, key: str, message: str) -> None:
        self.refused += 1
        self.throttle.log(logging.WARNING, key, message)


class _AdmittedSocket(socket.socket):
    """An accepted connection that gives its place back to the gate when it is closed."""

    def __init__(self, *args: object, gate: ConnectionGate, address: str, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._gate: ConnectionGate | None = gate
        self._address = address

    def _release(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.release(self._address)

    def close(self) -> None:
        self._release()
        super().close()

    def detach(self) -> int:
        self._release()
        return super().detach()


class GatedSocket(socket.socket):
    """A listening socket whose ``accept()`` admits connections through a gate."""

    def __init__(self, *args: object, gate: ConnectionGate, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.gate = gate
        self._spare: int | None = None
        self._reserve_spare()

    @classmethod
    def adopt(cls, listener: socket.socket, gate: ConnectionGate) -> GatedSocket:
        """Take over ``listener``'s descriptor (``listener`` is detached)."""
        family, kind, proto = listener.family, listener.type, listener.proto
        return cls(family, kind, proto, fileno=listener.detach(), gate=gate)

    def accept(self) -> tuple[socket.socket, object]:
        # asyncio calls this in a loop until it raises BlockingIOError.
        while True:
            try:
                fd, address = self._accept()  # type: ignore[attr-defined]
            except OSError as exc:
                if exc.errno not in _OUT_OF_DESCRIPTORS or not self._drain_one():
                    raise
                continue
            host = address[0] if isinstance(address, tuple) else str(address)
            if not self.gate.admit(host):
                _refuse(fd)
                continue
            conn = _AdmittedSocket(self.family, self.type, self.proto, fileno=fd,
                                   gate=self.gate, address=host)
            return conn, address

    def close(self) -> None:
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
        super().close()

    def _reserve_spare(self) -> None:
        try:
            self._spare = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._spare = None

    def _drain_one(self) -> bool:
        """Out of descriptors: free the spare, refuse one pending connection with it and
        take the spare back. False when there is no spare (asyncio then pauses).

        Linux reports EMFILE before it looks at the backlog, so an empty backlog shows
        up here as BlockingIOError, which tells asyncio's accept loop to stop.
        """
        if self._spare is None:
            self._reserve_spare()
            return False
        os.close(self._spare)
        self._spare = None
        try:
            fd, _ = self._accept()  # type: ignore[attr-defined]
        except BlockingIOError:
            self._reserve_spare()
            raise
        except OSError:
            self._reserve_spare()
            return False
        _refuse(fd)
        self._reserve_spare()
        self.gate.throttle.log(logging.ERROR, "descriptors",
                               "out of file descriptors: refusing connections")
        return True


def _refuse(fd: int) -> None:
    # The client may be gone already: closing is then answer enough.
    with contextlib.suppress(OSError):
        os.write(fd, REFUSAL)
    os.close(fd)
