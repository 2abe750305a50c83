"""Limits that hold over a real socket: the body limit counts the bytes received (chunked too), and the
server's own refusals of malformed requests answer in the contract's JSON shape.

A real uvicorn on 127.0.0.1 with ``kgcrm serve``'s options; raw sockets, so that the requests can be
what no HTTP client library would send. Neo4j is not needed: the body is refused before any query.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from bench.outage import free_port, serve
from kgcrm.api.app import MAX_BODY_BYTES, create_app
from kgcrm.api.protocol import MAX_HEAD_BYTES, UVICORN_OPTIONS
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.services import build_services


@pytest.fixture(scope="module")
def server(sqlite_template: Path, tmp_path_factory) -> Iterator[tuple[str, int]]:
    directory = tmp_path_factory.mktemp("limits")
    path = directory / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    credentials = Neo4jCredentials(f"bolt://127.0.0.1:{free_port()}", "neo4j", SecretStr("unused-password"))
    driver = make_driver(credentials, max_transaction_retry_time=0, connection_timeout=1.0)
    settings = Settings(environment="test", data_dir=directory)
    services = build_services(
        settings, engine=engine, gateway=GraphGateway(driver), load_embeddings=False, chat_from_settings=False
    )
    try:
        with serve(create_app(settings, services=services), **UVICORN_OPTIONS) as url:
            address = urlsplit(url)
            yield address.hostname or "127.0.0.1", address.port or 80
    finally:
        services.close()
        driver.close()
        engine.dispose()


def exchange(address: tuple[str, int], head: bytes, body_parts: Iterator[bytes] | list[bytes] = ()) -> bytes:
    """Send ``head`` then the parts (as long as the server reads them); everything the server answered."""
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what it said is still in the receive buffer
        answer = b""  # every request here ends with the server closing the connection
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        decoded, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            decoded, rest = decoded + rest[:n], rest[n + 2 :]
        body = decoded
    return int(lines[0].split()[1]), headers, body


def assert_json_error(answer: bytes, status: int, code: str) -> dict[str, str]:
    got_status, headers, body = parse(answer)
    assert got_status == status, answer[:300]
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"], error
    return error


def chunked(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield f"{n:x}\r\n".encode() + b"a" * n + b"\r\n"
        sent += n
    yield b"0\r\n\r\n"


def post_head(extra: str = "") -> bytes:
    return (
        "POST /v1/resolve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer kg_0123456789ab_{'A' * 43}\r\n{extra}\r\n"
    ).encode()


def test_a_chunked_body_over_the_limit_is_413(server):
    answer = exchange(server, post_head("Transfer-Encoding: chunked\r\n"), chunked(4 * 1024 * 1024))
    assert_json_error(answer, 413, "payload_too_large")


def test_a_declared_length_over_the_limit_is_413(server):
    size = MAX_BODY_BYTES + 1
    answer = exchange(server, post_head(f"Content-Length: {size}\r\n"), [b"a" * size])
    assert_json_error(answer, 413, "payload_too_large")


def test_a_chunked_body_under_the_limit_is_read(server):
    body = json.dumps({"text": "Acme"}).encode()
    part = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    status, _, _ = parse(exchange(server, post_head("Transfer-Encoding: chunked\r\nConnection: close\r\n"), [part]))
    assert status in (401, 503)  # read, then refused for the (unknown) key or the down graph; not 413


@pytest.mark.parametrize(
    "head",
    [
        post_head("Content-Length: -1\r\n"),
        post_head("Content-Length: 12abc\r\n"),
        b"GARBAGE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Name: x\r\n\r\n",
    ],
)
def test_a_malformed_request_is_answered_in_the_json_error_shape(server, head):
    assert_json_error(exchange(server, head), 400, "bad_request")


def test_oversized_headers_are_431_in_the_json_error_shape(server):
    head = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * (16 * MAX_HEAD_BYTES)}\r\n\r\n".encode()
    assert_json_error(exchange(server, head), 431, "headers_too_large")


def test_the_server_still_answers_afterwards(server):
    status, _, body = parse(exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert status == 200 and json.loads(body)["status"] == "ok"
