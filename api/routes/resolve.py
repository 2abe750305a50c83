"""``POST /v1/resolve``: a free-text mention → ranked entities of the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from kgcrm.api.deps import CachedDep, StackDep, TenantDep
from kgcrm.api.schemas import BODY_ERRORS, ResolveRequest, ResolveResponse

router = APIRouter(tags=["retrieval"])

_EXAMPLES = {
    "name at organization": {"value": {"text": "Bob at Acme", "types": ["Person"], "limit": 5}},
    "email": {"value": {"text": "dana.lee@globex.com"}},
    "time reference": {"value": {"text": "the company we met last week", "types": ["Organization"]}},
}


@router.post(
    "/v1/resolve",
    summary="Resolve a free-text mention to ranked entities",
    responses=BODY_ERRORS,
)
def resolve(
    request: Annotated[ResolveRequest, Body(openapi_examples=_EXAMPLES)],
    caller: TenantDep,
    stack: StackDep,
    cached: CachedDep,
) -> ResolveResponse:
    types = tuple(request.types) if request.types else None
    resolution = cached(
        ("resolve", caller.tenant_id, request.text, types, request.limit),
        lambda: stack.resolver.resolve(request.text, caller.tenant_id, types=request.types, limit=request.limit),
    )
    return ResolveResponse(
        text=request.text, candidates=resolution.candidates[: request.limit], ambiguous=resolution.ambiguous
    )
