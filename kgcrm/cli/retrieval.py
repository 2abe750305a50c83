"""``kgcrm resolve`` and ``kgcrm dedupe``: entity resolution and duplicate detection from the shell.

Plain Typer command functions; ``kgcrm/cli/__init__.py`` registers them. The settings come
from ``ctx.obj`` (a :class:`kgcrm.core.settings.Settings`); the tenant is named by its
slug and looked up in the graph.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kgcrm import cypher
from kgcrm.cli.context import settings_of
from kgcrm.core.errors import TenantNotFound
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.dedupe import DEFAULT_THRESHOLDS, DedupeReport, DuplicateFinder
from kgcrm.retrieval.resolve import EntityResolver
from kgcrm.retrieval.types import ENTITY_TYPES, Resolution
from kgcrm.services import graph_gateway

__all__ = ["dedupe_command", "resolve_command"]


def tenant_id_of(gateway: GraphGateway, slug: str) -> str:
    """The id of the tenant with this slug, as synced into the graph."""
    rows = gateway.read("resolve_tenant", cypher.load("resolve_tenant"), {"slug": slug})
    if not rows:
        raise TenantNotFound(slug, in_graph=True)
    return str(rows[0]["id"])


def resolve_command(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="The mention: 'Bob at Acme', 'priya@northwind.io', 'the company we met last week'.")
    ],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (slug) whose entities to search.")],
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help=f"Entity type to consider (repeatable): {', '.join(ENTITY_TYPES)}."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Most candidates to show.")] = 5,
) -> None:
    """Resolve a mention to the tenant's entities: ranked candidates, scores and reasons."""
    settings = settings_of(ctx)
    with graph_gateway(settings) as gateway:
        tenant_id = tenant_id_of(gateway, tenant)
        resolution = EntityResolver(gateway).resolve(text, tenant_id, types=types or None, limit=limit)
    print_resolution(resolution)


def print_resolution(resolution: Resolution, console: Console | None = None) -> None:
    out = console or Console()
    if not resolution.candidates:
        out.print(f"No entity matches {resolution.text!r}.")
        return
    verdict = "ambiguous: several entities fit" if resolution.ambiguous else "resolved"
    table = Table(title=f"{resolution.text!r}: {verdict}")
    table.add_column("score", justify="right")
    table.add_column("type")
    table.add_column("name")
    table.add_column("id")
    table.add_column("why")
    for candidate in resolution.candidates:
        table.add_row(
            f"{candidate.score:.3f}",
            candidate.type,
            candidate.name or "",
            candidate.id,
            "; ".join(candidate.reasons),
        )
    out.print(table)


def dedupe_command(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (slug) to look for duplicates in.")],
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            max=1.0,
            help="Least match probability of a pair to report and record (default: "
            f"{DEFAULT_THRESHOLDS['Person']} for people, {DEFAULT_THRESHOLDS['Organization']} for organizations).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the pairs without writing POSSIBLY_SAME_AS edges.")
    ] = False,
    clear: Annotated[
        bool,
        typer.Option("--clear", help="Remove the POSSIBLY_SAME_AS edges dedupe wrote in the tenant (undo) and stop."),
    ] = False,
) -> None:
    """Find probable duplicate people and organizations; record them as POSSIBLY_SAME_AS edges (never merged)."""
    settings = settings_of(ctx)
    out = Console()
    with graph_gateway(settings) as gateway:
        tenant_id = tenant_id_of(gateway, tenant)
        finder = DuplicateFinder(gateway)
        if clear:
            removed = finder.clear(tenant_id)
            out.print(f"Removed {removed} POSSIBLY_SAME_AS edge(s) of tenant '{tenant}'.")
            return
        report = finder.run(tenant_id, threshold=threshold, dry_run=dry_run)
    print_dedupe(report, tenant, out)


def print_dedupe(report: DedupeReport, tenant: str, console: Console | None = None) -> None:
    out = console or Console()
    cut = (
        report.threshold
        if report.threshold is not None
        else ", ".join(f"{kind} {value}" for kind, value in DEFAULT_THRESHOLDS.items())
    )
    table = Table(title=f"Probable duplicates in '{tenant}' (match probability ≥ {cut})")
    table.add_column("type")
    table.add_column("record A")
    table.add_column("record B")
    table.add_column("score", justify="right")
    table.add_column("why (match weight in bits)")
    for pair in report.pairs:
        table.add_row(
            pair.type,
            f"{pair.a_name or ''}\n{pair.a_id}",
            f"{pair.b_name or ''}\n{pair.b_id}",
            f"{pair.probability:.3f}",
            "\n".join(pair.reasons),
        )
    out.print(table)
    counts = ", ".join(
        f"{kind}: {report.records.get(kind, 0)} records, {report.compared.get(kind, 0)} pairs compared"
        for kind in report.records
    )
    out.print(f"{len(report.pairs)} pair(s) found ({counts}).")
    if report.dry_run:
        out.print("Dry run: nothing written.")
    else:
        out.print(
            f"Wrote {report.written} POSSIBLY_SAME_AS edge(s), removed {report.removed} stale one(s); "
            "`kgcrm dedupe --clear` removes them all."
        )
