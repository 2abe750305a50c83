"""Initial schema: every table of the CRM contract, and its triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Tables are written out here (not ``metadata.create_all``), so that this revision
keeps creating the same schema when the models change later. The triggers come
from :mod:`kgcrm.crm.triggers` (change capture, ``updated_at``, tenant isolation, type
rules); see its docstring.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kgcrm.crm import triggers
from kgcrm.crm.types import UTCDateTime, utcnow

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)


# Constraint names are final: op.f() keeps the models' naming convention from rewriting them.


def _in(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _id() -> sa.Column[str]:
    return sa.Column("id", ID, nullable=False)


def _tenant_id() -> sa.Column[str]:
    return sa.Column("tenant_id", ID, nullable=False)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
    ]


def _audit(table: str) -> list[sa.schema.SchemaItem]:
    """The audit columns and their foreign keys."""
    return [
        *_timestamps(),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("updated_by", ID, nullable=True),
        sa.Column("via_agent", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=f"fk_{table}_created_by", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["updated_by"], ["app_user.id"], name=f"fk_{table}_updated_by", ondelete="SET NULL"),
    ]


def _keys(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id"),
    ]


def _fk(table: str, column: str, target: str, ondelete: str = "SET NULL") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}", ondelete=ondelete)


def _indexes(table: str, *columns: str) -> None:
    """One index per column (every foreign key, the audit ones included)."""
    for column in (*columns, "tenant_id", "created_by", "updated_by"):
        op.create_index(f"ix_{table}_{column}", table, [column])


def _create_business_table(table: str, *items: sa.schema.SchemaItem, fk_columns: tuple[str, ...] = ()) -> None:
    op.create_table(table, _id(), _tenant_id(), *items, *_audit(table), *_keys(table))
    _indexes(table, *fk_columns)


def _create_subject_table(table: str, *items: sa.schema.SchemaItem, fk_columns: tuple[str, ...] = ()) -> None:
    _create_business_table(
        table,
        sa.Column("subject_type", sa.Text(), nullable=True),
        sa.Column("subject_id", ID, nullable=True),
        *items,
        sa.CheckConstraint(
            _in("subject_type", "individual", "contact", "organization", "account", "lead"),
            name=op.f(f"ck_{table}_subject_type"),
        ),
        sa.CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name=op.f(f"ck_{table}_subject_pair")),
        fk_columns=fk_columns,
    )
    op.create_index(f"ix_{table}_subject_type_subject_id", table, ["subject_type", "subject_id"])


def _create_lead_subtype(table: str, *items: sa.schema.SchemaItem) -> None:
    _create_business_table(
        table, *items, sa.ForeignKeyConstraint(["id"], ["lead.id"], name=f"fk_{table}_id", ondelete="CASCADE")
    )


def upgrade() -> None:
    dialect = op.get_context().dialect.name

    op.create_table(
        "tenant",
        _id(),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("slug", sa.Text(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_tenant"),
        sa.UniqueConstraint("slug", name="uq_tenant_slug"),
    )

    # app_user and individual refer to each other: SQLite accepts the forward reference
    # (and cannot add a foreign key later); PostgreSQL gets it once individual exists.
    app_user_individual_fk = sa.ForeignKeyConstraint(
        ["individual_id"], ["individual.id"], name="fk_app_user_individual_id", ondelete="SET NULL"
    )
    _create_business_table(
        "app_user",
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("individual_id", ID, nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.UniqueConstraint("tenant_id", "email", name="uq_app_user_tenant_id_email"),
        *([app_user_individual_fk] if dialect == "sqlite" else []),
        fk_columns=("individual_id",),
    )

    _create_business_table(
        "individual",
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
    )
    op.create_index("ix_individual_tenant_id_email", "individual", ["tenant_id", "email"])
    if dialect != "sqlite":
        op.create_foreign_key(
            "fk_app_user_individual_id", "app_user", "individual", ["individual_id"], ["id"], ondelete="SET NULL"
        )

    _create_business_table(
        "organization",
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent_id", ID, nullable=True),
        _fk("organization", "parent_id", "organization"),
        fk_columns=("parent_id",),
    )
    op.create_index("ix_organization_tenant_id_domain", "organization", ["tenant_id", "domain"])
    op.create_index("ix_organization_tenant_id_name", "organization", ["tenant_id", "name"])

    _create_business_table(
        "status",
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("is_terminal", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.CheckConstraint(
            _in("entity_type", "lead", "job", "opportunity", "partnership", "task", "account", "contact"),
            name=op.f("ck_status_entity_type"),
        ),
        sa.CheckConstraint(
            _in("category", "open", "won", "lost", "active", "inactive", "done"), name=op.f("ck_status_category")
        ),
        sa.UniqueConstraint("tenant_id", "entity_type", "name", name="uq_status_tenant_id_entity_type_name"),
    )

    _create_business_table(
        "contact",
        sa.Column("individual_id", ID, nullable=False),
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("status_id", ID, nullable=True),
        _fk("contact", "individual_id", "individual", ondelete="CASCADE"),
        _fk("contact", "organization_id", "organization"),
        _fk("contact", "owner_id", "app_user"),
        _fk("contact", "status_id", "status"),
        fk_columns=("individual_id", "organization_id", "owner_id", "status_id"),
    )
    op.create_index("ix_contact_tenant_id_email", "contact", ["tenant_id", "email"])

    _create_business_table(
        "account",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("tier", sa.Text(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("status_id", ID, nullable=True),
        _fk("account", "organization_id", "organization", ondelete="CASCADE"),
        _fk("account", "owner_id", "app_user"),
        _fk("account", "status_id", "status"),
        fk_columns=("organization_id", "owner_id", "status_id"),
    )

    _create_business_table(
        "lead",
        sa.Column("lead_type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("organization_id", ID, nullable=True),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("contact_id", ID, nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("status_id", ID, nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("lead_type", "job", "opportunity", "partnership"), name=op.f("ck_lead_lead_type")),
        _fk("lead", "organization_id", "organization"),
        _fk("lead", "account_id", "account"),
        _fk("lead", "contact_id", "contact"),
        _fk("lead", "owner_id", "app_user"),
        _fk("lead", "status_id", "status"),
        fk_columns=("organization_id", "account_id", "contact_id", "owner_id", "status_id"),
    )
    op.create_index("ix_lead_tenant_id_lead_type", "lead", ["tenant_id", "lead_type"])

    _create_lead_subtype(
        "job",
        sa.Column("role_title", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("employment_type", sa.Text(), nullable=True),
        sa.Column("salary_min", sa.Numeric(14, 2), nullable=True),
        sa.Column("salary_max", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
    )
    _create_lead_subtype(
        "opportunity",
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("expected_close_on", sa.Date(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_opportunity_probability")),
    )
    _create_lead_subtype(
        "partnership",
        sa.Column("partnership_type", sa.Text(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
    )

    _create_subject_table(
        "task",
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("status_id", ID, nullable=True),
        _fk("task", "assignee_id", "app_user"),
        _fk("task", "status_id", "status"),
        fk_columns=("assignee_id", "status_id"),
    )
    _create_subject_table("note", sa.Column("body", sa.Text(), nullable=True))

    _create_business_table(
        "interaction",
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("kind", "email", "meeting", "call", "message"), name=op.f("ck_interaction_kind")),
        sa.CheckConstraint(_in("source", "manual", "email", "calendar", "import"), name=op.f("ck_interaction_source")),
    )
    op.create_index("ix_interaction_tenant_id_occurred_at", "interaction", ["tenant_id", "occurred_at"])
    op.create_index(
        "ix_interaction_tenant_id_source_external_id", "interaction", ["tenant_id", "source", "external_id"]
    )

    _create_business_table(
        "interaction_participant",
        sa.Column("interaction_id", ID, nullable=False),
        sa.Column("individual_id", ID, nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _in("role", "from", "to", "cc", "organizer", "attendee"), name=op.f("ck_interaction_participant_role")
        ),
        _fk("interaction_participant", "interaction_id", "interaction", ondelete="CASCADE"),
        _fk("interaction_participant", "individual_id", "individual", ondelete="CASCADE"),
        fk_columns=("interaction_id", "individual_id"),
    )

    _create_business_table(
        "relationship",
        sa.Column("from_individual_id", ID, nullable=False),
        sa.Column("to_individual_id", ID, nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("strength", sa.Float(), nullable=True),
        sa.Column("since_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _in("kind", "knows", "colleague", "reports_to", "introduced", "investor", "advisor", "family"),
            name=op.f("ck_relationship_kind"),
        ),
        sa.CheckConstraint("strength >= 0 AND strength <= 1", name=op.f("ck_relationship_strength")),
        sa.CheckConstraint("from_individual_id <> to_individual_id", name=op.f("ck_relationship_not_self")),
        _fk("relationship", "from_individual_id", "individual", ondelete="CASCADE"),
        _fk("relationship", "to_individual_id", "individual", ondelete="CASCADE"),
        fk_columns=("from_individual_id", "to_individual_id"),
    )

    op.create_table(
        "change_log",
        # INTEGER PRIMARY KEY AUTOINCREMENT on SQLite: seq values are never reused.
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        _tenant_id(),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("via_agent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("agent_prompt", sa.Text(), nullable=True),
        sa.Column("agent_reasoning", sa.Text(), nullable=True),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(_in("op", "insert", "update", "delete"), name=op.f("ck_change_log_op")),
        sa.PrimaryKeyConstraint("seq", name="pk_change_log"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name="fk_change_log_tenant_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_change_log_tenant_id_seq", "change_log", ["tenant_id", "seq"])
    op.create_index("ix_change_log_entity_type_entity_id", "change_log", ["entity_type", "entity_id"])
    op.create_index("ix_change_log_txid", "change_log", ["txid"])

    for statement in triggers.create_statements(dialect, triggers.INITIAL_LOGGED_TABLES):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for statement in triggers.drop_statements(dialect, triggers.INITIAL_LOGGED_TABLES):
        op.execute(statement)
    if dialect != "sqlite":
        op.drop_constraint("fk_app_user_individual_id", "app_user", type_="foreignkey")
    for table in (
        "change_log",
        "relationship",
        "interaction_participant",
        "interaction",
        "note",
        "task",
        "partnership",
        "opportunity",
        "job",
        "lead",
        "account",
        "contact",
        "status",
        "organization",
        "individual",
        "app_user",
        "tenant",
    ):
        op.drop_table(table)
