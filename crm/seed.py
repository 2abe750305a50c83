"""``kgcrm seed``: fill the CRM with a realistic, deterministic synthetic data set.

Generation and loading are separate:

- :mod:`kgcrm.crm.seed_generate` is pure: a :class:`~kgcrm.crm.seed_generate.SeedConfig`
  (tenants, scale, seed, ``now``) gives a stream of ``(table, row)`` items and a
  ground truth; same config, same rows (ids included).
- :func:`load` writes such a stream with SQLAlchemy Core ``insert()``
  executemany, buffering rows per table and flushing them in foreign-key order
  (:data:`~kgcrm.crm.seed_generate.TABLES`), one transaction per tenant.
- :func:`seed_database` does both against an engine and returns a
  :class:`SeedReport`; :func:`seed_command` is the CLI around it (migrate, seed,
  write the truth file, print rows/s).

The ground truth (``seed-truth.json`` in the data directory unless ``--truth``
says otherwise; see :mod:`kgcrm.crm.seed_generate` for what is planted)::

    {"format": "kgcrm-seed-truth/1",
     "parameters": {"tenants", "scale", "seed", "now"},
     "row_counts": {table: n},                       # all tenants; change_log not included
     "look_alikes": [{"key": "organization:acme", "entity_type",
                      "per_tenant": {slug: {"id", "name"}}}],
     "tenants": [{
        "id", "slug", "name", "own_organization",
        "users": [{"id", "individual_id", "email", "full_name", "is_active"}],
        "duplicates": [{"entity_type", "ids": [original, duplicate],
                        "kind": "nickname|typo|missing_email|case_whitespace|suffix_case|punctuation"}],
        "warm_paths": [{"target": {"entity_type", "id", "name"}, "target_organization": {"id", "name"},
                        "user_id", "nodes": [user's individual, connector, target],
                        "hops": [{"from", "to", "relation": "interacted", "interactions", "last_at"},
                                 {"from", "to", "relation": kind, "strength", "relationship_id"}],
                        "alternatives": [weaker paths, same shape]}],
        "deals": {"current_quarter", "by_stage": {stage: {"count", "amount": {currency: "decimal"}}},
                  "won_by_quarter", "lost_by_quarter", "open_by_expected_close_quarter"},
        "mentions": [{"text": "Bob at Acme", "kind", "entity_type", "expect": id, "also": [duplicate ids],
                      ...time mentions add "interaction_id" and "window": [first day, last day]}],
        "note_mentions": [{"note_id", "text", "entity_type", "expect", "also"}],
        "job_changes": [{"individual", "from_organization", "to_organization", "ended_on"}],
        "row_counts": {table: n}}]}
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import ReturningInsert

from kgcrm.core.errors import DataError
from kgcrm.core.settings import Settings
from kgcrm.crm import database
from kgcrm.crm.models import Base
from kgcrm.crm.seed_generate import MAX_TENANTS, TABLES, Mark, SeedConfig, SyntheticCrm, default_now, tenant_identity

#: Rows per executemany call.
BATCH_SIZE = 5_000

TRUTH_FILE_NAME = "seed-truth.json"

#: SQLite page cache while seeding, in KiB.
SQLITE_CACHE_KIB = 512 * 1024


@dataclass(frozen=True)
class SeedReport:
    """What a seed wrote: rows per table, how long it took, and the ground truth."""

    rows: dict[str, int]
    seconds: float
    truth: dict[str, Any]

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else float("inf")


class _Buffers:
    """Rows waiting to be written, per table; a table is flushed after every table it may refer to."""

    def __init__(self, connection: sa.Connection, batch_size: int, on_rows: Callable[[int], None]) -> None:
        tables = Base.metadata.tables
        self.connection = connection
        self.batch_size = batch_size
        self.on_rows = on_rows
        if connection.dialect.name == "sqlite":
            # With RETURNING, SQLAlchemy sends an executemany as multi-row VALUES pages
            # ("insertmanyvalues"): a third faster than row-by-row on SQLite (slower on PostgreSQL).
            self.inserts: dict[str, sa.Insert | ReturningInsert[Any]] = {
                name: tables[name].insert().returning(tables[name].c.id) for name in TABLES
            }
        else:
            self.inserts = {name: tables[name].insert() for name in TABLES}
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.written: Counter[str] = Counter()

    def add(self, table: str, row: dict[str, Any]) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= self.batch_size:
            self.flush(upto=table)

    def flush(self, upto: str | None = None) -> None:
        """Write every buffered table up to ``upto`` in :data:`TABLES` order (all when ``None``)."""
        for name in TABLES:
            rows = self.rows[name]
            if rows:
                self._write(name, rows)
                self.rows[name] = []
            if name == upto:
                return

    def _write(self, table: str, rows: list[dict[str, Any]]) -> None:
        try:
            self.connection.execute(self.inserts[table], rows)
        except IntegrityError as exc:
            raise database.data_error_from(exc) from exc
        self.written[table] += len(rows)
        self.on_rows(len(rows))


def load(
    engine: Engine,
    items: Iterable[tuple[str, dict[str, Any]] | Mark],
    *,
    batch_size: int = BATCH_SIZE,
    on_rows: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert a stream of ``(table, row)`` items; commit at each :data:`Mark.COMMIT`. Returns rows per table.

    A failure rolls back the current transaction (tenants committed before stay).
    """
    with engine.connect() as connection:
        buffers = _Buffers(connection, batch_size, on_rows or (lambda n: None))
        transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            # Random UUID keys touch pages all over the indexes: keep them in memory.
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        try:
            for item in items:
                if isinstance(item, Mark):
                    buffers.flush()
                    if item is Mark.COMMIT:
                        transaction.commit()
                        transaction = connection.begin()
                else:
                    buffers.add(*item)
            buffers.flush()
            transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
    return {name: buffers.written[name] for name in TABLES}


