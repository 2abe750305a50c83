"""``GET /v1/suggestions``: what to look at next, for one user, one organization or the team (issue 14).

``for``: ``me`` (the key's user; a team key has none: 422), a user id or an organization id
of the caller's tenant (another tenant's id is 404, like an unknown one), or absent (the whole
team). Computed from the graph, deterministically (:mod:`kgcrm.retrieval.suggestions`);
suggestions a user dismissed (``POST /v1/feedback`` kind ``suggestion``) are left out until
their evidence changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kgcrm.api.deps import ServicesDep, TenantDep
from kgcrm.api.schemas import COMMON_ERRORS, MAX_ID, NOT_FOUND
from kgcrm.core.errors import invalid_input
from kgcrm.retrieval.suggestions import KINDS, MAX_LIMIT, Suggestions
from kgcrm.services import suggestion_engine

router = APIRouter(tags=["retrieval"])


@router.get(
    "/v1/suggestions",
    summary="Ranked suggestions: deals at risk, cooling ties, warm intros, follow-ups owed, duplicates, unowned rows",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
    response_model_by_alias=True,
)
def get_suggestions(
    caller: TenantDep,
    services: ServicesDep,
    for_: Annotated[
        str | None,
        Query(
            alias="for",
            min_length=1,
            max_length=MAX_ID,
            description="'me', a user id or an organization id; absent: the whole team.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many suggestions.")] = 10,
    kind: Annotated[list[str] | None, Query(description=f"Only these kinds (repeatable): {', '.join(KINDS)}.")] = None,
) -> Suggestions:
    for_id = for_.strip() if for_ else None
    if for_id == "me":
        if caller.user_id is None:
            raise invalid_input("for", "'me' needs an API key bound to a user; name a user id instead")
        for_id = caller.user_id
    engine = suggestion_engine(services.settings, services.gateway, services.stack, services.workers)
    return engine.suggest(caller.tenant_id, for_id=for_id, limit=limit, kinds=kind)
