"""The HTTP server's own refusals in the contract's error shape.

uvicorn answers a request it cannot parse (a negative ``Content-Length``, a malformed request
line, headers over its buffer) itself, before the app sees it, with ``400 Invalid HTTP request
received.`` in plain text. :class:`JsonErrorH11Protocol` is uvicorn's h11 protocol with that one
answer in the contract's JSON body::

    {"error": {"code": "bad_request", "message": "malformed HTTP request: …"}}

and 431 (``headers_too_large``) when the request's head outgrew the buffer.

It also turns Nagle's algorithm off on every connection. asyncio does that itself only for sockets whose
``proto`` is TCP, and uvicorn's ``--workers N`` binds its shared socket as ``socket.socket(family)``
(``proto`` 0), so a worker's connections kept Nagle on: the body, written after the head, waited for the
client's delayed ACK, ~40 ms on every keep-alive request (one client: 58 ms a resolve against 13 ms with one
worker; ``bench/RESULTS.md``, section ``nodelay``).
:data:`UVICORN_OPTIONS` is how ``kgcrm serve`` (and the tests) run uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from kgcrm.api.errors import error_body

#: The largest request head (request line and headers) the server reads, as h11's default.
MAX_HEAD_BYTES = DEFAULT_MAX_INCOMPLETE_EVENT_SIZE

#: uvicorn's options for the API (``uvicorn.run(app, **UVICORN_OPTIONS, host=…, port=…)``).
UVICORN_OPTIONS: dict[str, Any] = {
    "http": "kgcrm.api.protocol:JsonErrorH11Protocol",
    "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    "proxy_headers": False,
    "server_header": False,
}


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; its "invalid HTTP request" answer is the contract's JSON error; no Nagle."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size or MAX_HEAD_BYTES
        if len(buffered) > limit:
            status, reason, code = 431, b"Request Header Fields Too Large", "headers_too_large"
            message = f"the request line and headers are over {limit} bytes"
        else:
            status, reason, code = 400, b"Bad Request", "bad_request"
            message = "malformed HTTP request (request line, headers or Content-Length): " + msg.rstrip(".")
        payload = json.dumps(error_body(code, message)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
        ]
        for event in (h11.Response(status_code=status, headers=headers, reason=reason), h11.Data(data=payload)):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()
