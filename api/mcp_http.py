"""Remote MCP: the MCP server's tools at ``/mcp``, over the official SDK's Streamable HTTP transport.

The tools, their input schemas and their answers are the stdio server's
(:class:`kgcrm.api.mcp_server.KgcrmMcp`): each request gets a ``KgcrmMcp`` bound to the key it
presented, so a tool call runs exactly as ``kgcrm mcp`` runs it (same code, same errors, the
same ``via_agent`` writes as the key's user).

Authentication is the ``/v1`` API's: ``Authorization: Bearer <api key>`` on **every** HTTP
request, checked by :func:`kgcrm.api.keys.authenticate` before the SDK sees the request (one
key = one tenant, and one user where the key has one), and checked again by ``KgcrmMcp`` when
a tool runs. A missing, unknown or revoked key is 401 with the contract's error body and
``WWW-Authenticate: Bearer realm="kgcrm"`` (plus ``error="invalid_token"`` for a key that was
refused), as RFC 6750 and the MCP authorization spec ask. kgcrm issues its own keys and runs no
OAuth authorization server, so it publishes no protected-resource metadata (RFC 9728): the
SDK's metadata model requires an authorization server to point to.

The transport runs **stateless** with JSON answers: every POST stands alone (no
``Mcp-Session-Id`` to keep), so any worker of ``kgcrm serve --workers N`` can answer any
request, and there is no session table to grow. kgcrm's tools never call back to the client.
The SDK's DNS-rebinding protection (Host/Origin allow-lists) is left off: it would refuse a
reverse proxy's Host, and every request needs the bearer key anyway, which a page of another
origin cannot attach without a CORS preflight that kgcrm never grants.

Every request is counted in ``/metrics`` under the route ``/mcp``
(``kgcrm_http_requests_total``), and every tool call in
``kgcrm_mcp_tool_calls_total{tool, outcome}`` (``ok``, ``error``).
Switched off with ``KGCRM_API_MCP_ENABLED=false`` (the route is then not there: 404).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from prometheus_client import CollectorRegistry, Counter
from starlette.authentication import AuthCredentials
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from kgcrm.api import keys
from kgcrm.api.app import _version
from kgcrm.api.deps import MAX_KEY_LENGTH
from kgcrm.api.errors import ApiError, error_response, translate, unavailable
from kgcrm.api.mcp_server import INSTRUCTIONS, SERVER_NAME, KgcrmMcp
from kgcrm.services import Services

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
REALM = "kgcrm"

#: What a request's scope carries for the tools: the tools bound to the key it presented.
_SCOPE_KEY = "kgcrm.mcp"


def refused(message: str, *, presented: bool) -> ApiError:
    """401 with the contract's body and the RFC 6750 challenge (``invalid_token`` when a key was refused)."""
    challenge = f'Bearer realm="{REALM}"'
    if presented:
        challenge += f', error="invalid_token", error_description="{message}"'
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def bearer_key(scope: Scope) -> str | None:
    """The key of ``Authorization: Bearer <key>``; ``None`` when there is none."""
    header = Request(scope).headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


class McpHttp:
    """The ``/mcp`` endpoint (an ASGI app): the key checked, then the SDK's Streamable HTTP transport.

    :meth:`run` (entered by the API's lifespan) starts a session manager; the MCP server, its
    handlers and the counters are built once, with no I/O.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.server = self._server()
        self._manager: StreamableHTTPSessionManager | None = None
        self.tool_calls = Counter(
            "kgcrm_mcp_tool_calls",
            "Tool calls of the remote MCP endpoint (/mcp), by tool and outcome (ok, error).",
            ("tool", "outcome"),
            registry=registry,
        )

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Serve while inside (a new session manager each time: one can run only once)."""
        manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    # --- HTTP ---------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services | None = getattr(scope["app"].state, "services", None)
        manager = self._manager
        if services is None or manager is None:
            await error_response(unavailable("the service is starting: try again shortly"))(scope, receive, send)
            return
        key = bearer_key(scope)
        if key is None:
            error = refused("a valid API key is required: Authorization: Bearer <key>", presented=False)
            await error_response(error)(scope, receive, send)
            return
        try:
            too_long = len(key) > MAX_KEY_LENGTH
            caller = None if too_long else await run_in_threadpool(keys.authenticate, services.engine, key)
        except Exception as exc:  # the database is down: 503 (the contract's body), never a 500
            await error_response(translate(exc) or unavailable("cannot check the API key"))(scope, receive, send)
            return
        if caller is None:
            error = refused("invalid API key: unknown, revoked, or its user is inactive", presented=True)
            await error_response(error)(scope, receive, send)
            return
        # The SDK's own view of who is calling (it ties a session to the key that opened it) …
        token = AccessToken(token=key, client_id=caller.key_id, scopes=[], subject=caller.user_id)
        scope["user"] = AuthenticatedUser(token)
        scope["auth"] = AuthCredentials([])
        # … and the tools bound to this key, for the handlers (they see this request as ctx.request).
        scope[_SCOPE_KEY] = KgcrmMcp(services, key)
        await manager.handle_request(scope, receive, send)

    # --- MCP ----------------------------------------------------------------------------------------

    def _server(self) -> Server[Any]:
        async def on_list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
            return types.ListToolsResult(tools=_bound(ctx).list_tools())

        async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            bound = _bound(ctx)
            result = await bound.call_async(params.name, params.arguments)
            tool = params.name if params.name in bound.tools else "<unknown>"
            self.tool_calls.labels(tool, "error" if result.is_error else "ok").inc()
            return result

        return Server(
            SERVER_NAME,
            version=_version(),
            instructions=INSTRUCTIONS,
            on_list_tools=on_list_tools,
            on_call_tool=on_call_tool,
        )


def _bound(ctx: Any) -> KgcrmMcp:
    """The tools bound to the key of the HTTP request that carried this message."""
    request = getattr(ctx, "request", None)
    bound = request.scope.get(_SCOPE_KEY) if isinstance(request, Request) else None
    if not isinstance(bound, KgcrmMcp):  # cannot happen behind McpHttp: refuse rather than guess a tenant
        raise PermissionError("an MCP message without its authenticated HTTP request")
    return bound


class McpRoute(Route):
    """``/mcp``, any method, to the ASGI app; names itself in the scope (``/metrics`` counts it as ``/mcp``)."""

    def __init__(self, endpoint: McpHttp) -> None:
        super().__init__(MCP_PATH, endpoint=endpoint, include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child = {**child, "route": self}
        return match, child
