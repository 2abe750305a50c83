"""``kgcrm eval``: accuracy per category and latency p50/p95 on the seeded CRM."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from kgcrm.core.settings import Settings
from kgcrm.services import graph_gateway


def eval_command(
    ctx: typer.Context,
    truth: Path | None = typer.Option(None, "--truth", help="The seed's ground truth (default: the data dir's)."),
    tenant: str | None = typer.Option(None, "--tenant", help="One tenant (slug) only."),
    febrl: bool = typer.Option(False, "--febrl", help="Also run the Febrl record-linkage data sets (slow)."),
) -> None:
    """Evaluate resolution, duplicates, connections and template answers against the seed's ground truth."""
    from kgcrm.eval.connections import evaluate_connections
    from kgcrm.eval.duplicates import evaluate_duplicates, evaluate_febrl
    from kgcrm.eval.resolution import evaluate_resolution
    from kgcrm.eval.templates import evaluate_templates

    settings: Settings = ctx.obj
    path = truth or settings.data_dir / "seed-truth.json"
    if not path.is_file():
        raise typer.BadParameter(f"no ground truth at {path}: run `kgcrm seed` first", param_hint="--truth")
    facts = json.loads(path.read_text())
    out = Console()
    with graph_gateway(settings) as gateway:
        out.print(evaluate_resolution(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_duplicates(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_connections(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_templates(gateway, facts, tenant=tenant).summary())
    if febrl:
        for figures in evaluate_febrl():
            out.print(figures.summary())
