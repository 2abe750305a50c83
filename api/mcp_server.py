"""The MCP server: kgcrm's retrieval and agent tools for an MCP client, bound to one tenant.

``kgcrm mcp`` (:mod:`kgcrm.cli.mcp`) serves it over stdio. It is the HTTP API's twin,
computed in-process with the same :class:`~kgcrm.services.Services` and the same code:

- the read tools ``resolve``, ``connections``, ``ask`` and ``search`` call the HTTP
  routes' own functions (same validation, same answers, same errors);
- the write tools are the agent tools of :mod:`kgcrm.api.tools` (``create_note``,
  ``create_task``, ``log_interaction``, ``move_lead_status``, ``move_task_status``),
  with the same request models as input schemas.

The server is bound to ONE tenant by the API key it is given, checked exactly as the
HTTP API checks it (:func:`kgcrm.api.keys.authenticate`): once at start (a bad key stops the
command) and again on every call (a key revoked while the server runs stops working).
A tool's failure is a tool result with ``isError`` and the HTTP API's error body as its
text: ``{"error": {"code", "message", "field"?, "status"}}``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types
from fastapi.exceptions import RequestValidationError
from mcp.server import Server
from mcp.server.stdio import stdio_server
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kgcrm.api import keys
from kgcrm.api.app import _version
from kgcrm.api.context_tool import DESCRIPTION as CONTEXT_DESCRIPTION
from kgcrm.api.context_tool import ContextArguments, run_context
from kgcrm.api.deps import answer_cache
from kgcrm.api.errors import ApiError, error_body, translate, unauthorized
from kgcrm.api.routes.ask import ask as ask_route
from kgcrm.api.routes.connections import connections as connections_route
from kgcrm.api.routes.feedback import FeedbackRequest  # issue 14
from kgcrm.api.routes.feedback import post_feedback as feedback_route  # issue 14
from kgcrm.api.routes.resolve import resolve as resolve_route
from kgcrm.api.routes.search import search as search_route
from kgcrm.api.routes.suggestions import get_suggestions as suggestions_route  # issue 14
from kgcrm.api.schemas import (
    MAX_HOPS,
    MAX_ID,  # issue 14
    MAX_LIMIT,
    ApiRequest,
    AskRequest,
    ResolveRequest,
    Text,
)
from kgcrm.api.tools import (
    AGENT_TOOLS,
    AgentRequest,
    LongText,  # issue 14
    run_tool,
    tool_parameters,
)
from kgcrm.core.errors import KgcrmError
from kgcrm.retrieval.suggestions import MAX_LIMIT as SUGGESTIONS_MAX_LIMIT  # issue 14
from kgcrm.retrieval.types import ENTITY_TYPES, EntityType
from kgcrm.services import Services

log = logging.getLogger(__name__)

SERVER_NAME = "kgcrm"

INSTRUCTIONS = """\
kgcrm answers questions over one tenant's CRM knowledge graph and records changes in its CRM.
Resolve names to ids first (`resolve`), then use the ids: `connections` finds warm
introductions, `ask` answers questions in plain language, `search` finds notes and entities.
The write tools (create_note, create_task, log_interaction, move_lead_status,
move_task_status) change the CRM on the user's behalf: pass the user's request as `prompt`
and your reasoning as `reasoning`; both are recorded with the change."""


class SearchArguments(ApiRequest):
    q: Text = Field(description="What to look for.")
    types: list[EntityType] | None = Field(
        default=None, min_length=1, max_length=len(ENTITY_TYPES), description="Only entities of these types."
    )
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT, description="At most this many results.")

    model_config = ConfigDict(extra="forbid")


class ConnectionsArguments(ApiRequest):
    target: Text = Field(description="An entity id, or free text such as 'Dana at Globex'.")
    limit: int = Field(default=5, ge=1, le=MAX_LIMIT, description="At most this many paths.")
    max_hops: int = Field(default=4, ge=1, le=MAX_HOPS, description="At most this many hops per path.")

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class McpTool:
    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[Services, keys.Caller, Any], BaseModel]
    read_only: bool


def _resolve(services: Services, caller: keys.Caller, args: ResolveRequest) -> BaseModel:
    return resolve_route(args, caller, services.stack, answer_cache(services))


def _connections(services: Services, caller: keys.Caller, args: ConnectionsArguments) -> BaseModel:
    return connections_route(
        caller, services.stack, answer_cache(services), target=args.target, limit=args.limit, max_hops=args.max_hops
    )


def _ask(services: Services, caller: keys.Caller, args: AskRequest) -> BaseModel:
    return ask_route(args, caller, services.stack)


def _search(services: Services, caller: keys.Caller, args: SearchArguments) -> BaseModel:
    return search_route(caller, services.stack, q=args.q, types=list(args.types or []) or None, limit=args.limit)


def _agent(name: str) -> Callable[[Services, keys.Caller, AgentRequest], BaseModel]:
    def run(services: Services, caller: keys.Caller, args: AgentRequest) -> BaseModel:
        return run_tool(services.engine, caller, name, args)

    return run


def mcp_tools() -> dict[str, McpTool]:
    """Every tool the MCP server offers, by name."""
    reads = [
        McpTool(
            "resolve",
            "Resolve a free-text mention (a name with typos or a nickname, 'X at Org', an email, a domain, "
            "a description, 'the company we met last week') to ranked entities of the CRM, with ids.",
            ResolveRequest,
            _resolve,
            True,
        ),
        McpTool(
            "connections",
            "Who connects us to a person or organization: warm-introduction paths from the team, strongest "
            "first, with the evidence of each hop. `target` is an id (from resolve) or free text.",
            ConnectionsArguments,
            _connections,
            True,
        ),
        McpTool(
            "ask",
            "Answer a question about the CRM in plain language (counts, sums and lists are exact). Pass the "
            "same conversation_id for follow-up questions.",
            AskRequest,
            _ask,
            True,
        ),
        McpTool(
            "search",
            "Semantic and fulltext search over the CRM's notes and entities.",
            SearchArguments,
            _search,
            True,
        ),
    ]
    reads.append(McpTool("get_context", CONTEXT_DESCRIPTION, ContextArguments, run_context, True))  # issue 14
    writes = [McpTool(t.name, t.description, t.request, _agent(t.name), False) for t in AGENT_TOOLS.values()]
    return {tool.name: tool for tool in reads + writes + _issue14_tools()}


# --- suggestions and feedback (issue 14) ----------------------------------------------------------


class SuggestionsArguments(ApiRequest):
    for_: str | None = Field(
        default=None,
        alias="for",
        min_length=1,
        max_length=MAX_ID,
        description="'me' (the key's user), a user id or an organization id; absent: the whole team.",
    )
    limit: int = Field(default=10, ge=1, le=SUGGESTIONS_MAX_LIMIT, description="At most this many suggestions.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AgentFeedbackArguments(FeedbackRequest):
    """An agent's decision: always recorded with via_agent, the user's request and the agent's reasoning."""

    prompt: LongText = Field(description="The user's request that led to this decision, verbatim.")
    reasoning: LongText = Field(description="Why the agent decides so.")


