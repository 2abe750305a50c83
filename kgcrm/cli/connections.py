"""``kgcrm connections TARGET --tenant SLUG``: who connects us to a person or an organization.

``TARGET`` is an entity id or free text, resolved by :func:`kgcrm.retrieval.targets.resolve_target`
with :class:`kgcrm.retrieval.resolve.EntityResolver` (or, where that module is missing, matched
against exact names of the tenant's people and organizations). The tenant is named
by its slug and ``--from-user`` by e-mail, both looked up in the relational CRM.
``--json`` prints the ``/v1/connections`` answer instead of a table.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kgcrm import cypher
from kgcrm.cli.context import settings_of
from kgcrm.core import errors
from kgcrm.crm.tenants import tenant_and_user
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.connections import (
    MAX_HOPS,
    MAX_LIMIT,
    TARGET_TYPES,
    AmbiguousTargetError,
    ConnectionFinder,
    Resolver,
)
from kgcrm.retrieval.entities import EntityReader
from kgcrm.retrieval.targets import resolve_target
from kgcrm.retrieval.types import Candidate, Connections, Resolution
from kgcrm.services import database_engine, graph_gateway

__all__ = ["connections_command"]


def connections_command(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A person or organization: its id, or its name.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (slug).")],
    from_user: Annotated[
        str | None, typer.Option("--from-user", help="Only paths from this user (e-mail); default: the whole team.")
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=MAX_HOPS, help="Hops per path, at most.")] = 4,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="Paths, at most.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (as the API does).")] = False,
) -> None:
    """Who connects us to X: warm-introduction paths from the team, strongest first."""
    settings = settings_of(ctx)
    engine = database_engine(settings)
    try:
        tenant_id, user_id = tenant_and_user(engine, tenant, from_user)
    finally:
        engine.dispose()
    with graph_gateway(settings) as gateway:
        try:
            target_id = resolve_target(target, tenant_id, entities=EntityReader(gateway), resolver=_resolver(gateway))
        except AmbiguousTargetError as exc:
            _print_candidates(exc.text, exc.candidates)
            raise typer.Exit(2) from exc
        result = ConnectionFinder(gateway).connections(target_id, tenant_id, user_id, max_hops, limit)
    if as_json:
        typer.echo(result.model_dump_json(by_alias=True, indent=2))
    else:
        _print(result)


def _resolver(gateway: GraphGateway) -> Resolver:
    """The entity resolver when it is installed, else an exact-name match."""
    if importlib.util.find_spec("kgcrm.retrieval.resolve") is not None:
        from kgcrm.retrieval.resolve import EntityResolver

        return EntityResolver(gateway)
    return ExactNameResolver(gateway)


class ExactNameResolver:
    """Free text matched against the exact (case-insensitive) names of the tenant's people and organizations."""

    def __init__(self, gateway: GraphGateway) -> None:
        self.gateway = gateway

    def resolve(self, text: str, tenant_id: str, types: Sequence[str] | None = None, limit: int = 5) -> Resolution:
        rows = self.gateway.read(
            "connections_by_name",
            cypher.load("connections_by_name"),
            {"name": text.strip(), "tenant": tenant_id, "types": list(types or TARGET_TYPES), "limit": limit + 1},
        )
        candidates = [
            Candidate(id=r["id"], type=r["type"], name=r["name"], score=1.0, reasons=["exact name"]) for r in rows
        ]
        return Resolution(text=text, candidates=candidates[:limit], ambiguous=len(candidates) > 1)


def _print_candidates(text: str, candidates: Sequence[errors.Candidate]) -> None:
    console = Console(stderr=True)
    table = Table("id", "type", "name", "score", title=f"'{text}' could be any of these: name one by id", box=None)
    for c in candidates:
        table.add_row(c.id, c.type, c.name or "", f"{c.score:.2f}")
    console.print(table)


def _print(result: Connections) -> None:
    console = Console()
    target = result.target
    if not result.paths:
        console.print(f"No warm path from the team to {target.name} ({target.type} {target.id}).")
        return
    table = Table("#", "score", "path", "explanation", title=f"Who connects us to {target.name}", show_lines=True)
    for rank, path in enumerate(result.paths, start=1):
        chain = " → ".join(n.name or n.id for n in path.nodes)
        evidence = "; ".join(
            f"{h.relation}: {len(h.evidence)} row{'s' if len(h.evidence) != 1 else ''}" for h in path.hops
        )
        table.add_row(str(rank), f"{path.score:.3f}", chain, f"{path.explanation}\n[dim]{evidence}[/dim]")
    console.print(table)
