"""``kgcrm sync``: run, follow, inspect and verify the mirror."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from kgcrm.cli.context import settings_of
from kgcrm.cli.graph import print_tenant_indexes
from kgcrm.core.settings import Settings
from kgcrm.crm import tenants
from kgcrm.crm.notify import ChangeWait, change_wait
from kgcrm.graph.mapping import EDGES, NODES
from kgcrm.graph.tenant_vectors import reconcile_tenant_indexes
from kgcrm.services import database_engine, graph_gateway
from kgcrm.sync.changes import CHANGE_LOG
from kgcrm.sync.embedding_progress import EmbeddingProgress
from kgcrm.sync.engine import EMBED_ALL, EMBEDDINGS_SOURCE, GraphSync, SyncReport
from kgcrm.sync.follow import Follower
from kgcrm.sync.repair import repair
from kgcrm.sync.verify import SyncVerifier, VerifyReport

if TYPE_CHECKING:  # the pipeline (and its model loader) is imported only when embeddings are on
    from kgcrm.graph.gateway import GraphGateway
    from kgcrm.sync.embeddings import EmbeddingPipeline

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
    notify: bool = typer.Option(
        True, "--notify/--no-notify", help="With --follow on PostgreSQL: wake on NOTIFY, not only polls."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when a row had to be skipped."),
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="Embed changed entities."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, max=50_000),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="With --full: show what the full sync would remove from the graph; change nothing."
    ),
    repair_drift: bool = typer.Option(
        False, "--repair", help="Fix exactly the drift `kgcrm sync verify` finds (of --tenant), and say what."
    ),
) -> None:
    """Apply the changes since the last run (default), or do a full sync."""
    if ctx.invoked_subcommand is not None:
        return
    if tenant is not None and not (full or repair_drift):
        raise typer.BadParameter("--tenant needs --full (incremental sync follows the change log of all tenants)")
    if dry_run and (not full or follow):
        raise typer.BadParameter("--dry-run needs --full (and no --follow)")
    if repair_drift and (full or follow):
        raise typer.BadParameter("--repair goes alone (it fixes what verify finds; --full re-reads everything)")
    settings = settings_of(ctx)
    if dry_run:
        with _database(settings) as engine, graph_gateway(settings) as gateway:
            _print_report(GraphSync(engine, gateway, batch_size=batch_size).full(tenant, dry_run=True))
        return
    if repair_drift:
        _repair(settings, tenant, embeddings, batch_size)
        return
    with (
        _database(settings) as engine,
        graph_gateway(settings) as gateway,
        _embedder(settings, gateway, embeddings) as embedder,
        _progress() as bar,
    ):
        tasks: dict[str, TaskID] = {}

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
            vector_dimensions=settings.embedding_dimensions,
        )
        # With embeddings, their own checkpoint: what a killed run left is re-queued first.
        progress = EmbeddingProgress(runner, embedder) if embedder is not None else None
        if full:
            previous = progress.before_full() if progress is not None else None
            report = runner.full(tenant)
            if progress is not None:
                progress.full_done(report, None if tenant is None else _tenant_id(engine, tenant), previous)
        else:
            if progress is not None:
                progress.resume()
            report = runner.incremental()
            if progress is not None:
                progress.incremental_done(report)
        if follow:  # the follower's queries planned before the first change comes
            runner.warm_up()
        _print_report(report)
        if embedder is not None:
            for entity in embedder.rejected[:50]:
                Console().print(f"[yellow]not embedded[/yellow] {entity}")
        if embedder is not None and full:  # tenants may have crossed the policy's bounds: their own vector index
            print_tenant_indexes(
                reconcile_tenant_indexes(gateway, dimensions=settings.embedding_dimensions, wait=False)
            )
        rejected = len(report.rejected)
        if follow:
            rejected += _follow(runner, progress, change_wait(engine, notify=notify), interval)
    if strict and rejected:
        raise typer.Exit(code=3)


def _follow(runner: GraphSync, progress: EmbeddingProgress | None, wait: ChangeWait, interval: float) -> int:
    """Apply changes as they come (NOTIFY or a poll every ``interval``) until interrupted; rows skipped."""
    rejected = 0

    def applied(step: SyncReport, woke: str) -> None:
        nonlocal rejected
        if progress is not None:
            progress.incremental_done(step)
        rejected += len(step.rejected)
        for row in step.rejected:
            console.log(f"[yellow]skipped[/yellow] {row}")
        if step.changes_applied:
            console.log(f"applied {step.changes_applied} changes up to seq {step.last_seq} ({woke})")

    def paused(exc: Exception) -> None:
        console.log(f"[yellow]sync paused, retrying in {FOLLOW_RETRY_S:.0f} s:[/yellow] {exc}")

    follower = Follower(runner, wait, interval_s=interval, retry_s=FOLLOW_RETRY_S, on_step=applied, on_error=paused)
    try:
        follower.run()
    finally:
        wait.close()
    return rejected


@sync_app.command("status")
def status(ctx: typer.Context) -> None:
    """Last applied change, pending changes, lag and last run."""
    settings = settings_of(ctx)
    with _database(settings) as engine:
        with graph_gateway(settings) as gateway:
            runner = GraphSync(engine, gateway)
            last_seq = runner.checkpoint() or 0
            last_run = runner.last_run_at()
            embedded = runner.checkpoint(EMBEDDINGS_SOURCE)
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
    table.add_row(
        "embeddings written through seq",
        "unknown"
        if embedded is None
        else "every entity due (after a full sync)"
        if embedded == EMBED_ALL
        else str(embedded),
    )
    Console().print(table)


@sync_app.command("verify")
def verify(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant", help="Verify one tenant (slug)."),
    max_listed: int = typer.Option(50, "--max-listed", min=0),
    embeddings: bool = typer.Option(
        True, "--embeddings/--no-embeddings", help="Also check every entity's embedding against its text now."
    ),
) -> None:
    """Reconcile SQL and graph per label and relationship type (derived ones and embeddings too); list any drift."""
    settings = settings_of(ctx)
    with _database(settings) as engine, graph_gateway(settings) as gateway:
        verifier = SyncVerifier(engine, gateway, model_name=settings.embedding_model if embeddings else None)
        report = verifier.verify(None if tenant is None else _tenant_id(engine, tenant))
    _print_verify(report, max_listed)
    if not report.clean:
        raise typer.Exit(code=1)


def _print_verify(report: VerifyReport, max_listed: int, title: str = "kgcrm sync verify") -> None:
    out = Console()
    table = Table(title=title)
    table.add_column("label / type")
    table.add_column("compared", justify="right")
    table.add_column("drift", justify="right")
    for kind in ("missing", "extra", "different"):
        table.add_column(kind, justify="right")
    by_kind = report.drift_by_kind()
    for what, count in report.checked.items():
        kinds = by_kind.get(what, Counter())
        table.add_row(
            what,
            str(count),
            str(sum(kinds.values())),
            *(str(kinds.get(k, 0)) for k in ("missing", "extra", "different")),
        )
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


def _repair(settings: Settings, tenant: str | None, embeddings: bool, batch_size: int) -> None:
    """``kgcrm sync --repair``: verify, fix what it found (and nothing else), verify again."""
    with (
        _database(settings) as engine,
        graph_gateway(settings) as gateway,
        _embedder(settings, gateway, embeddings) as embedder,
    ):
        tenant_id = None if tenant is None else _tenant_id(engine, tenant)
        verifier = SyncVerifier(engine, gateway, model_name=settings.embedding_model if embedder else None)
        found = verifier.verify(tenant_id, max_listed=None)
        runner = GraphSync(  # the rows it re-syncs are embedded as a sync's are
            engine,
            gateway,
            batch_size=batch_size,
            on_entities_written=embedder.submit if embedder is not None else None,
            vector_dimensions=settings.embedding_dimensions,
        )
        embed = (lambda ids: embedder.submit(ids, expand=False)) if embedder is not None else None
        result = repair(runner, found, embed=embed)
        if embedder is not None:
            embedder.flush()
        after = verifier.verify(tenant_id)
    out = Console()
    if not result.fixed:
        out.print("nothing to repair: no drift")
    else:
        table = Table(title="kgcrm sync --repair: fixed")
        table.add_column("label / type")
        table.add_column("items", justify="right")
        for what, count in sorted(result.fixed.items()):
            table.add_row(what, str(count))
        out.print(table)
    for item in result.unrepairable:
        out.print(f"[yellow]no remedy[/yellow] {item}")
    _print_verify(after, 50, title="kgcrm sync verify, after the repair")
    if not after.clean:
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
def _embedder(settings: Settings, gateway: GraphGateway, enabled: bool) -> Iterator[EmbeddingPipeline | None]:
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
            tenant_id = None if tenant is None else tenants.tenant_id(conn, tenant)
            for name in (*(m.table for m in NODES), *(e.table for e in EDGES)):
                table = sa.table(name, sa.column("id"), sa.column("tenant_id"))
                query = sa.select(sa.func.count()).select_from(table)
                if tenant_id is not None and name != "tenant":
                    query = query.where(table.c.tenant_id == tenant_id)
                counts[name] = int(conn.execute(query).scalar_one())
        _TOTALS[tenant] = counts
    return _TOTALS[tenant]


def _tenant_id(engine: sa.Engine, slug: str) -> str:
    with engine.connect() as conn:
        return tenants.tenant_id(conn, slug)


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
    removals = report.removals()
    if removals:
        verb = "would remove" if "dry run" in report.mode else "removed"
        gone = Table(title=f"not in SQL: the full sync {verb}")
        gone.add_column("label / type")
        gone.add_column("tenant (slug and id, as in the graph)")
        gone.add_column(verb, justify="right")
        for what, tenant, count in removals:
            gone.add_row(what, tenant, str(count))
        out.print(gone)
    elif report.mode.startswith("full"):
        out.print("nothing in the graph that is not in SQL")
    if report.last_seq is not None:
        out.print(f"checkpoint: change_log seq {report.last_seq}")
    for rejected in report.rejected[:50]:
        out.print(f"[yellow]skipped[/yellow] {rejected}")
    if len(report.rejected) > 50:
        out.print(f"… and {len(report.rejected) - 50} more skipped rows")
