"""Engines, sessions and migrations of the relational CRM.

- :func:`make_engine` builds an engine for SQLite (foreign keys on, WAL, a busy
  timeout) or PostgreSQL (psycopg 3; ``postgresql://`` URLs are mapped to it).
- :func:`upgrade` / :func:`downgrade` / :func:`current_revision` run the Alembic
  migrations shipped in ``crm/migrations``, configured in code (no alembic.ini).
- :func:`data_error_from` turns the database's refusals (triggers, CHECKs,
  foreign keys) into kgcrm's own :class:`~kgcrm.core.errors.DataError`.

Nothing here keeps a global engine: the caller builds one and passes it on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kgcrm.core.breaker import CircuitBreaker
from kgcrm.core.errors import DatabaseUnavailable, DataError, TenantIsolationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: How long a SQLite writer waits for another one to finish, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"}


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; ``postgresql://`` (and ``postgres://``) use psycopg 3."""
    parsed = sa.make_url(url)
    if parsed.drivername in _POSTGRES_DRIVERS:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; ``None`` for another database or an in-memory one."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def make_engine(
    url: str | URL,
    *,
    search_path: str | None = None,
    echo: bool = False,
    connect_timeout_s: int | None = None,
    pool_timeout_s: float | None = None,
) -> Engine:
    """An engine for the CRM database.

    SQLite: every connection enables foreign keys, WAL journaling and a busy
    timeout. PostgreSQL: ``search_path`` (a schema name) is set on every
    connection when given; ``connect_timeout_s`` bounds each connection attempt and
    ``pool_timeout_s`` the wait for a connection of the pool (SQLAlchemy's default: 30 s).
    """
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(parsed, echo=echo)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {}
        if connect_timeout_s is not None:
            connect_args["connect_timeout"] = connect_timeout_s
        if search_path:
            connect_args["options"] = f"-c search_path={search_path}"
        options: dict[str, Any] = {} if pool_timeout_s is None else {"pool_timeout": pool_timeout_s}
        return sa.create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args, **options)
    raise DataError(f"unsupported database {backend!r}: kgcrm supports sqlite and postgresql", field="DATABASE_URL")


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")  # stays "memory" for an in-memory database
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``."""
    return sessionmaker(bind=engine)


# --- migrations -------------------------------------------------------------------------------


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


@contextmanager
def _connection(engine_or_url: Engine | str | URL) -> Iterator[Connection]:
    """A connection in a transaction committed on success; an URL gets a temporary engine."""
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    try:
        try:
            connection = engine.connect()
        except OperationalError as exc:
            shown = engine.url.render_as_string(hide_password=True)
            reason = " ".join(str(exc.orig).split())
            raise DatabaseUnavailable(f"cannot connect to the CRM database {shown}: {reason}") from exc
        with connection, connection.begin():
            yield connection
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def _run(engine_or_url: Engine | str | URL, action: str, revision: str) -> str | None:
    engine_url = engine_or_url.url if isinstance(engine_or_url, Engine) else normalize_url(engine_or_url)
    path = sqlite_path(engine_url)
    if path is not None and action == "upgrade":
        path.parent.mkdir(parents=True, exist_ok=True)
    with _connection(engine_or_url) as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision``; create a SQLite file's directory. Returns the new revision."""
    return _run(engine_or_url, "upgrade", revision)


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> str | None:
    """Revert the migrations down to ``revision`` (``"base"``: an empty database). Returns the new revision."""
    return _run(engine_or_url, "downgrade", revision)


def current_revision(engine_or_url: Engine | str | URL) -> str | None:
    """The revision the database is at; ``None`` when no migration was applied.

    A SQLite file that does not exist is not created: its revision is ``None``.
    """
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else normalize_url(engine_or_url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    with _connection(engine_or_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with kgcrm."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


# --- errors ------------------------------------------------------------------------------------

_TRIGGER_MESSAGE = re.compile(
    r"(?P<isolation>tenant isolation: )?(?P<table>[a-z_]+)\.(?P<column>[a-z_]+): (?P<problem>[^\n]+)"
)


def data_error_from(exc: IntegrityError) -> DataError:
    """kgcrm's error for a write the database refused.

    A refusal by a kgcrm trigger names the table and column (and becomes a
    :class:`TenantIsolationError` when it is one); any other integrity error
    (CHECK, NOT NULL, UNIQUE, foreign key) keeps the database's message.
    """
    text = str(exc.orig)
    match = _TRIGGER_MESSAGE.match(text)
    if match is None:
        return DataError(f"refused by the database: {text.splitlines()[0]}")
    error_type = TenantIsolationError if match["isolation"] else DataError
    return error_type(match["problem"].strip(), table=match["table"], field=match["column"])


# --- failing fast when the database is down ---------------------------------------------------------


def guard_engine(engine: Engine, breaker: CircuitBreaker) -> Callable[[], None]:
    """Put ``breaker`` on ``engine``'s connections; returns the function that takes it off again.

    A connection attempt that fails (the server refuses, resets or times out) opens the circuit;
    while it is open a new connection is refused at once with :class:`DatabaseUnavailable`,
    before any network I/O; any successful checkout closes it. Pooled connections that still
    work keep working; a stale one fails its pre-ping, and its replacement meets the breaker.
    """

    def before_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        breaker.allow()  # raises DatabaseUnavailable while open (SQLAlchemy lets it through unwrapped)

    def on_error(context: Any) -> None:
        if context.is_pre_ping:  # a stale pooled connection: its replacement decides
            return
        if context.connection is None or context.is_disconnect:  # no connection could be made, or it broke
            breaker.record_failure()

    def on_connect(connection: Any) -> None:
        breaker.record_success()

    listeners: list[tuple[str, Callable[..., Any]]] = [
        ("do_connect", before_connect),
        ("handle_error", on_error),
        ("engine_connect", on_connect),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)

    def remove() -> None:
        for name, listener in listeners:
            if event.contains(engine, name, listener):
                event.remove(engine, name, listener)

    return remove
