"""``GET /v1/context``: a context pack, "everything relevant about X, in N tokens", for an LLM to read.

``about`` is an entity id of the caller's tenant (a person or an organization), or free text
resolved first: no match is 404, several equally likely matches are 409 with the candidates
(never a guess). An id of another tenant is not an id here: it is resolved as text, finds
nothing, and is 404. ``budget_tokens`` bounds the text rendering, counted with the
``context_tokenizer`` setting's tokenizer; ``question`` ranks the pack by relevance to it.
When the key belongs to a user (with a person record), the best path starts from that user.

The answer is the structured pack (sections of items, each with its source rows) and its
ready-to-paste text rendering; ``dropped`` says what the budget left out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kgcrm.api.deps import CachedDep, StackDep, TenantDep
from kgcrm.api.schemas import AMBIGUOUS, COMMON_ERRORS, MAX_TEXT, NOT_FOUND
from kgcrm.api.values import check_text
from kgcrm.retrieval.context import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, ContextPack

router = APIRouter(tags=["retrieval"])


@router.get(
    "/v1/context",
    summary="A context pack: what the tenant knows about a person or organization, ranked, within a token budget",
    responses={**COMMON_ERRORS, 404: NOT_FOUND, 409: AMBIGUOUS},
)
def context(
    caller: TenantDep,
    stack: StackDep,
    cached: CachedDep,
    about: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_TEXT,
            description="An entity id (a person or an organization), or free text such as 'Dana at Globex'.",
            examples=["Acme"],
        ),
    ],
    budget_tokens: Annotated[
        int,
        Query(
            ge=MIN_BUDGET,
            le=MAX_BUDGET,
            description="The most tokens the pack's text may take (counted with the context_tokenizer setting).",
        ),
    ] = DEFAULT_BUDGET,
    question: Annotated[
        str | None,
        Query(
            max_length=MAX_TEXT,
            description="What the pack is for: items are ranked by relevance to it (else by recency).",
            examples=["Who can introduce us, and what is open with them?"],
        ),
    ] = None,
) -> ContextPack:
    text = check_text("about", about)
    asked = check_text("question", question) if question is not None else None
    from_user = caller.user_id if caller.user_id and caller.individual_id else None
    entity_id = stack.context.resolve(text, caller.tenant_id)
    return cached(
        ("context", caller.tenant_id, entity_id, budget_tokens, asked, from_user),
        lambda: stack.context.build_for_id(
            entity_id, caller.tenant_id, budget_tokens=budget_tokens, question=asked, from_user=from_user
        ),
    )