def _suggestions(services: Services, caller: keys.Caller, args: SuggestionsArguments) -> BaseModel:
    return suggestions_route(caller, services, for_=args.for_, limit=args.limit)


def _feedback(services: Services, caller: keys.Caller, args: AgentFeedbackArguments) -> BaseModel:
    return feedback_route(args.model_copy(update={"via_agent": True}), caller, services.engine)


def _issue14_tools() -> list[McpTool]:
    return [
        McpTool(
            "suggestions",
            "What to look at next: deals at risk, cooling relationships, warm intros, follow-ups owed, duplicates "
            "to review, unowned deals and accounts; ranked, each with a reason, the entities and the evidence rows.",
            SuggestionsArguments,
            _suggestions,
            True,
        ),
        McpTool(
            "feedback",
            "Record the user's decision so later answers honour it: confirm or reject a duplicate pair "
            "(kind duplicate) or a mention's resolution (kind resolution), dismiss a suggestion (its key and "
            "evidence_hash) or a tie between two people (kind tie). Pass the user's request as prompt.",
            AgentFeedbackArguments,
            _feedback,
            False,
        ),
    ]


class ToolFailure(KgcrmError):
    """A call that failed: the HTTP API's error body and status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body


class KgcrmMcp:
    """The tools, bound to the tenant of one API key; :meth:`server` is the MCP server that serves them."""

    def __init__(self, services: Services, api_key: str) -> None:
        self.services = services
        self._key = api_key.strip()
        self.tools = mcp_tools()

    def authenticate(self) -> keys.Caller:
        """The key's tenant and user, checked like the HTTP API checks it; :class:`ToolFailure` otherwise."""
        try:
            caller = keys.authenticate(self.services.engine, self._key)
        except Exception as exc:
            raise self._failure(exc) from exc
        if caller is None:
            raise self._failure(unauthorized("invalid API key: unknown, revoked, or its user is inactive"))
        return caller

    def call(self, name: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
        """Run one tool (blocking); its answer as JSON-able data, or :class:`ToolFailure`."""
        tool = self.tools.get(name)
        if tool is None:
            raise self._failure(ApiError(404, "not_found", f"no tool named {name[:64]!r}", field="name"))
        try:
            args = tool.arguments.model_validate(arguments or {})
        except ValidationError as exc:  # located in the call's arguments (the HTTP API says "body" or "query")
            errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            failure = self._failure(RequestValidationError(errors))
            detail = failure.body["error"]
            for item in [detail, *detail.get("details", [])]:
                item["location"] = "arguments"
            raise failure from exc
        caller = self.authenticate()
        try:
            result = tool.run(self.services, caller, args)
        except Exception as exc:
            raise self._failure(exc) from exc
        return result.model_dump(mode="json", by_alias=True)

    @staticmethod
    def _failure(exc: BaseException) -> ToolFailure:
        error = translate(exc)
        if error is None:  # a bug: logged with a reference, never shown
            reference = uuid.uuid4().hex[:12]
            log.error("internal error %s in an MCP tool call", reference, exc_info=exc)
            error = ApiError(500, "internal_error", f"internal error (reference {reference})")
        body = error_body(error.code, error.message, field=error.field, extra={**error.extra, "status": error.status})
        return ToolFailure(error.status, body)

    # --- MCP ------------------------------------------------------------------------------------------

    def list_tools(self) -> list[types.Tool]:
        return [
            types.Tool(
                name=tool.name,
                description=tool.description,
                input_schema=tool_parameters(tool.arguments),
                annotations=types.ToolAnnotations(
                    read_only_hint=tool.read_only,
                    destructive_hint=False,
                    idempotent_hint=tool.read_only,
                    open_world_hint=False,
                ),
            )
            for tool in self.tools.values()
        ]

    async def call_async(self, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        try:
            data = await anyio.to_thread.run_sync(self.call, name, arguments)
        except ToolFailure as failure:
            text = json.dumps(failure.body, ensure_ascii=False)
            return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)
        text = json.dumps(data, ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)

    def server(self) -> Server[Any]:
        async def on_list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
            return types.ListToolsResult(tools=self.list_tools())

        async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            return await self.call_async(params.name, params.arguments)

        return Server(
            SERVER_NAME,
            version=_version(),
            instructions=INSTRUCTIONS,
            on_list_tools=on_list_tools,
            on_call_tool=on_call_tool,
        )


async def serve_stdio(app: KgcrmMcp) -> None:
    """Serve the tools over stdin/stdout until the client closes the stream."""
    server = app.server()
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
