"""Engines: URL handling and the per-connection SQLite settings."""

from __future__ import annotations

import pytest

from kgcrm.core.errors import DataError
from kgcrm.crm.database import make_engine, normalize_url, sqlite_path


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/crm",
        "postgres://u:p@db:5432/crm",
        "postgresql+psycopg2://u:p@db:5432/crm",
        "postgresql+psycopg://u:p@db:5432/crm",
    ],
)
def test_postgresql_urls_use_psycopg_3(url):
    normalized = normalize_url(url)

    assert normalized.drivername == "postgresql+psycopg"
    assert (normalized.host, normalized.database, normalized.password) == ("db", "crm", "p")


def test_sqlite_urls_are_kept():
    assert str(normalize_url("sqlite:////data/crm.sqlite3")) == "sqlite:////data/crm.sqlite3"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////data/crm.sqlite3", "/data/crm.sqlite3"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql://db/crm", None),
    ],
)
def test_sqlite_path(url, path):
    found = sqlite_path(url)

    assert (str(found) if found else None) == path


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout", "recursive_triggers")
            }
    finally:
        engine.dispose()

    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 30000, "recursive_triggers": 0}


def test_an_unsupported_database_is_refused():
    with pytest.raises(DataError, match="unsupported database 'mysql'"):
        make_engine("mysql://u:p@db/crm")
