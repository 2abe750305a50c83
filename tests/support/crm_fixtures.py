"""Fixtures of the CRM tests: a fresh database per test, on SQLite and on PostgreSQL.

Every database test runs twice: ``[sqlite]`` (a temporary file) and
``[postgresql]`` (a fresh schema of the server named by
``KGCRM_TEST_POSTGRES_URL``; start one with ``eval "$(.ci/start-postgres.sh)"``).
Without that variable the PostgreSQL runs are skipped, unless
``KGCRM_REQUIRE_SERVICES=1`` (CI), where they fail.

:class:`Rows` writes with plain SQL, as an outside tool would: the triggers,
not kgcrm's ORM, must do the logging and the checking.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kgcrm.crm.database import make_engine, sqlite_path, upgrade
from kgcrm.crm.types import UTCDateTime

POSTGRES_URL_ENV = "KGCRM_TEST_POSTGRES_URL"
REQUIRE_SERVICES_ENV = "KGCRM_REQUIRE_SERVICES"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1: PostgreSQL is required)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test server's database (default schema): creates and drops test schemas."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        _unavailable(f'{POSTGRES_URL_ENV} is not set: run `eval "$(.ci/start-postgres.sh)"` for PostgreSQL tests')
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        _unavailable(f"PostgreSQL at {POSTGRES_URL_ENV} does not answer: {exc.orig}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"kgcrm_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(admin.url, search_path=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (quicker than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "crm.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def engine(empty_engine: Engine, request: pytest.FixtureRequest) -> Engine:
    """An engine on a new database with every migration applied."""
    path = sqlite_path(empty_engine.url)
    if path is not None:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    else:
        upgrade(empty_engine)
    return empty_engine


class Rows:
    """Plain-SQL writes and reads, each write in a transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def execute(self, sql: str, **params: Any) -> sa.CursorResult[Any]:
        with self.engine.begin() as connection:
            return connection.execute(sa.text(sql), params)

    def insert(self, table: str, **values: Any) -> str:
        """``INSERT INTO table (...) VALUES (...)``; returns the row's id (a new UUID unless given)."""
        values.setdefault("id", str(uuid.uuid4()))
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        self.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", **values)  # noqa: S608
        return str(values["id"])

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def timestamp(self, table: str, column: str, row_id: object, key: str = "id") -> dt.datetime:
        """A timestamp column read through kgcrm's column type (aware UTC on both databases)."""
        query = sa.select(sa.column(column, UTCDateTime())).select_from(sa.table(table))
        query = query.where(sa.column(key) == row_id)
        with self.engine.connect() as connection:
            value: dt.datetime = connection.execute(query).scalar_one()
        return value

    def tenant(self) -> str:
        tenant_id = str(uuid.uuid4())
        return self.insert("tenant", id=tenant_id, name=f"Tenant {tenant_id[:8]}", slug=f"t-{tenant_id}")

    def last_seq(self) -> int:
        return int(self.scalar("SELECT coalesce(max(seq), 0) FROM change_log"))

    def changes(self, after: int = 0) -> list[tuple[str, str, str, str]]:
        """(entity_type, entity_id, op, tenant_id) of the change_log rows after ``after``, in seq order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT entity_type, entity_id, op, tenant_id FROM change_log WHERE seq > :after ORDER BY seq"),
                {"after": after},
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def rows(engine: Engine) -> Rows:
    return Rows(engine)


def database_url(engine: Engine) -> str:
    """The engine's URL for the CLI; on PostgreSQL with the test schema as search_path."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)
