"""The triggers again, with a first check that ``tenant_id`` is given.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

A plain-SQL row without ``tenant_id`` was refused with "the referenced lead row
belongs to another tenant" (SQLite: a subtype row's reference check compared with
NULL) or with the database's bare NOT NULL message (PostgreSQL). Every check
trigger of :mod:`kgcrm.crm.triggers` now first says ``<table>.tenant_id: required``.
The triggers are dropped and created from :mod:`kgcrm.crm.triggers` as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from kgcrm.crm import triggers

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate() -> None:
    dialect = op.get_context().dialect.name
    for statement in [
        *triggers.drop_statements(dialect, triggers.INITIAL_LOGGED_TABLES),
        *triggers.create_statements(dialect, triggers.INITIAL_LOGGED_TABLES),
    ]:
        op.execute(statement)


def upgrade() -> None:
    _recreate()


def downgrade() -> None:
    # The earlier triggers differ only in the message of a row without tenant_id (both refuse it):
    # nothing to undo but the revision number.
    pass
