"""The API's HTTP protocol turns Nagle's algorithm off on every connection, also on the socket that
``uvicorn --workers N`` binds for its workers (``socket.socket(family)``: ``proto`` 0, which asyncio's own
``TCP_NODELAY`` skips). With Nagle on, a keep-alive answer's body waited ~40 ms for the client's delayed ACK.

A real uvicorn on 127.0.0.1 with ``kgcrm serve``'s options and a trivial app (no database is involved); the
option is read from the server's side of the connection.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import Receive, Scope, Send

from bench.outage import free_port
from kgcrm.api.protocol import UVICORN_OPTIONS


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def workers_server() -> Iterator[tuple[uvicorn.Server, socket.socket]]:
    """``hello`` served as a uvicorn worker serves: on a socket bound by ``Config.bind_socket``."""
    config = uvicorn.Config(hello, host="127.0.0.1", port=free_port(), log_level="warning", **UVICORN_OPTIONS)
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield server, sock
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_keep_alive_connections_have_nagle_off_on_a_workers_socket() -> None:
    with workers_server() as (server, listening):
        assert listening.proto == 0  # the premise: asyncio alone would leave Nagle on here
        with socket.create_connection(listening.getsockname(), timeout=10) as client:
            for _ in range(2):  # two requests on one kept-alive connection
                client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                answer = b""
                while not answer.endswith(b"ok"):
                    answer += client.recv(4096)
                assert answer.startswith(b"HTTP/1.1 200")
            served = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
            assert len(served) == 1
            assert served[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
