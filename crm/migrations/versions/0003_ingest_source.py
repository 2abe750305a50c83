"""Where a person or an organization came from: ``individual.source``, ``organization.source``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The ingestion of e-mail and calendars (``kgcrm ingest``) creates people and
organizations it met in mailboxes and calendars; it flags them ``'email'`` or
``'calendar'`` here, so that a user can review (or undo) what was created
automatically. Nullable free text, like ``lead.source`` and ``relationship.source``:
writers who know only the contract keep inserting rows without it.

Adding a column changes no trigger: the change-capture and tenant-isolation
triggers of :mod:`kgcrm.crm.triggers` name the columns they check (foreign keys,
``tenant_id``), and ``source`` is none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("individual", "organization")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("source", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 and PostgreSQL): a batch-mode copy of the
    # table would lose its triggers on SQLite.
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN source")
