"""Column types shared by the models and the migrations.

Timestamps are timezone-aware UTC everywhere:

- PostgreSQL stores them as ``TIMESTAMP WITH TIME ZONE``.
- SQLite has no date type: they are ISO-8601 text. kgcrm writes one fixed-width
  form, ``2024-05-01T09:30:00.000000Z`` (microseconds, ``Z``), which sorts
  lexically in time order; the database default :class:`utcnow` produces the
  same form. Values written by other clients are read leniently: any ISO-8601
  text (``2024-05-01 09:30:00``, ``…+02:00``, ``…Z``) or a Unix timestamp;
  a value without an offset is taken as UTC.

The migrations import these names, so they must stay importable and keep their
behaviour (change them only together with a migration).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from kgcrm.core.errors import DataError

#: SQLite expression for "now" in the form of :func:`format_sqlite_timestamp` (``%f`` is ``SS.SSS``).
SQLITE_NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')"


class utcnow(FunctionElement[dt.datetime]):  # lower case: a SQL function, like sa.func.now
    """The current UTC time, as a server default or in SQL expressions.

    PostgreSQL: ``now()``; SQLite: ISO-8601 text such as ``2024-05-01T09:30:00.123000Z``.
    """

    type = sa.DateTime(timezone=True)
    inherit_cache = True
    name = "utcnow"


@compiles(utcnow)
def _utcnow_default(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "now()"


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({SQLITE_NOW_SQL})"


def format_sqlite_timestamp(value: dt.datetime) -> str:
    """How kgcrm writes an aware timestamp on SQLite: ``2024-05-01T09:30:00.000000Z``."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_sqlite_timestamp(value: str | float) -> dt.datetime:
    """Read a timestamp as stored on SQLite (any ISO-8601 text, or a Unix timestamp)."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    text = value.strip()
    try:
        return _as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise DataError(f"{value!r} is not an ISO-8601 timestamp") from exc


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp (see the module docstring).

    Python values must be aware datetimes; they are converted to UTC. Naive
    datetimes are refused: their time zone is unknown.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise DataError(f"{value!r} is not a datetime")
        if value.tzinfo is None:
            raise DataError(f"{value!r} is a naive datetime: give it a time zone (e.g. tzinfo=datetime.UTC)")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return format_sqlite_timestamp(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return _as_utc(value)
        return parse_sqlite_timestamp(value)
