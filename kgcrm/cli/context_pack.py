"""``kgcrm context ABOUT --tenant SLUG``: a context pack, what the tenant knows about a person or an
organization, ranked, within a token budget (the ``GET /v1/context`` answer).

``ABOUT`` is an entity id or free text (resolved; an ambiguous name lists the candidates and exits 2).
The tenant is named by its slug and ``--from-user`` (whose best path is shown) by e-mail.
``--question`` ranks the pack by relevance to it (``--semantic`` loads the embedding model for that).
Prints the pack's text; ``--json`` prints the structured pack.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kgcrm.cli.connections import _print_candidates
from kgcrm.cli.context import settings_of
from kgcrm.crm.tenants import tenant_and_user
from kgcrm.retrieval.connections import AmbiguousTargetError
from kgcrm.retrieval.context import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET
from kgcrm.services import database_engine, graph_gateway, retrieval_stack

__all__ = ["context_command"]


def context_command(
    ctx: typer.Context,
    about: Annotated[str, typer.Argument(help="A person or organization: its id, or its name.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (slug).")],
    budget_tokens: Annotated[
        int, typer.Option("--budget-tokens", min=MIN_BUDGET, max=MAX_BUDGET, help="The most tokens of the pack.")
    ] = DEFAULT_BUDGET,
    question: Annotated[
        str | None, typer.Option("--question", help="What the pack is for: rank by relevance to it.")
    ] = None,
    from_user: Annotated[
        str | None, typer.Option("--from-user", help="The best path from this user (e-mail); default: the team.")
    ] = None,
    semantic: Annotated[
        bool, typer.Option("--semantic/--no-semantic", help="Load the embedding model (ranks by --question).")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the structured pack as JSON (as the API does).")
    ] = False,
) -> None:
    """Everything relevant about a person or organization, ranked, within a token budget."""
    settings = settings_of(ctx)
    engine = database_engine(settings)
    try:
        tenant_id, user_id = tenant_and_user(engine, tenant, from_user)
    finally:
        engine.dispose()
    with graph_gateway(settings) as gateway:
        stack = retrieval_stack(settings, gateway, semantic=semantic and question is not None)
        try:
            pack = stack.context.build(
                about, tenant_id, budget_tokens=budget_tokens, question=question, from_user=user_id
            )
        except AmbiguousTargetError as exc:
            _print_candidates(exc.text, exc.candidates)
            raise typer.Exit(2) from exc
    if as_json:
        typer.echo(pack.model_dump_json(indent=2))
    else:
        typer.echo(pack.text)
        typer.echo(f"\n({pack.used_tokens} of {pack.budget_tokens} tokens, {pack.tokenizer}; ranked by {pack.ranking})")
