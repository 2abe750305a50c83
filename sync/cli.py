"""``kgcrm sync``: run, follow, inspect and verify the mirror."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from kgcrm.core.errors import ServiceError
from kgcrm.core.settings import Settings
from kgcrm.graph.mapping import EDGES, NODES
from kgcrm.services import database_engine, graph_gateway
from kgcrm.sync import extract
from kgcrm.sync.changes import CHANGE_LOG
from kgcrm.sync.engine import GraphSync, SyncReport
from kgcrm.sync.verify import SyncVerifier

sync_app = typer.Typer(help="Mirror the relational CRM into the graph.", invoke_without_command=True)
console = Console(stderr=True)

FOLLOW_RETRY_S = 2.0  # with --follow, the wait before trying again when Neo4j or the database is unavailable


@sync_app.callback()
def sync(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Re-read every table (and remove what no longer exists)."),
    tenant: str | None = typer.Option(None, "--tenant", help="Full sync of this tenant (slug) only."),
    follow: bool = typer.Option(False, "--follow", help="Keep applying changes as they are written."),
    interval: float = typer.Option(0.5, "--interval", min=0.05, help="Seconds between polls with --follow."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when a row had to be skipped."),
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="Embed changed entities."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, max=50_000),
) -> None:
    """Apply the changes since the last run (default), or do a full sync."""
    if ctx.invoked_subcommand is not None:
        return
    if tenant is not None and not full:
        raise typer.BadParameter("--tenant needs --full (incremental sync follows the change log of all tenants)")
    settings: Settings = ctx.obj
    with (
        _database(settings) as engine,
        graph_gateway(settings) as gateway,
        _embedder(settings, gateway, embeddings) as embedder,
        _progress() as bar,
    ):
        tasks: dict[str, int] = {}

        def advance(what: str, rows: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=_totals(engine, tenant).get(what) if full else None)
            bar.advance(tasks[what], rows)

        runner = GraphSync(
            engine,
            gateway,
            batch_size=batch_size,
            # A full sync embeds everything once at the end (embed_all), after the derived
            # relationships that people's texts are built from.
            on_entities_written=embedder.submit if embedder and not full else None,
            progress=advance,
        )
        report = runner.full(tenant) if full else runner.incremental()
        if embedder is not None and full:
            embedder.embed_all(None if tenant is None else _tenant_id(engine, tenant))
        if embedder is not None:
            embedder.flush()
        _print_report(report)
        if embedder is not None:
            for entity in embedder.rejected[:50]:
                Console().print(f"[yellow]not embedded[/yellow] {entity}")
        rejected = len(report.rejected)
        next_poll = time.monotonic() + interval
        while follow:
            time.sleep(max(0.0, next_poll - time.monotonic()))  # a poll every `interval`, however long a step took
            next_poll = time.monotonic() + interval
            try:
                step = runner.incremental()
            except (ServiceError, sa.exc.OperationalError) as exc:
                # Neo4j or the CRM database is restarting: nothing applied is lost (the
                # checkpoint commits with its batch), so wait and go on from the checkpoint.
                console.log(f"[yellow]sync paused, retrying in {FOLLOW_RETRY_S:.0f} s:[/yellow] {exc}")
                time.sleep(FOLLOW_RETRY_S)
                continue
            if embedder is not None:
                embedder.flush()
            rejected += len(step.rejected)
            for row in step.rejected:
                console.log(f"[yellow]skipped[/yellow] {row}")
            if step.changes_applied:
                console.log(f"applied {step.changes_applied} changes up to seq {step.last_seq}")
    if strict and rejected:
        raise typer.Exit(code=3)


@sync_app.command("status")
def status(ctx: typer.Context) -> None:
    """Last applied change, pending changes, lag and last run."""
    settings: Settings = ctx.obj
    with _database(settings) as engine:
        with graph_gateway(settings) as gateway:
            runner = GraphSync(engine, gateway)
            last_seq = runner.checkpoint() or 0
            last_run = runner.last_run_at()
        with engine.connect() as conn:
            pending, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(CHANGE_LOG.c.changed_at)).where(CHANGE_LOG.c.seq > last_seq)
            ).one()
    lag = "0s"
    if oldest is not None:
        from kgcrm.sync.transform import parse_timestamp

        lag = f"{(datetime.now(UTC) - parse_timestamp(oldest)).total_seconds():.1f}s"  # type: ignore[operator]
    table = Table(title="kgcrm sync status", show_header=False)
    table.add_row("last applied seq", str(last_seq))
    table.add_row("pending changes", str(pending))
    table.add_row("lag (oldest pending change)", lag)
    table.add_row("last run", last_run.isoformat() if last_run else "never")
    Console().print(table)


@sync_app.command("verify")
def verify(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant", help="Verify one tenant (slug)."),
    max_listed: int = typer.Option(50, "--max-listed", min=0),
) -> None:
    """Reconcile SQL and graph per label and relationship type; list any drift."""
    settings: Settings = ctx.obj
    with _database(settings) as engine, graph_gateway(settings) as gateway:
        report = SyncVerifier(engine, gateway).verify(None if tenant is None else _tenant_id(engine, tenant))
    out = Console()
    table = Table(title="kgcrm sync verify")
    table.add_column("label / type")
    table.add_column("compared", justify="right")
    table.add_column("drift", justify="right")
    for what, count in report.checked.items():
        drift = sum(1 for d in report.drift if d.what == what)
        table.add_row(what, str(count), str(drift))
    for check in report.counts:
        table.add_row(
            f"{check.what} (count)", f"{check.expected}", "0" if check.ok else f"{check.actual - check.expected:+d}"
        )
    out.print(table)
    for item in report.drift[:max_listed]:
        out.print(f"  {item}")
    for rejected in report.rejected[:max_listed]:
        out.print(f"  rejected  {rejected}")
    out.print(
        "no drift"
        if report.clean
        else f"DRIFT: {len(report.drift)} rows, {sum(not c.ok for c in report.counts)} relationship counts"
    )
    if not report.clean:
        raise typer.Exit(code=1)


# --- helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[sa.Engine]:
    """The CRM's engine, disposed on exit (no connection outlives the command)."""
    engine = database_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def _embedder(settings: Settings, gateway, enabled: bool) -> Iterator[object | None]:  # type: ignore[no-untyped-def]
    if not enabled:
        yield None
        return
    from kgcrm.core.embedding import load_embedding_model
    from kgcrm.sync.embeddings import EmbeddingPipeline

    model = load_embedding_model(settings)
    with EmbeddingPipeline(gateway, model, model_name=settings.embedding_model) as pipeline:
        yield pipeline


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description:>24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        yield bar


