"""An HTTP receiver on loopback that records what an action sends it.

For action authors: point a webhook, a notification service or any HTTP client at
``receiver.url`` and assert on ``receiver.requests``. It answers 200 unless told
otherwise (``receiver.answer(503)``, ``receiver.answer(200, delay=30)`` for a receiver
that hangs), ``down()`` and ``up()`` take it away and bring it back on the same port,
and ``wait_for(n)`` blocks until ``n`` requests arrived. Standard library
only, so it works without the ``testing`` extra.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived: method, path (with query), headers and raw body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass(frozen=True)
class Answer:
    """What the receiver answers: a status, a body, after an optional delay."""

    status: int = 200
    body: bytes = b"{}"
    delay: float = 0.0
    content_type: str = "application/json"


class LoopbackReceiver:
    """A threaded HTTP server on ``127.0.0.1`` and a free port; ``close()`` stops it."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._answers: deque[Answer] = deque()
        self._default = Answer()
        self._arrived = threading.Condition()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self.port = 0
        self._serve()
        self.url = f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="seccam-test-receiver", daemon=True)
        self._thread.start()

    def answer(self, status: int = 200, body: bytes = b"{}", *, delay: float = 0.0,
               times: int | None = None) -> None:
        """Answer the next ``times`` requests like this (every request from now if None)."""
        answer = Answer(status, body, delay)
        if times is None:
            self._answers.clear()
            self._default = answer
        else:
            self._answers.extend([answer] * times)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The requests once at least ``count`` arrived; ``TimeoutError`` after ``timeout``."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(
                    f"{len(self.requests)} of {count} requests within {timeout} s")
            return list(self.requests)

    def down(self) -> None:
        """Go away: stop listening and drop open connections (refused until :meth:`up`)."""
        self.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def up(self) -> None:
        """Come back on the same port after :meth:`down`."""
        self._closing.clear()
        self._serve()

    def close(self) -> None:
        """Stop serving; requests still being delayed are answered at once."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _next_answer(self) -> Answer:
        return self._answers.popleft() if self._answers else self._default

    def _record(self, request: ReceivedRequest) -> None:
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                receiver._connections.add(self.connection)

            def finish(self) -> None:
                receiver._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver._record(ReceivedRequest(self.command, self.path,
                                                 dict(self.headers.items()), body))
                answer = receiver._next_answer()
                if answer.delay:
                    receiver._closing.wait(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client stopped waiting (a timeout under test)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on ``requests``, not on a log."""

        return Handler
