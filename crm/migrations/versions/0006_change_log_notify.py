"""PostgreSQL: the change-log trigger also sends NOTIFY, so that ``kgcrm sync --follow`` wakes at once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

``kgcrm_log_change()`` (the AFTER trigger of every logged table) adds
``pg_notify('kgcrm_change_log', current_schema())`` after its ``change_log`` insert;
nothing else changes: the same rows, the same triggers (they call the function by
name, so replacing the function is enough). PostgreSQL folds a transaction's identical
notifications into one and delivers it at commit. SQLite: nothing to do (its followers poll).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from kgcrm.crm import triggers

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(triggers.pg_log_function(notify=True))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(triggers.pg_log_function(notify=False))
