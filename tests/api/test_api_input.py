"""Bad input on every endpoint: a 4xx with the contract's error body naming the field, never a 5xx."""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import assert_error

pytestmark = pytest.mark.neo4j

LONG = "ü" * 1001
SOME_ID = str(uuid.uuid4())

# (method, url, request kwargs, the field the error names)
BAD_INPUT = [
    # /v1/resolve
    ("post", "/v1/resolve", {"json": {"text": LONG}}, "text"),
    ("post", "/v1/resolve", {"json": {"text": ""}}, "text"),
    ("post", "/v1/resolve", {"json": {"text": "   "}}, "text"),
    ("post", "/v1/resolve", {"json": {"text": "a\u0000b"}}, "text"),
    ("post", "/v1/resolve", {"json": {}}, "text"),
    ("post", "/v1/resolve", {"json": {"text": 42}}, "text"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "limit": 0}}, "limit"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "limit": 10_000}}, "limit"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "limit": "five"}}, "limit"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "types": ["Planet"]}}, "types.0"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "types": "Person"}}, "types"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "types": []}}, "types"),
    ("post", "/v1/resolve", {"json": {"text": "Acme", "tpyes": ["Person"]}}, "tpyes"),
    ("post", "/v1/resolve", {"json": ["Acme"]}, "body"),
    ("post", "/v1/resolve", {"content": b'{"text": "Acme"', "headers": {"content-type": "application/json"}}, "body"),
    ("post", "/v1/resolve", {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}, "body"),
    # /v1/connections
    ("get", "/v1/connections", {}, "target"),
    ("get", "/v1/connections", {"params": {"target": LONG}}, "target"),
    ("get", "/v1/connections", {"params": {"target": " "}}, "target"),
    ("get", "/v1/connections", {"params": {"target": "Acme", "max_hops": 50}}, "max_hops"),
    ("get", "/v1/connections", {"params": {"target": "Acme", "max_hops": 0}}, "max_hops"),
    ("get", "/v1/connections", {"params": {"target": "Acme", "max_hops": "many"}}, "max_hops"),
    ("get", "/v1/connections", {"params": {"target": "Acme", "limit": 0}}, "limit"),
    ("get", "/v1/connections", {"params": {"target": "Acme", "limit": 10_000}}, "limit"),
    # /v1/ask
    ("post", "/v1/ask", {"json": {"question": LONG}}, "question"),
    ("post", "/v1/ask", {"json": {"question": ""}}, "question"),
    ("post", "/v1/ask", {"json": {"question": None}}, "question"),
    ("post", "/v1/ask", {"json": {"question": "hi", "conversation_id": "x" * 500}}, "conversation_id"),
    ("post", "/v1/ask", {"json": {"question": "hi", "conversation_id": "a b'}"}}, "conversation_id"),
    ("post", "/v1/ask", {"content": b"question=hi", "headers": {"content-type": "application/json"}}, "body"),
    # /v1/search
    ("get", "/v1/search", {}, "q"),
    ("get", "/v1/search", {"params": {"q": LONG}}, "q"),
    ("get", "/v1/search", {"params": {"q": "\u0000"}}, "q"),
    ("get", "/v1/search", {"params": {"q": "Acme", "limit": 0}}, "limit"),
    ("get", "/v1/search", {"params": {"q": "Acme", "limit": 10_000}}, "limit"),
    ("get", "/v1/search", {"params": {"q": "Acme", "types": "Note,Planet"}}, "types"),
    ("get", "/v1/search", {"params": {"q": "Acme", "types": "' OR 1=1 //"}}, "types"),
    # /v1/entities
    ("get", f"/v1/entities/{'x' * 500}", {}, "entity_id"),
    ("get", f"/v1/entities/{SOME_ID}/neighborhood", {"params": {"depth": 0}}, "depth"),
    ("get", f"/v1/entities/{SOME_ID}/neighborhood", {"params": {"depth": 3}}, "depth"),
    ("get", f"/v1/entities/{SOME_ID}/neighborhood", {"params": {"depth": "deep"}}, "depth"),
    ("get", f"/v1/entities/{SOME_ID}/neighborhood", {"params": {"limit": 0}}, "limit"),
    ("get", f"/v1/entities/{SOME_ID}/neighborhood", {"params": {"limit": 10_000}}, "limit"),
    # /v1/sync
    ("post", "/v1/sync", {"json": {"mode": "everything"}}, "mode"),
    ("post", "/v1/sync", {"json": {"mode": "full", "tenant": "other"}}, "tenant"),
]


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "field"),
    BAD_INPUT,
    ids=[f"{m} {u.split('/')[2][:12]} {f} {i}" for i, (m, u, _, f) in enumerate(BAD_INPUT)],
)
def test_bad_input_is_422_naming_the_field(world, method, url, kwargs, field):
    kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **world.a.headers()}}

    response = getattr(world.client, method)(url, **kwargs)

    error = assert_error(response, 422, "invalid_input", field)
    assert error["message"]


def test_an_oversized_body_is_413(world):
    body = b'{"text": "' + b"a" * 200_000 + b'"}'

    response = world.client.post(
        "/v1/resolve", content=body, headers={**world.a.headers(), "content-type": "application/json"}
    )

    assert_error(response, 413, "payload_too_large")


def test_an_unknown_id_is_404(world):
    assert_error(world.client.get(f"/v1/entities/{SOME_ID}", headers=world.a.headers()), 404, "not_found")
    assert_error(world.client.get(f"/v1/entities/{SOME_ID}/neighborhood", headers=world.a.headers()), 404, "not_found")
