"""``GET /v1/connections``: "who connects us to X", from the tenant's team to a person or organization.

``target`` is an entity id of the caller's tenant, or free text resolved first (to a
Person or an Organization): no match is 404, several equally likely matches are 409
with the candidates. An id of another tenant is not an id here: it is resolved as
text, finds nothing, and is 404. When the key belongs to a user (with a person
record), the paths start from that user; otherwise from the whole team.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query

from kgcrm.api.deps import Cached, CachedDep, StackDep, TenantDep
from kgcrm.api.schemas import AMBIGUOUS, COMMON_ERRORS, MAX_HOPS, MAX_LIMIT, MAX_TEXT, NOT_FOUND, ConnectionsResponse
from kgcrm.api.values import check_text
from kgcrm.retrieval.connections import Resolver
from kgcrm.retrieval.targets import resolve_target
from kgcrm.retrieval.types import Resolution

router = APIRouter(tags=["retrieval"])


@router.get(
    "/v1/connections",
    summary="Warm-introduction paths from the team to a person or organization",
    responses={**COMMON_ERRORS, 404: NOT_FOUND, 409: AMBIGUOUS},
)
def connections(
    caller: TenantDep,
    stack: StackDep,
    cached: CachedDep,
    target: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_TEXT,
            description="An entity id, or free text such as 'Dana at Globex'.",
            examples=["Globex"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many paths.")] = 5,
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="At most this many hops per path.")] = 4,
) -> ConnectionsResponse:
    text = check_text("target", target)
    from_user = caller.user_id if caller.user_id and caller.individual_id else None
    # the target as the id of a person or organization of the tenant first: the search checks it (one query
    # less than a lookup of the id, then the search); anything else is resolved as before (None: not such an id)
    result = cached(
        ("connections", caller.tenant_id, text, from_user, max_hops, limit),
        lambda: stack.connections.connections_by_id(
            text, caller.tenant_id, from_user=from_user, max_hops=max_hops, limit=limit
        ),
    )
    if result is None:
        target_id = resolve_target(
            text, caller.tenant_id, entities=stack.entities, resolver=CachedResolver(stack.resolver, cached)
        )
        result = cached(
            ("connections", caller.tenant_id, target_id, from_user, max_hops, limit),
            lambda: stack.connections.connections(
                target_id, caller.tenant_id, from_user=from_user, max_hops=max_hops, limit=limit
            ),
        )
    # ConnectionsResponse is Connections with the documentation's example: the answer is validated already, and
    # dumping it to validate it again cost ~5 % of a worker's CPU under load (bench/RESULTS.md, graph_gate)
    return ConnectionsResponse.model_construct(_fields_set=result.model_fields_set, **dict(result))


class CachedResolver:
    """The stack's resolver through the answer cache, under the keys ``POST /v1/resolve`` uses."""

    def __init__(self, resolver: Resolver, cached: Cached) -> None:
        self.resolver = resolver
        self.cached = cached

    def resolve(self, text: str, tenant_id: str, types: Sequence[str] | None = None, limit: int = 5) -> Resolution:
        key_types = tuple(types) if types else None
        return self.cached(
            ("resolve", tenant_id, text, key_types, limit),
            lambda: self.resolver.resolve(text, tenant_id, types=list(types) if types else None, limit=limit),
        )
