"""Remote MCP at /mcp: the official MCP Python client over Streamable HTTP, against a real uvicorn on loopback.

The app is the API's (``create_app``, MCP on by default) over the package's seeded, synced world;
answers are compared with the REST API's and with the stdio server's own code
(:meth:`KgcrmMcp.call`); writes are read back from the CRM (the note, its ``via_agent``, its
change_log row); refused keys are checked on the wire (status, ``WWW-Authenticate``, body) and
through the client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from sqlalchemy.orm import Session

from bench.outage import serve
from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.api.mcp_http import MCP_PATH, McpRoute
from kgcrm.api.mcp_server import KgcrmMcp
from kgcrm.api.protocol import UVICORN_OPTIONS
from kgcrm.api.tools import AGENT_TOOLS
from kgcrm.core.settings import Settings
from kgcrm.crm.models import Note
from kgcrm.sync.engine import GraphSync
from tests.api.test_api_mcp import FEEDBACK_TOOLS, READ_TOOLS, data, error, tenant_of
from tests.api.test_api_tools import PROMPT, REASONING, Crew, add_crew, change_rows

pytestmark = pytest.mark.neo4j


@dataclass
class Remote:
    url: str  # the API's base URL

    @property
    def mcp(self) -> str:
        return f"{self.url}{MCP_PATH}"


@pytest.fixture(scope="module")
def crew(world) -> Crew:
    crew = add_crew(world.engine, "mcp-http-crew")
    GraphSync(world.engine, world.gateway).incremental()  # mirror the new tenant
    return crew


@pytest.fixture(scope="module")
def remote(world, crew) -> Iterator[Remote]:
    with serve(create_app(world.settings, services=world.services), **UVICORN_OPTIONS) as url:
        yield Remote(url)


def session(url: str, key: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Connect with the official client (``Authorization: Bearer <key>``), list the tools, make the calls."""

    async def run() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            got: dict[str, Any] = {"tools": (await client.list_tools()).tools, "calls": []}
            for name, arguments in calls:
                got["calls"].append(await client.call_tool(name, arguments))
            return got

    return anyio.run(run)