def check_empty(engine: Engine, config: SeedConfig) -> None:
    """Refuse to seed over tenants a previous seed wrote (their slugs would collide)."""
    slugs = [tenant_identity(i)[1] for i in range(config.tenants)]
    tenant = Base.metadata.tables["tenant"]
    with engine.connect() as connection:
        taken = connection.execute(sa.select(tenant.c.slug).where(tenant.c.slug.in_(slugs))).scalars().all()
    if taken:
        shown = engine.url.render_as_string(hide_password=True)
        raise DataError(
            f"{shown} already has tenant(s) {', '.join(sorted(taken))}: seed an empty database",
            table="tenant",
            field="slug",
        )


def seed_database(
    engine: Engine, config: SeedConfig, *, progress: Progress | None = None, batch_size: int = BATCH_SIZE
) -> SeedReport:
    """Generate the CRM of ``config`` and write it through ``engine`` (already migrated)."""
    check_empty(engine, config)
    crm = SyntheticCrm(config)
    on_rows = None
    if progress is not None:
        task = progress.add_task("seeding", total=config.scale)
        on_rows = lambda n: progress.advance(task, n)  # noqa: E731
    started = time.perf_counter()
    rows = load(engine, crm.items(), batch_size=batch_size, on_rows=on_rows)
    seconds = time.perf_counter() - started
    if progress is not None:
        progress.update(task, total=sum(rows.values()))
    return SeedReport(rows=rows, seconds=seconds, truth=crm.truth)


def write_truth(truth: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


def seed_command(
    ctx: typer.Context,
    tenants: Annotated[int, typer.Option(min=1, max=MAX_TENANTS, help="Number of tenants.")] = 2,
    scale: Annotated[int, typer.Option(min=1, help="Rows in total, all tenants and tables (not change_log).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --now give the same rows.")] = 42,
    now: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            metavar="YYYY-MM-DD[THH:MM:SS[+HH:MM]]",
            help="The present of the data set (UTC unless an offset is given); default: now, truncated to the hour.",
        ),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help=f"Where to write the ground truth JSON; default: {TRUTH_FILE_NAME} in the data directory.",
        ),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing (exit 0) when these tenants were seeded before.")
    ] = False,
    plant_suggestions: Annotated[
        bool,
        typer.Option("--plant-suggestions", help="Also plant the situations the suggestions are evaluated on."),
    ] = False,
) -> None:
    """Fill the CRM with a realistic synthetic data set and write its ground truth."""
    settings = ctx.obj
    if not isinstance(settings, Settings):
        raise RuntimeError("kgcrm seed: the settings were not loaded (ctx.obj is not a Settings)")
    config = SeedConfig(
        tenants=tenants, scale=scale, seed=seed, now=now or default_now(), plant_suggestions=plant_suggestions
    )
    console = Console()
    engine = database.make_engine(settings.sqlalchemy_url)
    try:
        database.upgrade(engine)
        if if_empty:
            try:
                check_empty(engine, config)
            except DataError as taken:
                console.print(f"seed skipped: {taken}")
                return
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            report = seed_database(engine, config, progress=progress)
    finally:
        engine.dispose()
    path = write_truth(report.truth, truth or settings.data_dir / TRUTH_FILE_NAME)
    table = Table("table", "rows", box=None)
    for name, count in report.rows.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    shown = database.normalize_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
    console.print(
        f"Seeded {report.total:,} rows in {config.tenants} tenants into {shown} in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s); now = {config.now.isoformat()}, seed = {config.seed}."
    )
    console.print(f"Ground truth: {path}")
