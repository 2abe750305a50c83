"""Feedback that sticks (issue 14): the ``feedback`` table and its triggers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

One row per decision a user (or an agent on a user's behalf: ``via_agent``) made about
what kgcrm proposed: confirm / reject a duplicate pair, confirm / reject that a mention
resolves to an entity, dismiss a suggestion or a tie between two people. A business
table like the others (tenant-scoped, audit columns), with the change-capture, touch and
tenant-isolation triggers of :mod:`kgcrm.crm.triggers`: so a decision written by plain SQL
lands in ``change_log``, the sync mirrors it, and deleting the row (``DELETE
/v1/feedback/{id}``) reverts it. ``subject_id`` / ``object_id`` are polymorphic like a
task's subject (``subject_type``/``object_type`` name the table) and must be rows of the
same tenant; unlike a task, a decision is not deleted with its subject.

The table is written out here (not ``metadata.create_all``) so that this revision keeps
creating the same schema when the models change later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kgcrm.crm import triggers
from kgcrm.crm.types import UTCDateTime, utcnow

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)
TABLE = "feedback"
SUBJECT_TYPES = ("individual", "contact", "organization", "account", "lead")


def _in(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=True),
        sa.Column("subject_id", ID, nullable=True),
        sa.Column("object_type", sa.Text(), nullable=True),
        sa.Column("object_id", ID, nullable=True),
        sa.Column("mention", sa.Text(), nullable=True),
        sa.Column("suggestion_key", sa.Text(), nullable=True),
        sa.Column("evidence_hash", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("updated_by", ID, nullable=True),
        sa.Column("via_agent", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.CheckConstraint(_in("kind", "duplicate", "resolution", "suggestion", "tie"), name=op.f("ck_feedback_kind")),
        sa.CheckConstraint(_in("decision", "confirm", "reject", "dismiss"), name=op.f("ck_feedback_decision")),
        sa.CheckConstraint(_in("subject_type", *SUBJECT_TYPES), name=op.f("ck_feedback_subject_type")),
        sa.CheckConstraint(_in("object_type", *SUBJECT_TYPES), name=op.f("ck_feedback_object_type")),
        sa.CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name=op.f("ck_feedback_subject_pair")),
        sa.CheckConstraint("(object_type IS NULL) = (object_id IS NULL)", name=op.f("ck_feedback_object_pair")),
        sa.CheckConstraint(
            "(kind IN ('duplicate', 'resolution') AND decision IN ('confirm', 'reject'))"
            " OR (kind IN ('suggestion', 'tie') AND decision = 'dismiss')",
            name=op.f("ck_feedback_kind_decision"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_feedback_tenant_id"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name="fk_feedback_created_by", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by"], ["app_user.id"], name="fk_feedback_updated_by", ondelete="SET NULL"),
    )
    for column in ("tenant_id", "created_by", "updated_by", "subject_id", "object_id"):
        op.create_index(f"ix_feedback_{column}", TABLE, [column])
    op.create_index("ix_feedback_tenant_id_kind", TABLE, ["tenant_id", "kind"])
    for statement in triggers.table_create_statements(op.get_context().dialect.name, TABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in triggers.table_drop_statements(op.get_context().dialect.name, TABLE):
        op.execute(statement)
    op.drop_table(TABLE)