def refused_by_client(url: str, key: str | None) -> BaseException:
    """What the official client raises when it cannot get through."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}

    async def run() -> None:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            await client.list_tools()

    with pytest.raises(BaseException) as caught:
        anyio.run(run)
    return caught.value


def flat(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in flat(inner)]
    return [exc]


def test_the_tools_are_the_stdio_servers(world, remote):
    got = session(remote.mcp, world.a.user_key, [])

    listed = [tool.model_dump() for tool in got["tools"]]
    stdio = [tool.model_dump() for tool in KgcrmMcp(world.services, world.a.user_key).list_tools()]
    assert listed == stdio
    assert {tool["name"] for tool in listed} == READ_TOOLS | FEEDBACK_TOOLS | set(AGENT_TOOLS)


def test_resolve_and_connections_answer_as_rest_and_stdio(world, remote):
    person = world.a.user  # a team member of tenant a: resolvable, and the start of intro paths
    path = next(p for p in world.a.truth["warm_paths"] if p["user_id"] == person["id"])
    resolve_args = {"text": person["full_name"], "types": ["Person"], "limit": 5}
    connections_args = {"target": path["target"]["id"], "limit": 3, "max_hops": 4}

    got = session(remote.mcp, world.a.user_key, [("resolve", resolve_args), ("connections", connections_args)])
    resolved, connected = (data(result) for result in got["calls"])

    auth = world.a.headers()
    rest_resolved = world.client.post("/v1/resolve", json=resolve_args, headers=auth)
    rest_connected = world.client.get("/v1/connections", params=connections_args, headers=auth)
    assert rest_resolved.status_code == rest_connected.status_code == 200
    assert resolved == rest_resolved.json()
    assert connected == rest_connected.json()
    stdio = KgcrmMcp(world.services, world.a.user_key)
    assert resolved == stdio.call("resolve", resolve_args)
    assert connected == stdio.call("connections", connections_args)

    # and right, by the seed's own truth
    assert resolved["candidates"][0]["id"] == person["individual_id"]
    assert connected["target"]["id"] == path["target"]["id"] and connected["paths"]
    assert connected["paths"][0]["nodes"][0]["id"] == person["individual_id"]
    assert tenant_of(world.engine, {c["id"] for c in resolved["candidates"]}) == {world.a.id}


def test_a_write_tool_writes_as_the_keys_user_via_agent(world, remote, crew):
    other_person = world.a.user["individual_id"]  # tenant a's: out of reach of the crew's key
    note_args = {"subject_id": crew.organization, "body": "Asked over remote MCP.", "prompt": PROMPT}
    note_args["reasoning"] = REASONING

    got = session(
        remote.mcp,
        crew.user_key,
        [("create_note", note_args), ("create_note", {**note_args, "subject_id": other_person})],
    )
    written, refused = got["calls"]

    result = data(written)
    assert result["entity"]["type"] == "Note" and result["acting_user"]["id"] == crew.user["id"]
    with Session(world.engine) as db:
        note = db.get(Note, result["entity"]["id"])
        assert note is not None
        assert (note.tenant_id, note.via_agent, note.body) == (crew.id, True, "Asked over remote MCP.")
    [row] = change_rows(world.engine, result["change_seqs"])
    assert (row["tenant_id"], row["actor_id"], row["via_agent"]) == (crew.id, crew.user["id"], True)
    assert (row["agent_prompt"], row["agent_reasoning"]) == (PROMPT, REASONING)
    failure = error(refused)
    assert (failure["code"], failure["field"], failure["status"]) == ("not_found", "subject_id", 404)


def test_another_tenants_key_sees_nothing_of_this_tenant(world, remote):
    person = world.a.user
    path = next(p for p in world.a.truth["warm_paths"] if p["user_id"] == person["id"])

    got = session(
        remote.mcp,
        world.b.user_key,
        [
            ("resolve", {"text": person["full_name"], "types": ["Person"]}),
            ("connections", {"target": path["target"]["id"]}),
            ("search", {"q": person["full_name"], "limit": 20}),
        ],
    )
    resolved, connected, searched = got["calls"]

    assert world.a.id not in tenant_of(world.engine, {c["id"] for c in data(resolved)["candidates"]})
    assert error(connected)["code"] == "not_found"
    assert world.a.id not in tenant_of(world.engine, {r["id"] for r in data(searched)["results"]})


def assert_refused(response: httpx.Response, *, presented: bool) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="kgcrm"')
    assert ('error="invalid_token"' in challenge) is presented
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "unauthorized"


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def test_a_missing_bad_revoked_or_overlong_key_is_refused(world, remote):
    revoked = keys.create_key(world.engine, world.a.slug)
    keys.revoke_key(world.engine, revoked.id)
    cases = {
        "missing": None,
        "not a key": "not-a-key",
        "unknown": "kg_0123456789ab_" + "A" * 43,
        "revoked": revoked.key,
        "overlong": "kg_" + "A" * 300,
    }

    for name, key in cases.items():
        headers = {**ACCEPT, **({"Authorization": f"Bearer {key}"} if key is not None else {})}
        response = httpx.post(remote.mcp, json=INITIALIZE, headers=headers, timeout=30)
        assert_refused(response, presented=key is not None)
        assert revoked.key not in response.text, name
        errors = flat(refused_by_client(remote.mcp, key))
        assert any(isinstance(e, MCPError | httpx2.HTTPStatusError) for e in errors), (name, errors)
    basic = httpx.post(remote.mcp, json=INITIALIZE, headers={**ACCEPT, "Authorization": "Basic dTpw"}, timeout=30)
    assert_refused(basic, presented=False)
    assert httpx.get(remote.mcp, timeout=30).status_code == 401  # every method, not only POST


def test_a_key_revoked_while_connected_stops_working(world, remote):
    key = keys.create_key(world.engine, world.a.slug, user_email=world.a.user["email"])

    async def run() -> tuple[Any, BaseException | None]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {key.key}"}, timeout=60) as http,
            Client(streamable_http_client(remote.mcp, http_client=http)) as client,
        ):
            before = await client.call_tool("search", {"q": "Acme"})
            keys.revoke_key(world.engine, key.id)
            try:
                await client.call_tool("search", {"q": "Acme"})
            except MCPError as exc:
                return before, exc
            return before, None

    before, after = anyio.run(run)

    assert data(before)["results"] is not None
    assert isinstance(after, MCPError)  # the next request, with the key revoked, got nothing


def test_mcp_requests_and_tool_calls_are_counted_in_metrics(world, remote):
    session(remote.mcp, world.a.user_key, [("search", {"q": "Acme"}), ("search", {"q": "Acme", "limit": 0})])
    httpx.post(remote.mcp, json=INITIALIZE, headers=ACCEPT, timeout=30)

    text = httpx.get(f"{remote.url}/metrics", timeout=30).text

    assert 'kgcrm_http_requests_total{method="POST",route="/mcp",status="200"}' in text
    assert 'kgcrm_http_requests_total{method="POST",route="/mcp",status="401"}' in text
    assert 'kgcrm_mcp_tool_calls_total{outcome="ok",tool="search"}' in text
    assert 'kgcrm_mcp_tool_calls_total{outcome="error",tool="search"}' in text  # limit 0: invalid_input


def test_mcp_is_on_by_default_and_a_setting_switches_it_off(world):
    assert Settings.model_fields["api_mcp_enabled"].default is True
    on = create_app(world.settings, services=world.services)
    assert any(isinstance(route, McpRoute) for route in on.routes)

    off = create_app(world.settings.model_copy(update={"api_mcp_enabled": False}), services=world.services)
    assert not any(isinstance(route, McpRoute) for route in off.routes)
    with TestClient(off) as client:
        response = client.post(MCP_PATH, json=INITIALIZE, headers={**ACCEPT, **world.a.headers()})
    assert response.status_code == 404
    assert json.loads(response.text)["error"]["code"] == "not_found"
