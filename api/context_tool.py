"""The MCP tool ``get_context``: ``GET /v1/context`` for an agent (same validation, same answer, same errors)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from kgcrm.api import keys
from kgcrm.api.deps import answer_cache
from kgcrm.api.routes.context import context as context_route
from kgcrm.api.schemas import MAX_TEXT, ApiRequest, Text
from kgcrm.retrieval.context import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, ContextPack
from kgcrm.services import Services

DESCRIPTION = (
    "Everything relevant about one person or organization, in at most `budget_tokens` tokens: key facts, "
    "roles and people, strongest ties and the team's best introduction path, open deals, tasks and accounts, "
    "the latest interactions and the most relevant notes. Ranked by relevance to `question` when given. Every "
    "item cites its source row (table, id, updated_at); `text` is a ready-to-paste rendering and `dropped` says "
    "what the budget left out. `about` is an id (from resolve) or free text; an ambiguous name is an error "
    "listing the candidates."
)


class ContextArguments(ApiRequest):
    about: Text = Field(description="An entity id (a person or an organization), or free text such as 'Bob at Acme'.")
    budget_tokens: int = Field(
        default=DEFAULT_BUDGET, ge=MIN_BUDGET, le=MAX_BUDGET, description="The most tokens the pack's text may take."
    )
    question: str | None = Field(
        default=None, min_length=1, max_length=MAX_TEXT, description="What the pack is for (ranks it by relevance)."
    )

    model_config = ConfigDict(extra="forbid")


def run_context(services: Services, caller: keys.Caller, args: ContextArguments) -> ContextPack:
    return context_route(
        caller,
        services.stack,
        answer_cache(services),
        about=args.about,
        budget_tokens=args.budget_tokens,
        question=args.question,
    )
