"""The HTTP server's own refusals in the contract's error shape.

uvicorn answers a request it cannot parse (a negative ``Content-Length``, a malformed request
line, headers over its buffer) itself, before the app sees it, with ``400 Invalid HTTP request
received.`` in plain text. :class:`JsonErrorH11Protocol` is uvicorn's h11 protocol with that one
answer in the contract's JSON body::

    {"error": {"code": "bad_request", "message": "malformed HTTP request: …"}}

and 431 (``headers_too_large``) when the request's head outgrew the buffer.
:data:`UVICORN_OPTIONS` is how ``kgcrm serve`` (and the tests) run uvicorn.
"""

from __future__ import annotations

import json
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
    """uvicorn's h11 protocol; its "invalid HTTP request" answer is the contract's JSON error."""

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
