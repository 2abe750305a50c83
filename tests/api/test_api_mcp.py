"""The MCP server: the SDK's own client talks to it, over stdio (a real subprocess) and in-process.

The subprocess is ``kgcrm mcp`` (``python -m kgcrm.cli.mcp``, the same command without the
rest of the CLI, until the CLI registers it) with the environment pointing at the package's
seeded CRM and Neo4j, bound to a tenant of its own (``mcp-crew``, added by
:func:`tests.api.test_api_tools.add_crew`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
import typer
from mcp import Client, StdioServerParameters
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kgcrm.api import keys
from kgcrm.api.mcp_server import KgcrmMcp, mcp_tools
from kgcrm.api.tools import AGENT_TOOLS, tool_parameters
from kgcrm.cli.mcp import mcp_command
from kgcrm.core.errors import ConfigurationError
from kgcrm.crm.models import Note
from kgcrm.sync.engine import GraphSync
from tests.api.test_api_tools import PROMPT, REASONING, Crew, add_crew, change_rows

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parents[2]
READ_TOOLS = {"resolve", "connections", "ask", "search", "get_context", "suggestions"}
#: Write tools outside the API's agent tools (tests/api/test_api_feedback.py tests it).
FEEDBACK_TOOLS = {"feedback"}


@pytest.fixture(scope="module")
def crew(world) -> Crew:
    crew = add_crew(world.engine, "mcp-crew")
    GraphSync(world.engine, world.gateway).incremental()  # mirror the new tenant
    return crew


def server_env(world, key: str, tmp_path: Path) -> dict[str, str]:
    settings = world.settings
    assert settings.neo4j_uri and settings.neo4j_password is not None
    return {
        "KGCRM_API_KEY": key,
        "KGCRM_ENVIRONMENT": "test",
        "KGCRM_SETTINGS_FILE": str(tmp_path / "no-settings.env"),
        "KGCRM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.sqlalchemy_url,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "PYTHONPATH": str(ROOT),
    }


def mcp_command_line() -> list[str]:
    """``kgcrm mcp`` (the venv's script) once the CLI registers it; ``python -m kgcrm.cli.mcp`` until then."""
    from kgcrm.cli import app

    script = Path(sys.executable).with_name("kgcrm")
    if script.exists() and any(command.name == "mcp" for command in app.registered_commands):
        return [str(script), "mcp"]
    return [sys.executable, "-m", "kgcrm.cli.mcp"]


def stdio_server(world, key: str, tmp_path: Path) -> StdioServerParameters:
    command, *args = mcp_command_line()
    return StdioServerParameters(
        command=command, args=[*args, "--no-embeddings"], env=server_env(world, key, tmp_path), cwd=ROOT
    )


def data(result: Any) -> dict[str, Any]:
    assert result.is_error is not True, result.content
    assert result.structured_content == json.loads(result.content[0].text)
    return dict(result.structured_content)


def error(result: Any) -> dict[str, Any]:
    assert result.is_error is True, result
    body = json.loads(result.content[0].text)
    assert set(body) == {"error"} and "Traceback" not in result.content[0].text
    return dict(body["error"])


def tenant_of(engine: sa.Engine, ids: set[str]) -> set[str]:
    """The tenants of the rows (of any entity table) with these ids."""
    tables = ("individual", "organization", "contact", "account", "lead", "task", "note", "interaction", "app_user")
    found: set[str] = set()
    with engine.connect() as conn:
        for table in tables:
            query = sa.text(f"SELECT tenant_id FROM {table} WHERE id IN :ids").bindparams(  # noqa: S608
                sa.bindparam("ids", expanding=True)
            )
            found |= set(conn.execute(query, {"ids": sorted(ids)}).scalars()) if ids else set()
    return found


def test_over_stdio_the_tools_answer_and_write_inside_the_keys_tenant(world, crew, tmp_path):
    other_person = world.a.user  # a person of tenant a: out of reach of this server

    async def session() -> dict[str, Any]:
        async with Client(stdio_server(world, crew.user_key, tmp_path)) as client:
            listed = await client.list_tools()
            own = await client.call_tool("search", {"q": "Zephyrine", "limit": 10})
            foreign = await client.call_tool("search", {"q": other_person["full_name"], "limit": 10})
            resolved = await client.call_tool("resolve", {"text": "Quillon Marsh", "types": ["Person"]})
            note = await client.call_tool(
                "create_note",
                {
                    "subject_id": crew.organization,
                    "body": "Zephyrine asked for an MCP demo.",
                    "prompt": PROMPT,
                    "reasoning": REASONING,
                },
            )
            refused = await client.call_tool(
                "create_note",
                {"subject_id": other_person["individual_id"], "body": "x", "prompt": PROMPT, "reasoning": REASONING},
            )
            return {
                "listed": listed,
                "own": own,
                "foreign": foreign,
                "resolved": resolved,
                "note": note,
                "refused": refused,
            }

    got = anyio.run(session)

    tools = {tool.name: tool for tool in got["listed"].tools}
    assert set(tools) == READ_TOOLS | FEEDBACK_TOOLS | set(AGENT_TOOLS)
    assert tools["create_note"].input_schema == tool_parameters(AGENT_TOOLS["create_note"].request)
    assert tools["search"].annotations.read_only_hint is True
    assert tools["create_note"].annotations.read_only_hint is False

    own = data(got["own"])["results"]
    assert crew.organization in {r["id"] for r in own}
    assert tenant_of(world.engine, {r["id"] for r in own}) == {crew.id}
    foreign = data(got["foreign"])["results"]
    assert tenant_of(world.engine, {r["id"] for r in foreign}) <= {crew.id}  # nothing of tenant a
    candidates = data(got["resolved"])["candidates"]
    assert candidates and candidates[0]["id"] == crew.user["individual_id"]

    result = data(got["note"])
    assert result["entity"]["type"] == "Note" and result["acting_user"]["id"] == crew.user["id"]
    with Session(world.engine) as db:
        note = db.get(Note, result["entity"]["id"])
        assert note is not None and (note.tenant_id, note.via_agent) == (crew.id, True)
    [row] = change_rows(world.engine, result["change_seqs"])
    assert (row["agent_prompt"], row["agent_reasoning"], row["tenant_id"]) == (PROMPT, REASONING, crew.id)
    refused = error(got["refused"])
    assert (refused["code"], refused["field"], refused["status"]) == ("not_found", "subject_id", 404)


def test_a_refused_key_stops_the_command(world, crew, tmp_path):
    revoked = keys.create_key(world.engine, crew.slug)
    keys.revoke_key(world.engine, revoked.id)
    env = {**os.environ, **server_env(world, revoked.key, tmp_path)}

    done = subprocess.run(
        [*mcp_command_line(), "--no-embeddings"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # the protocol channel stays clean
    assert "API key" in done.stderr and "Traceback" not in done.stderr
    assert revoked.key not in done.stderr


@pytest.mark.parametrize("key", ["", "   ", "kg_0123456789ab_" + "A" * 43, "not-a-key"])
def test_a_missing_or_unknown_key_is_refused_before_serving(world, key):
    app = typer.Typer()

    @app.callback()
    def _load(ctx: typer.Context) -> None:
        ctx.obj = world.settings

    app.command("mcp")(mcp_command)

    result = CliRunner().invoke(app, ["mcp", "--no-embeddings"], env={"KGCRM_API_KEY": key})

    assert isinstance(result.exception, ConfigurationError), result.output
    assert "API key" in str(result.exception)
    assert result.stdout == ""


def test_in_process_every_tool_validates_and_answers(world):
    app = KgcrmMcp(world.services, world.a.user_key)
    target = world.a.truth["warm_paths"][0]["target"]

    async def session() -> dict[str, Any]:
        async with Client(app.server()) as client:
            return {
                "connections": await client.call_tool("connections", {"target": target["id"], "limit": 2}),
                "ask": await client.call_tool("ask", {"question": "How many opportunities did we win this quarter?"}),
                "bad_limit": await client.call_tool("search", {"q": "Acme", "limit": 500}),
                "extra": await client.call_tool("resolve", {"text": "Acme", "colour": "red"}),
                "bad_participant": await client.call_tool(
                    "log_interaction",
                    {"kind": "call", "participants": [{"individual_id": ""}], "prompt": "p", "reasoning": "r"},
                ),
                "number_as_time": await client.call_tool(
                    "create_task", {"title": "x", "due_at": 1, "prompt": "p", "reasoning": "r"}
                ),
                "unknown": await client.call_tool("drop_database", {}),
            }

    got = anyio.run(session)

    paths = data(got["connections"])
    assert paths["target"]["id"] == target["id"] and paths["paths"]
    assert all("from" in hop for path in paths["paths"] for hop in path["hops"])
    answer = data(got["ask"])
    assert answer["answer"] and answer["method"]
    for name, field in (
        ("bad_limit", "limit"),
        ("extra", "colour"),
        ("bad_participant", "participants.0.individual_id"),
        ("number_as_time", "due_at"),
    ):
        failure = error(got[name])
        assert (failure["code"], failure["field"], failure["location"]) == ("invalid_input", field, "arguments"), name
    assert error(got["unknown"])["code"] == "not_found"


def test_a_key_revoked_while_serving_stops_working(world):
    key = keys.create_key(world.engine, world.a.slug)
    app = KgcrmMcp(world.services, key.key)

    async def session() -> tuple[Any, Any]:
        async with Client(app.server()) as client:
            before = await client.call_tool("search", {"q": "Acme"})
            keys.revoke_key(world.engine, key.id)
            after = await client.call_tool("search", {"q": "Acme"})
            return before, after

    before, after = anyio.run(session)

    assert data(before)["results"] is not None
    assert (error(after)["code"], error(after)["status"]) == ("unauthorized", 401)


def test_the_tools_are_the_apis():
    tools = mcp_tools()

    assert set(tools) == READ_TOOLS | FEEDBACK_TOOLS | set(AGENT_TOOLS)
    for name, tool in AGENT_TOOLS.items():
        assert tools[name].arguments is tool.request


def test_kgcrm_mcp_is_registered():
    from kgcrm.cli import app

    commands = {command.name: command.callback for command in app.registered_commands}
    assert commands.get("mcp") is mcp_command, "register it in kgcrm/cli/__init__.py: app.command('mcp')(mcp_command)"
