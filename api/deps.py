"""Dependencies of the routes, as typed aliases: a route's signature says what it uses.

    def search(caller: TenantDep, stack: StackDep, q: ...) -> SearchResponse: ...

The services are built once by the app's lifespan (:mod:`kgcrm.api.app`) and kept in
``app.state.services``; these functions only hand them out. ``TenantDep`` checks the
``Authorization: Bearer <key>`` header and gives the key's tenant (and user): every
``/v1`` route takes it, and computes its answer inside ``caller.tenant_id`` only.
Blocking work (SQL, Neo4j, the embedding model) runs in sync ``def`` routes and
dependencies, which FastAPI runs in its threadpool; the ones that only hand a service out are
``async def``, run on the event loop (a threadpool hop costs more than they do).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kgcrm.api import keys
from kgcrm.api.errors import unauthorized, unavailable
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.stack import RetrievalStack
from kgcrm.services import Services

Cached = Callable[[Hashable, Callable[[], Any]], Any]

#: Longer headers are refused before any work (a real key is 59 characters).
MAX_KEY_LENGTH = 256

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `kgcrm keys create --tenant <slug> [--user <email>]`.",
)


async def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise unavailable("the service is starting: try again shortly")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


async def get_gateway(services: ServicesDep) -> GraphGateway:
    return services.gateway


async def get_engine(services: ServicesDep) -> sa.Engine:
    return services.engine


async def get_stack(services: ServicesDep) -> RetrievalStack:
    return services.stack


def answer_cache(services: Services) -> Cached:
    """``cached(key, compute)``: through the answer cache when there is one (the key must name the tenant)."""
    cache = services.cache
    if cache is None:
        return lambda key, compute: compute()
    return cache.get_or_compute


async def cached(services: ServicesDep) -> Cached:
    """:func:`answer_cache`, as a route's dependency."""
    return answer_cache(services)


def current_caller(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> keys.Caller:
    """The key's tenant and user; 401 for a missing, malformed, unknown or revoked key."""
    if credentials is None:
        raise unauthorized()
    presented = credentials.credentials.strip()
    if len(presented) > MAX_KEY_LENGTH:
        raise unauthorized("invalid API key")
    caller = keys.authenticate(services.engine, presented)
    if caller is None:
        raise unauthorized("invalid API key")
    request.state.caller = caller
    return caller


SettingsDep = Annotated[Settings, Depends(get_settings)]
GatewayDep = Annotated[GraphGateway, Depends(get_gateway)]
EngineDep = Annotated[sa.Engine, Depends(get_engine)]
StackDep = Annotated[RetrievalStack, Depends(get_stack)]
CachedDep = Annotated[Cached, Depends(cached)]
TenantDep = Annotated[keys.Caller, Depends(current_caller)]
