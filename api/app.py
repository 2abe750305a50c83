"""The FastAPI application: :func:`create_app` builds it, its lifespan builds the services.

    app = create_app(load_settings())                  # services built at startup, closed at shutdown
    app = create_app(settings, services=services)      # tests: services built by the caller (and closed by it)

Nothing happens at import time: the Neo4j driver, the SQL engine, the embedding model
and the retrieval stack are built once, in the lifespan (:func:`kgcrm.services.build_services`),
and shared through ``app.state.services``; the routes get them through :mod:`kgcrm.api.deps`.

``uvicorn --factory kgcrm.api.app:app_from_environment`` (what ``kgcrm serve --workers N`` runs)
builds the app from the environment's settings in each worker.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kgcrm.api.errors import error_body, install_error_handlers
from kgcrm.api.graph_gate import GraphGate
from kgcrm.api.metrics import Metrics, MetricsMiddleware
from kgcrm.api.openapi import install_contract_schema
from kgcrm.api.routes import ask, connections, entities, health, resolve, search, sync, tools
from kgcrm.api.routes import context as context_route
from kgcrm.api.routes.feedback import router as feedback_router  # issue 14
from kgcrm.api.routes.suggestions import router as suggestions_router  # issue 14
from kgcrm.core.settings import Settings, load_settings
from kgcrm.services import Services, build_services

log = logging.getLogger(__name__)

#: Request bodies larger than this are refused (413) before they are read.
MAX_BODY_BYTES = 64 * 1024

DESCRIPTION = """\
Questions over the knowledge graph of a relational CRM: entity resolution, warm
introductions, questions in plain language, semantic search, entities and their
neighbourhoods, and the sync that keeps the graph current; agent tools (`/v1/tools`) that
write notes, tasks, interactions and status moves to the relational CRM on a user's behalf.

Every `/v1` endpoint needs `Authorization: Bearer <api key>` (made with
`kgcrm keys create --tenant <slug> [--user <email>]`) and answers inside the key's
tenant only. Errors are `{"error": {"code", "message", "field"?}}`.
"""


def _version() -> str:
    try:
        return version("kgcrm")
    except PackageNotFoundError:
        return "0"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the services once (unless the caller passed them), close them at shutdown."""
    given: Services | None = app.state.given_services
    services = given if given is not None else await run_in_threadpool(build_services, app.state.settings)
    app.state.services = services
    freeze = app.state.freeze_heap if app.state.freeze_heap is not None else given is None
    if freeze:
        freeze_startup_heap()
    try:
        async with app.state.mcp.run() if app.state.mcp is not None else nullcontext():  # remote MCP (/mcp)
            yield
    finally:
        app.state.services = None
        if freeze:
            gc.unfreeze()  # collectable again once closed
        if given is None:
            await run_in_threadpool(services.close)


def freeze_startup_heap() -> None:
    """Take what the process holds once started (modules, word lists, the model, the services) out of the
    cyclic garbage collector's sight (``gc.freeze``): its full collections then scan only what requests
    made. Without it, a worker's full collections took 220 ms each under load, every request of the worker
    waiting for them, and were most of the tail (p99); with it, 9 ms (``bench/RESULTS.md``, ``resolve_load_s8``)."""
    gc.collect()
    gc.freeze()


class BodySizeLimit:
    """Refuse a request body over ``max_bytes`` (413, the contract's JSON error).

    A declared ``Content-Length`` over the limit is refused before anything is read; the bytes
    actually received are counted too (a chunked body declares no length, and a client may send
    more than it declared): reading stops at the first chunk past the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _send_json(send, 413, error_body("payload_too_large", self.message), close=True)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException raised while reading the body on to the error handlers
                    # (and the connection is closed: the rest of the body is not worth reading)
                    raise StarletteHTTPException(413, self.message, headers={"Connection": "close"})
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except StarletteHTTPException as exc:  # raised where no handler runs (outside a route)
            if exc.status_code != 413 or started:
                raise
            await _send_json(send, 413, error_body("payload_too_large", self.message), close=True)

    @property
    def message(self) -> str:
        return f"the body is over {self.max_bytes} bytes"


async def _send_json(send: Send, status: int, body: dict[str, object], *, close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": payload})


def create_app(settings: Settings, *, services: Services | None = None, freeze_heap: bool | None = None) -> FastAPI:
    """The API for ``settings``; ``services``: use these (the caller closes them) instead of building them.

    ``freeze_heap``: :func:`freeze_startup_heap` once the services are there (by default when the app
    builds them: a server; a test process that makes many apps need not)."""
    # /docs and /redoc from Swagger UI's and ReDoc's files shipped in the fastapi-offline wheel (served under
    # /static-offline-docs), not from a CDN: the API reference works on a machine without internet.
    app = FastAPIOffline(
        title="kgcrm",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "retrieval", "description": "Resolve, connect, ask, search."},
            {"name": "entities", "description": "The graph's entities and their neighbourhoods."},
            {"name": "sync", "description": "The mirror of the relational CRM."},
            {
                "name": "tools",
                "description": "Agent tools: writes to the relational CRM on a user's behalf, with the prompt "
                "and reasoning recorded in change_log.",
            },
            {"name": "health", "description": "Liveness, readiness and metrics (no key)."},
        ],
    )
    app.state.settings = settings
    app.state.given_services = services
    app.state.freeze_heap = freeze_heap
    app.state.services = None
    app.state.metrics = Metrics()
    install_error_handlers(app)
    for module in (health, resolve, connections, ask, search, entities, sync, tools):
        app.include_router(module.router)
    app.include_router(context_route.router)  # GET /v1/context (issue 14)
    for router in (suggestions_router, feedback_router):  # issue 14
        app.include_router(router)
    install_contract_schema(app)  # every error answer documented with the contract's body (api/openapi.py)
    app.state.mcp = None
    if settings.api_mcp_enabled:  # remote MCP at /mcp: the stdio server's tools, the /v1 keys (api/mcp_http.py)
        from kgcrm.api.mcp_http import McpHttp, McpRoute  # here: it imports the MCP server, which imports this module

        app.state.mcp = McpHttp(app.state.metrics.registry)
        app.router.routes.append(McpRoute(app.state.mcp))
    # innermost: a slot only for the work
    app.add_middleware(GraphGate, slots=settings.api_graph_slots, metrics=app.state.metrics)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # outermost: counts every answer
    return app


def app_from_environment() -> FastAPI:
    """``uvicorn --factory`` entry point: settings from the environment."""
    return create_app(load_settings())
