"""``kgcrm eval``: accuracy per category and latency p50/p95 on the seeded CRM; ``kgcrm eval ask``: the ask bank."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from kgcrm.cli.context import settings_of
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.services import database_engine, graph_gateway

eval_app = typer.Typer(
    help="Evaluate kgcrm against ground truth (without a sub-command: resolution, duplicates, connections, templates, "
    "context packs).",
    invoke_without_command=True,
)


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    truth: Path | None = typer.Option(None, "--truth", help="The seed's ground truth (default: the data dir's)."),
    tenant: str | None = typer.Option(None, "--tenant", help="One tenant (slug) only."),
    febrl: bool = typer.Option(False, "--febrl", help="Also run the Febrl record-linkage data sets (slow)."),
) -> None:
    """Evaluate resolution, duplicates, connections and template answers against the seed's ground truth."""
    if ctx.invoked_subcommand is not None:
        return
    from kgcrm.eval.connections import compare_strategies, evaluate_connections
    from kgcrm.eval.duplicates import evaluate_duplicates, evaluate_febrl
    from kgcrm.eval.resolution import evaluate_resolution
    from kgcrm.eval.suggestions import evaluate_suggestions  # issue 14
    from kgcrm.eval.templates import evaluate_templates
    from kgcrm.services import suggestion_settings  # issue 14

    settings = settings_of(ctx)
    path = truth or settings.data_dir / "seed-truth.json"
    if not path.is_file():
        raise typer.BadParameter(f"no ground truth at {path}: run `kgcrm seed` first", param_hint="--truth")
    facts = json.loads(path.read_text())
    out = Console()
    with graph_gateway(settings) as gateway:
        out.print(evaluate_resolution(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_duplicates(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_connections(gateway, facts, tenant=tenant).summary())
        out.print(compare_strategies(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_templates(gateway, facts, tenant=tenant).summary())
        out.print(evaluate_suggestions(gateway, facts, tenant=tenant, settings=suggestion_settings(settings)).summary())
        out.print(_context_packs(settings, gateway, facts, tenant))
    if febrl:
        for figures in evaluate_febrl():
            out.print(figures.summary())


def _context_packs(settings: Settings, gateway: GraphGateway, facts: dict[str, Any], tenant: str | None) -> str:
    """Context-pack coverage of the planted facts at 1k/2k/4k tokens, beside the 2-hop baseline (issue 14)."""
    from kgcrm.core.embedding import load_embedding_model
    from kgcrm.core.errors import ConfigurationError
    from kgcrm.eval.context_packs import evaluate_context_packs
    from kgcrm.services import SerializedModel, query_embedder

    try:  # with the model, packs are ranked by each question; without it, by recency
        embed = query_embedder(SerializedModel(load_embedding_model(settings)))
    except ConfigurationError:
        embed = None
    engine = database_engine(settings)
    try:
        figures = evaluate_context_packs(
            gateway, facts, engine, tenant=tenant, embed=embed, tokenizer=settings.context_tokenizer
        )
    finally:
        engine.dispose()
    return figures.summary()


def _parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--now") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@eval_app.command("ask")
def ask_eval_command(
    ctx: typer.Context,
    tenant: str | None = typer.Option(
        None, "--tenant", help="The seeded CRM's tenant (slug); default: the seed truth's first."
    ),
    truth: Path | None = typer.Option(
        None, "--truth", help="The seed's ground truth, for its `now` (default: the data dir's)."
    ),
    now: str | None = typer.Option(
        None, "--now", help="Reference time of the questions (ISO 8601); default: the seed's `now`."
    ),
    crm: str = typer.Option("both", "--crm", help="seed, second or both."),
    split: str = typer.Option(
        "both", "--split", help="dev, dev2, dev3, dev4, dev5, dev6, heldout, traps, both (dev + heldout) or all."
    ),
    family: list[str] = typer.Option([], "--family", help="Only these families or traps (repeatable)."),
    load_second: bool = typer.Option(
        False,
        "--load-second-crm",
        help="Insert the second CRM (eval/ask/second_crm.sql) if absent and full-sync its tenant.",
    ),
    semantic: bool = typer.Option(
        False, "--semantic/--no-semantic", help="Load the embedding model for the search fallback."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures and every wrong answer as JSON."),
    show_wrong: int = typer.Option(50, "--show-wrong", help="How many wrong answers to list per CRM."),
) -> None:
    """Ask the question bank (issue 17) and report exact / wrong / declined per split and per CRM."""
    from kgcrm.eval.ask.bank import SPLIT_CHOICES
    from kgcrm.eval.ask.runner import CrmTarget, evaluate_ask, render_reports
    from kgcrm.eval.ask.second_crm import SECOND_NOW, SECOND_SLUG, load_second_crm
    from kgcrm.retrieval.llm import chat_model_from_settings
    from kgcrm.retrieval.stack import build_stack
    from kgcrm.services import query_embedder
    from kgcrm.sync.engine import GraphSync

    if crm not in ("seed", "second", "both"):
        raise typer.BadParameter("must be seed, second or both", param_hint="--crm")
    if split not in SPLIT_CHOICES:
        raise typer.BadParameter(f"must be one of {', '.join(SPLIT_CHOICES)}", param_hint="--split")
    settings = settings_of(ctx)
    fixed_now = _parse_now(now) if now else None
    targets: list[CrmTarget] = []
    engine = database_engine(settings)
    out = Console()
    try:
        with graph_gateway(settings) as gateway:
            if load_second and load_second_crm(engine):
                GraphSync(engine, gateway).full(SECOND_SLUG)
            if crm in ("seed", "both"):
                path = truth or settings.data_dir / "seed-truth.json"
                facts = json.loads(path.read_text()) if path.is_file() else None
                slug = tenant or (facts["tenants"][0]["slug"] if facts else None)
                seed_now = fixed_now or (_parse_now(facts["parameters"]["now"]) if facts else None)
                if slug is None or seed_now is None:
                    raise typer.BadParameter(f"no seed truth at {path}: give --tenant and --now", param_hint="--truth")
                targets.append(CrmTarget("seed", slug, seed_now))
            if crm in ("second", "both"):
                targets.append(CrmTarget("second", SECOND_SLUG, fixed_now or SECOND_NOW))
            embed = query_embedder(settings) if semantic else None
            chat = chat_model_from_settings(settings)

            def pipeline(at: datetime):
                return build_stack(gateway, embed=embed, clock=lambda: at, chat_model=chat).ask

            try:
                reports = evaluate_ask(
                    engine,
                    targets,
                    pipeline,
                    family_ids=set(family) or None,
                    splits=SPLIT_CHOICES[split],
                )
            except LookupError as exc:
                raise typer.BadParameter(
                    f"{exc} (load it with --load-second-crm, or choose --crm)", param_hint="--crm"
                ) from exc
    finally:
        engine.dispose()
    if as_json:
        out.print_json(json.dumps({"reports": [r.as_json() for r in reports]}, default=str))
        return
    out.print(render_reports(reports, show_wrong=show_wrong))


@eval_app.command("dedupe")
def dedupe_eval_command(
    data: list[str] = typer.Option(
        [],
        "--data",
        help="What to run (repeatable): medium, heavy, held-out, febrl1 … febrl4. Default: all of them.",
    ),
    people: int | None = typer.Option(None, "--people", min=100, help="Generated people per data set (default 1500)."),
) -> None:
    """Duplicate detection side by side: kgcrm (fitted), Splink (standard set-up) and the old hand-set model.

    Blocking recall, precision, recall and F1 at each system's default threshold, and run time, on the
    noisy CRM generator (medium, heavy; the held-out configurations apart) and on Febrl 1-4.
    """
    import logging

    from kgcrm.eval import dedupe_compare as dc
    from kgcrm.eval.noisy_crm import HEAVY, HELD_OUT, MEDIUM, sized

    logging.getLogger("splink").setLevel(logging.ERROR)
    known = {"medium", "heavy", "held-out", "febrl1", "febrl2", "febrl3", "febrl4"}
    wanted = data or sorted(known)
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise typer.BadParameter(f"unknown data {unknown}; known: {sorted(known)}", param_hint="--data")
    out = Console()

    def size(config: dc.NoiseConfig) -> dc.NoiseConfig:
        return sized(config, people) if people else config

    sections: list[tuple[str, list[dc.SystemFigures]]] = []
    generated = [c for c, key in ((MEDIUM, "medium"), (HEAVY, "heavy")) if key in wanted]
    if generated:
        sections.append(("Noisy CRM generator", [r for c in generated for r in dc.compare_generated(size(c))]))
    if "held-out" in wanted:
        sections.append(("Held out (never tuned on)", [r for c in HELD_OUT for r in dc.compare_generated(size(c))]))
    febrl = [d for d in ("febrl1", "febrl2", "febrl3", "febrl4") if d in wanted]
    if febrl:
        sections.append(("Febrl", [r for d in febrl for r in dc.compare_febrl(d)]))
    for title, rows in sections:
        out.print(f"\n[bold]{title}[/bold]")
        out.print(dc.table(rows), markup=False, highlight=False, soft_wrap=True)
