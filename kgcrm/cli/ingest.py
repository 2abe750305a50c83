"""``kgcrm ingest mail|calendar PATH --tenant SLUG [--user EMAIL]``: e-mail and calendars into the CRM.

The tenant is named by its slug and ``--user`` by e-mail (the ``app_user`` recorded in
``created_by``/``updated_by``). ``--use-graph`` adds the graph's entity resolver as a
source of name candidates (it needs Neo4j and a synced graph; the default matches in
SQL, which also sees the people this run creates). A progress bar while it runs; a
summary table at the end, and the first problems (all of them with ``--problems FILE``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kgcrm.cli.context import settings_of
from kgcrm.core.errors import DataError
from kgcrm.core.settings import Settings
from kgcrm.crm.tenants import tenant_and_user
from kgcrm.ingest.directory import NameCandidates, ResolverCandidates
from kgcrm.ingest.pipeline import ingest_calendar, ingest_mail
from kgcrm.ingest.records import IngestReport
from kgcrm.services import database_engine, graph_gateway

__all__ = ["ingest_app"]

ingest_app = typer.Typer(
    help="Read e-mail (mbox, Maildir) and calendars (.ics) into the CRM: interactions and the people in them.",
    no_args_is_help=True,
)

#: Problems printed at the end (all of them go to --problems FILE).
SHOWN_PROBLEMS = 20

TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant (slug).")]
UserOption = Annotated[
    str | None, typer.Option("--user", help="Your app_user e-mail: recorded as the rows' created_by/updated_by.")
]
GraphOption = Annotated[
    bool, typer.Option("--use-graph", help="Also ask the graph's entity resolver for name candidates (needs Neo4j).")
]
ProblemsOption = Annotated[Path | None, typer.Option("--problems", help="Write every problem found to this file.")]


@ingest_app.command("mail")
def mail_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="An mbox file or a Maildir folder.")],
    tenant: TenantOption,
    user: UserOption = None,
    with_bodies: Annotated[
        bool, typer.Option("--with-bodies", help="Keep a short excerpt of each thread's first message as its summary.")
    ] = False,
    use_graph: GraphOption = False,
    problems: ProblemsOption = None,
) -> None:
    """Each e-mail thread becomes an interaction with its people (subject and metadata only, by default)."""
    settings = settings_of(ctx)
    engine = database_engine(settings)
    try:
        tenant_id, user_id = tenant_and_user(engine, tenant, user)
        with _names(settings, use_graph) as names, _progress() as progress:
            report = ingest_mail(
                engine, tenant_id, path, user_id=user_id, names=names, with_bodies=with_bodies, progress=progress
            )
    finally:
        engine.dispose()
    print_report(report, f"Ingested {path}", problems)


@ingest_app.command("calendar")
def calendar_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="An iCalendar (.ics) file.")],
    tenant: TenantOption,
    user: UserOption = None,
    until: Annotated[
        datetime | None, typer.Option("--until", help="Expand meetings up to this time (UTC); default: now.")
    ] = None,
    since: Annotated[datetime | None, typer.Option("--since", help="Ignore meetings before this time (UTC).")] = None,
    use_graph: GraphOption = False,
    problems: ProblemsOption = None,
) -> None:
    """Each meeting (each occurrence of a recurring one, up to --until) becomes an interaction with its people."""
    settings = settings_of(ctx)
    engine = database_engine(settings)
    try:
        tenant_id, user_id = tenant_and_user(engine, tenant, user)
        with _names(settings, use_graph) as names, _progress() as progress:
            report = ingest_calendar(
                engine,
                tenant_id,
                path,
                user_id=user_id,
                names=names,
                until=_aware(until),
                since=_aware(since),
                progress=progress,
            )
    finally:
        engine.dispose()
    print_report(report, f"Ingested {path}", problems)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@contextlib.contextmanager
def _names(settings: Settings, use_graph: bool) -> Iterator[NameCandidates | None]:
    if not use_graph:
        yield None
        return
    from kgcrm.retrieval.resolve import EntityResolver

    with graph_gateway(settings) as gateway:
        yield ResolverCandidates(EntityResolver(gateway))


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )

    def phase(description: str, total: int | None) -> Callable[[int], None]:
        task = bar.add_task(description, total=total)
        return lambda n: bar.advance(task, n)

    with bar:
        yield phase


def print_report(report: IngestReport, title: str, problems_file: Path | None = None) -> None:
    """The summary table, then the first problems (every one into ``problems_file``)."""
    console = Console()
    table = Table("", "what", "count", title=title, box=None)
    sections = (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("matched", report.matched),
        ("skipped", report.skipped),
        ("noted", report.notes),
    )
    for label, counter in sections:
        for i, (what, count) in enumerate(sorted(counter.items())):
            table.add_row(label if i == 0 else "", what, f"{count:,}")
    table.add_row("read", "messages or events", f"{report.items_read:,}")
    rate = report.items_read / report.elapsed_s if report.elapsed_s > 0 else 0.0
    table.add_row("time", f"{report.elapsed_s:.1f} s", f"{rate:,.0f}/s")
    console.print(table)
    if report.problems:
        console.print(f"[bold]{len(report.problems):,} problem(s)[/bold] (the run went on):")
        for problem in report.problems[:SHOWN_PROBLEMS]:
            console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        if len(report.problems) > SHOWN_PROBLEMS and problems_file is None:
            console.print(f"  … {len(report.problems) - SHOWN_PROBLEMS:,} more: pass --problems FILE to see them all")
    if problems_file is not None:
        try:
            problems_file.write_text("".join(f"{p}\n" for p in report.problems), encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot write {problems_file}: {exc.strerror}", field="--problems") from exc
