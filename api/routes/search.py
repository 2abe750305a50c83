"""``GET /v1/search``: semantic (and fulltext) search over the tenant's entities and notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kgcrm.api.deps import StackDep, TenantDep
from kgcrm.api.errors import invalid
from kgcrm.api.routes.entities import to_json
from kgcrm.api.schemas import COMMON_ERRORS, MAX_LIMIT, MAX_TEXT, SearchResponse, SearchResult, no_control_characters
from kgcrm.retrieval.types import ENTITY_TYPES

router = APIRouter(tags=["retrieval"])


def parse_types(values: list[str] | None) -> list[str] | None:
    """``types=Note,Organization`` (or repeated ``types=``) → the types; 422 naming ``types`` otherwise."""
    if not values:
        return None
    types: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in ENTITY_TYPES:
                raise invalid("types", f"types: unknown type {name[:40]!r} (one of {', '.join(ENTITY_TYPES)})")
            if name not in types:
                types.append(name)
    return types or None


def check_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise invalid(field, f"{field}: must not be empty")
    try:
        return no_control_characters(text)
    except ValueError as exc:
        raise invalid(field, f"{field}: {exc}") from exc


@router.get("/v1/search", summary="Semantic search over entity and note text", responses=COMMON_ERRORS)
def search(
    caller: TenantDep,
    stack: StackDep,
    q: Annotated[
        str, Query(min_length=1, max_length=MAX_TEXT, description="What to look for.", examples=["renewal pricing"])
    ],
    types: Annotated[
        list[str] | None,
        Query(max_length=len(ENTITY_TYPES), description="Only these types: `Note,Organization`.", examples=[["Note"]]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many results.")] = 10,
) -> SearchResponse:
    text = check_text("q", q)
    hits = stack.search.search(text, caller.tenant_id, types=parse_types(types), limit=limit)
    return SearchResponse(
        results=[
            SearchResult(
                id=h.id, type=h.type, name=h.name, score=h.score, snippet=h.snippet, updated_at=to_json(h.updated_at)
            )
            for h in hits
        ]
    )
