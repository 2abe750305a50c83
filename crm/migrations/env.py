"""Alembic environment: run by :mod:`kgcrm.crm.database`, which configures Alembic in code.

The caller passes an open connection in ``config.attributes["connection"]``
(see :func:`kgcrm.crm.database.upgrade`); otherwise ``sqlalchemy.url`` is used.
Offline mode (``--sql``) renders the SQL for the URL's dialect.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kgcrm.crm.database import make_engine
from kgcrm.crm.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection in config.attributes or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
