"""``GET /v1/connections``: "who connects us to X", from the tenant's team to a person or organization.

``target`` is an entity id of the caller's tenant, or free text resolved first (to a
Person or an Organization): no match is 404, several equally likely matches are 409
with the candidates. An id of another tenant is not an id here: it is resolved as
text, finds nothing, and is 404. When the key belongs to a user (with a person
record), the paths start from that user; otherwise from the whole team.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kgcrm.api.deps import CachedDep, GatewayDep, StackDep, TenantDep
from kgcrm.api.errors import ambiguous, invalid, not_found
from kgcrm.api.routes.entities import entity_type, find_entity
from kgcrm.api.routes.search import check_text
from kgcrm.api.schemas import AMBIGUOUS, COMMON_ERRORS, MAX_HOPS, MAX_LIMIT, MAX_TEXT, NOT_FOUND, ConnectionsResponse

router = APIRouter(tags=["retrieval"])

TARGET_TYPES = ("Person", "Organization")


@router.get(
    "/v1/connections",
    summary="Warm-introduction paths from the team to a person or organization",
    responses={**COMMON_ERRORS, 404: NOT_FOUND, 409: AMBIGUOUS},
)
def connections(
    caller: TenantDep,
    stack: StackDep,
    gateway: GatewayDep,
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
    target_id = _target_id(text, caller.tenant_id, stack, gateway, cached)
    from_user = caller.user_id if caller.user_id and caller.individual_id else None
    result = cached(
        ("connections", caller.tenant_id, target_id, from_user, max_hops, limit),
        lambda: stack.connections.connections(
            target_id, caller.tenant_id, from_user=from_user, max_hops=max_hops, limit=limit
        ),
    )
    return ConnectionsResponse.model_validate(result.model_dump(by_alias=True))


def _target_id(text: str, tenant_id: str, stack: StackDep, gateway: GatewayDep, cached: CachedDep) -> str:
    entity = find_entity(gateway, text, tenant_id)
    if entity is not None:
        kind = entity_type([label for label in entity["labels"] if label != "__Entity__"])
        if kind not in TARGET_TYPES:
            raise invalid("target", f"target: {kind} {text} is not a person or an organization")
        return str(entity["id"])
    resolution = cached(
        ("resolve", tenant_id, text, TARGET_TYPES, 5),
        lambda: stack.resolver.resolve(text, tenant_id, types=list(TARGET_TYPES), limit=5),
    )
    if not resolution.candidates:
        raise not_found(f"no person or organization matches '{text[:100]}' in this tenant", field="target")
    if resolution.ambiguous:
        raise ambiguous(
            f"'{text[:100]}' could be several people or organizations: name one by id",
            [c.model_dump() for c in resolution.candidates],
            field="target",
        )
    return resolution.candidates[0].id