_TOTALS: dict[str | None, dict[str, int]] = {}


def _totals(engine: sa.Engine, tenant: str | None) -> dict[str, int]:
    """Row counts per table, for the progress bars' ETA (counted once per run)."""
    if tenant not in _TOTALS:
        counts: dict[str, int] = {}
        with engine.connect() as conn:
            tenant_id = None if tenant is None else extract.tenant_id_of(conn, tenant)
            for mapping in (*NODES, *EDGES):
                table = sa.table(mapping.table, sa.column("id"), sa.column("tenant_id"))
                query = sa.select(sa.func.count()).select_from(table)
                if tenant_id is not None and mapping.table != "tenant":
                    query = query.where(table.c.tenant_id == tenant_id)
                counts[mapping.table] = int(conn.execute(query).scalar_one())
        _TOTALS[tenant] = counts
    return _TOTALS[tenant]


def _tenant_id(engine: sa.Engine, slug: str) -> str:
    with engine.connect() as conn:
        tenant_id = extract.tenant_id_of(conn, slug)
    if tenant_id is None:
        raise typer.BadParameter(f"no tenant with slug '{slug}'", param_hint="--tenant")
    return tenant_id


def _print_report(report: SyncReport) -> None:
    out = Console()
    table = Table(title=f"kgcrm sync ({report.mode})")
    table.add_column("label / type")
    table.add_column("written", justify="right")
    table.add_column("deleted", justify="right")
    names = sorted(set(report.nodes_written) | set(report.edges_written) | set(report.deleted))
    for name in names:
        written = report.nodes_written.get(name, 0) + report.edges_written.get(name, 0)
        table.add_row(name, str(written), str(report.deleted.get(name, 0)))
    out.print(table)
    if report.last_seq is not None:
        out.print(f"checkpoint: change_log seq {report.last_seq}")
    for rejected in report.rejected[:50]:
        out.print(f"[yellow]skipped[/yellow] {rejected}")
    if len(report.rejected) > 50:
        out.print(f"… and {len(report.rejected) - 50} more skipped rows")
