"""SQLAlchemy models of the relational CRM (the contract: ``/work/shared/crm-schema.md``).

Conventions, as the contract fixes them:

- ``id``: a UUID as 36-char text, generated here when the application inserts.
- ``tenant_id`` on every table but ``tenant``: the isolation root. A row may only
  refer to rows of its own tenant; database triggers (:mod:`kgcrm.crm.triggers`) refuse
  anything else, whoever writes.
- Audit columns (:class:`Audited`) on every business table; ``updated_at`` is
  kept fresh by a database trigger, so the models never set it.
- Enumerations are text columns with a CHECK constraint; the allowed values are
  the ``StrEnum`` classes below (one list, used by the CHECKs and by Python-side
  validation, which raises :class:`kgcrm.core.errors.DataError` naming the field).
- ``lead`` is the base of joined-table inheritance (``job``, ``opportunity``,
  ``partnership``); every subtype table carries its own ``tenant_id`` and audit
  columns, mapped to the same attributes as the ``lead`` ones.

The schema itself is created by the Alembic migrations (``crm/migrations``), not
by ``metadata.create_all``; a test checks that both agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedSQLExpression,
    column_property,
    declared_attr,
    mapped_column,
    relationship,
)
from sqlalchemy.schema import FetchedValue, SchemaItem

from kgcrm.core.errors import DataError
from kgcrm.crm.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 36


def new_id() -> str:
    """A fresh row id: a random UUID as 36-char text."""
    return str(uuid.uuid4())


# --- enumerations ------------------------------------------------------------------


class LeadType(StrEnum):
    JOB = "job"
    OPPORTUNITY = "opportunity"
    PARTNERSHIP = "partnership"


class StatusEntityType(StrEnum):
    LEAD = "lead"
    JOB = "job"
    OPPORTUNITY = "opportunity"
    PARTNERSHIP = "partnership"
    TASK = "task"
    ACCOUNT = "account"
    CONTACT = "contact"


class StatusCategory(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    ACTIVE = "active"
    INACTIVE = "inactive"
    DONE = "done"


class SubjectType(StrEnum):
    """What a task or note is attached to; each value is also the subject's table name."""

    INDIVIDUAL = "individual"
    CONTACT = "contact"
    ORGANIZATION = "organization"
    ACCOUNT = "account"
    LEAD = "lead"


class InteractionKind(StrEnum):
    EMAIL = "email"
    MEETING = "meeting"
    CALL = "call"
    MESSAGE = "message"


class InteractionSource(StrEnum):
    MANUAL = "manual"
    EMAIL = "email"
    CALENDAR = "calendar"
    IMPORT = "import"


class ParticipantRole(StrEnum):
    FROM = "from"
    TO = "to"
    CC = "cc"
    ORGANIZER = "organizer"
    ATTENDEE = "attendee"


class RelationshipKind(StrEnum):
    KNOWS = "knows"
    COLLEAGUE = "colleague"
    REPORTS_TO = "reports_to"
    INTRODUCED = "introduced"
    INVESTOR = "investor"
    ADVISOR = "advisor"
    FAMILY = "family"


class FeedbackKind(StrEnum):
    """What a feedback decision is about (issue 14)."""

    DUPLICATE = "duplicate"  # subject and object: two people (or organizations) that are / are not the same
    RESOLUTION = "resolution"  # mention → subject: a free-text mention does / does not mean this entity
    SUGGESTION = "suggestion"  # suggestion_key (+ evidence_hash): a suggestion the user dismissed
    TIE = "tie"  # subject and object: two people who do not really know each other


class FeedbackDecision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    DISMISS = "dismiss"


class ChangeOp(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


def enum_check(column: str, values: type[StrEnum]) -> sa.CheckConstraint:
    """``CHECK (column IN (...))`` named ``ck_<table>_<column>``."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=column)


# --- base and mixins ---------------------------------------------------------------------


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads it as a class attribute)
        str: sa.Text(),
        dt.datetime: UTCDateTime(),
        dt.date: sa.Date(),
        Decimal: sa.Numeric(14, 2),
        bool: sa.Boolean(),
    }


def _id_column() -> Mapped[str]:
    return mapped_column(sa.String(ID_LENGTH), primary_key=True, default=new_id)


def _fk(target: str, *, ondelete: str | None = "SET NULL", **kw: Any) -> Any:
    """A text FK column to ``target`` (``table.id``), indexed."""
    return mapped_column(sa.String(ID_LENGTH), sa.ForeignKey(target, ondelete=ondelete), index=True, **kw)


class TenantScoped:
    """``id`` and ``tenant_id``: every table but ``tenant``."""

    id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), primary_key=True, default=new_id, sort_order=-2)
    tenant_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("tenant.id"), index=True, nullable=False, sort_order=-1
    )


class Audited:
    """The audit columns of every business table.

    ``updated_at`` is bumped by a database trigger on every UPDATE that does not set
    it, so the ORM leaves it alone and re-reads it after a flush.
    """

    created_at: Mapped[dt.datetime] = mapped_column(server_default=utcnow(), nullable=False, sort_order=10)
    updated_at: Mapped[dt.datetime] = mapped_column(
        server_default=utcnow(), server_onupdate=FetchedValue(), nullable=False, sort_order=10
    )
    created_by: Mapped[str | None] = _fk("app_user.id", sort_order=10)
    updated_by: Mapped[str | None] = _fk("app_user.id", sort_order=10)
    #: The last write was made by an AI agent on a user's behalf (nullable, as in the contract).
    via_agent: Mapped[bool | None] = mapped_column(default=False, server_default=sa.false(), sort_order=10)


# --- tables -------------------------------------------------------------------------------


class Tenant(Base):
    """The isolation root: one customer of kgcrm."""

    __tablename__ = "tenant"

    id: Mapped[str] = _id_column()
    name: Mapped[str | None]
    slug: Mapped[str | None] = mapped_column(unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=utcnow(), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        server_default=utcnow(), server_onupdate=FetchedValue(), nullable=False
    )


class AppUser(TenantScoped, Audited, Base):
    """A member of the tenant's own team: "us" in "who connects us to X"."""

    __tablename__ = "app_user"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str | None]
    full_name: Mapped[str | None]
    # use_alter: app_user and individual refer to each other (individual.created_by).
    individual_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH),
        sa.ForeignKey("individual.id", ondelete="SET NULL", use_alter=True, name="fk_app_user_individual_id"),
        index=True,
    )
    is_active: Mapped[bool | None] = mapped_column(default=True, server_default=sa.true())

    individual: Mapped[Individual | None] = relationship(foreign_keys=[individual_id])


class Individual(TenantScoped, Audited, Base):
    """A real person the tenant knows of."""

    __tablename__ = "individual"
    __table_args__ = (sa.Index("ix_individual_tenant_id_email", "tenant_id", "email"),)

    first_name: Mapped[str | None]
    last_name: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    linkedin_url: Mapped[str | None]
    location: Mapped[str | None]
    bio: Mapped[str | None]
    #: Where the row came from when a tool created it (``'email'``, ``'calendar'``: ``kgcrm ingest``); not in
    #: the contract's list, an addition (migration 0003).
    source: Mapped[str | None]


class Organization(TenantScoped, Audited, Base):
    """A company or institution."""

    __tablename__ = "organization"
    __table_args__ = (
        sa.Index("ix_organization_tenant_id_domain", "tenant_id", "domain"),
        sa.Index("ix_organization_tenant_id_name", "tenant_id", "name"),
    )

    name: Mapped[str | None]
    domain: Mapped[str | None]
    industry: Mapped[str | None]
    location: Mapped[str | None]
    description: Mapped[str | None]
    parent_id: Mapped[str | None] = _fk("organization.id")
    #: As ``individual.source`` (migration 0003).
    source: Mapped[str | None]

    parent: Mapped[Organization | None] = relationship(remote_side="Organization.id")


class Status(TenantScoped, Audited, Base):
    """A pipeline stage / state of one entity type."""

    __tablename__ = "status"
    __table_args__ = (
        enum_check("entity_type", StatusEntityType),
        enum_check("category", StatusCategory),
        sa.UniqueConstraint("tenant_id", "entity_type", "name"),
    )

    entity_type: Mapped[str] = mapped_column(nullable=False)
    name: Mapped[str | None]
    category: Mapped[str | None]
    position: Mapped[int | None]
    is_terminal: Mapped[bool | None] = mapped_column(default=False, server_default=sa.false())


class Contact(TenantScoped, Audited, Base):
    """An individual's role at an organization; a past role has ``ended_on`` set."""

    __tablename__ = "contact"
    __table_args__ = (sa.Index("ix_contact_tenant_id_email", "tenant_id", "email"),)

    individual_id: Mapped[str] = _fk("individual.id", ondelete="CASCADE", nullable=False)
    organization_id: Mapped[str | None] = _fk("organization.id")
    title: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    started_on: Mapped[dt.date | None]
    ended_on: Mapped[dt.date | None]
    owner_id: Mapped[str | None] = _fk("app_user.id")
    status_id: Mapped[str | None] = _fk("status.id")

    individual: Mapped[Individual] = relationship()
    organization: Mapped[Organization | None] = relationship()
    owner: Mapped[AppUser | None] = relationship(foreign_keys=[owner_id])
    status: Mapped[Status | None] = relationship()


class Account(TenantScoped, Audited, Base):
    """A customer account held with an organization."""

    __tablename__ = "account"

    organization_id: Mapped[str] = _fk("organization.id", ondelete="CASCADE", nullable=False)
    name: Mapped[str | None]
    tier: Mapped[str | None]
    owner_id: Mapped[str | None] = _fk("app_user.id")
    status_id: Mapped[str | None] = _fk("status.id")

    organization: Mapped[Organization] = relationship()
    owner: Mapped[AppUser | None] = relationship(foreign_keys=[owner_id])
    status: Mapped[Status | None] = relationship()


class Lead(TenantScoped, Audited, Base):
    """Base of joined-table inheritance: load a ``Lead`` and get a Job/Opportunity/Partnership."""

    __tablename__ = "lead"
    __table_args__: tuple[SchemaItem, ...] = (
        enum_check("lead_type", LeadType),
        sa.Index("ix_lead_tenant_id_lead_type", "tenant_id", "lead_type"),
    )
    __mapper_args__ = {  # noqa: RUF012
        "polymorphic_on": "lead_type",
        "polymorphic_abstract": True,
    }

    lead_type: Mapped[str] = mapped_column(nullable=False)
    title: Mapped[str | None]
    description: Mapped[str | None]
    organization_id: Mapped[str | None] = _fk("organization.id")
    account_id: Mapped[str | None] = _fk("account.id")
    contact_id: Mapped[str | None] = _fk("contact.id")
    owner_id: Mapped[str | None] = _fk("app_user.id")
    status_id: Mapped[str | None] = _fk("status.id")
    source: Mapped[str | None]

    organization: Mapped[Organization | None] = relationship()
    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    owner: Mapped[AppUser | None] = relationship(foreign_keys=[owner_id])
    status: Mapped[Status | None] = relationship()


def _shared_with_lead(name: str, column: sa.Column[Any]) -> MappedSQLExpression[Any]:
    """Map a subtype table's copy of ``lead.<name>`` to the same attribute as the lead's."""
    return column_property(column, Lead.__table__.c[name])


class LeadSubtype:
    """``tenant_id`` and the audit columns of a subtype table, combined with the lead's.

    Setting ``job.tenant_id`` writes both ``lead.tenant_id`` and ``job.tenant_id``.
    """

    @declared_attr
    def tenant_id(cls) -> MappedSQLExpression[str]:
        return _shared_with_lead(
            "tenant_id",
            sa.Column("tenant_id", sa.String(ID_LENGTH), sa.ForeignKey("tenant.id"), nullable=False, index=True),
        )

    @declared_attr
    def created_at(cls) -> MappedSQLExpression[dt.datetime]:
        return _shared_with_lead(
            "created_at", sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False)
        )

    @declared_attr
    def updated_at(cls) -> MappedSQLExpression[dt.datetime]:
        return _shared_with_lead(
            "updated_at",
            sa.Column(
                "updated_at",
                UTCDateTime(),
                server_default=utcnow(),
                server_onupdate=FetchedValue(),
                nullable=False,
            ),
        )

    @declared_attr
    def created_by(cls) -> MappedSQLExpression[str | None]:
        return _shared_with_lead(
            "created_by",
            sa.Column(
                "created_by", sa.String(ID_LENGTH), sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True
            ),
        )

    @declared_attr
    def updated_by(cls) -> MappedSQLExpression[str | None]:
        return _shared_with_lead(
            "updated_by",
            sa.Column(
                "updated_by", sa.String(ID_LENGTH), sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True
            ),
        )

    @declared_attr
    def via_agent(cls) -> MappedSQLExpression[bool | None]:
        return _shared_with_lead(
            "via_agent", sa.Column("via_agent", sa.Boolean(), default=False, server_default=sa.false())
        )


def _subtype_id() -> Mapped[str]:
    return mapped_column(sa.String(ID_LENGTH), sa.ForeignKey("lead.id", ondelete="CASCADE"), primary_key=True)


class Job(LeadSubtype, Lead):
    """A lead of type job."""

    __tablename__ = "job"
    __mapper_args__ = {"polymorphic_identity": LeadType.JOB.value}  # noqa: RUF012

    id: Mapped[str] = _subtype_id()
    role_title: Mapped[str | None]
    location: Mapped[str | None]
    employment_type: Mapped[str | None]
    salary_min: Mapped[Decimal | None]
    salary_max: Mapped[Decimal | None]
    currency: Mapped[str | None]


class Opportunity(LeadSubtype, Lead):
    """A lead of type opportunity (a deal)."""

    __tablename__ = "opportunity"
    __table_args__: tuple[SchemaItem, ...] = (sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),)
    __mapper_args__ = {"polymorphic_identity": LeadType.OPPORTUNITY.value}  # noqa: RUF012

    id: Mapped[str] = _subtype_id()
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None]
    expected_close_on: Mapped[dt.date | None]
    closed_at: Mapped[dt.datetime | None]
    probability: Mapped[int | None]


class Partnership(LeadSubtype, Lead):
    """A lead of type partnership."""

    __tablename__ = "partnership"
    __mapper_args__ = {"polymorphic_identity": LeadType.PARTNERSHIP.value}  # noqa: RUF012

    id: Mapped[str] = _subtype_id()
    partnership_type: Mapped[str | None]
    started_on: Mapped[dt.date | None]
    ended_on: Mapped[dt.date | None]


def _subject_table_args(table: str) -> tuple[Any, ...]:
    return (
        enum_check("subject_type", SubjectType),
        sa.CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject_pair"),
        sa.Index(f"ix_{table}_subject_type_subject_id", "subject_type", "subject_id"),
    )


class Task(TenantScoped, Audited, Base):
    """A to-do attached to any entity (``subject_type`` names the subject's table)."""

    __tablename__ = "task"
    __table_args__ = _subject_table_args("task")

    subject_type: Mapped[str | None]
    subject_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    title: Mapped[str | None]
    description: Mapped[str | None]
    due_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    assignee_id: Mapped[str | None] = _fk("app_user.id")
    status_id: Mapped[str | None] = _fk("status.id")

    assignee: Mapped[AppUser | None] = relationship(foreign_keys=[assignee_id])
    status: Mapped[Status | None] = relationship()


class Note(TenantScoped, Audited, Base):
    """Free text attached to any entity: the main unstructured content."""

    __tablename__ = "note"
    __table_args__ = _subject_table_args("note")

    subject_type: Mapped[str | None]
    subject_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    body: Mapped[str | None]


class Interaction(TenantScoped, Audited, Base):
    """An email thread, meeting, call or message: who talks to whom."""

    __tablename__ = "interaction"
    __table_args__ = (
        enum_check("kind", InteractionKind),
        enum_check("source", InteractionSource),
        sa.Index("ix_interaction_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        sa.Index("ix_interaction_tenant_id_source_external_id", "tenant_id", "source", "external_id"),
    )

    kind: Mapped[str | None]
    subject: Mapped[str | None]
    summary: Mapped[str | None]
    occurred_at: Mapped[dt.datetime | None]
    source: Mapped[str | None]
    external_id: Mapped[str | None]

    participants: Mapped[list[InteractionParticipant]] = relationship(
        back_populates="interaction", cascade="all, delete-orphan", passive_deletes=True
    )


class InteractionParticipant(TenantScoped, Audited, Base):
    """Who took part in an interaction, and how."""

    __tablename__ = "interaction_participant"
    __table_args__ = (enum_check("role", ParticipantRole),)

    interaction_id: Mapped[str] = _fk("interaction.id", ondelete="CASCADE", nullable=False)
    individual_id: Mapped[str] = _fk("individual.id", ondelete="CASCADE", nullable=False)
    role: Mapped[str | None]

    interaction: Mapped[Interaction] = relationship(back_populates="participants")
    individual: Mapped[Individual] = relationship()


class Relationship(TenantScoped, Audited, Base):
    """An explicit person-to-person tie."""

    __tablename__ = "relationship"
    __table_args__ = (
        enum_check("kind", RelationshipKind),
        sa.CheckConstraint("strength >= 0 AND strength <= 1", name="strength"),
        sa.CheckConstraint("from_individual_id <> to_individual_id", name="not_self"),
    )

    from_individual_id: Mapped[str] = _fk("individual.id", ondelete="CASCADE", nullable=False)
    to_individual_id: Mapped[str] = _fk("individual.id", ondelete="CASCADE", nullable=False)
    kind: Mapped[str | None]
    strength: Mapped[float | None] = mapped_column(sa.Float())
    since_on: Mapped[dt.date | None]
    source: Mapped[str | None]

    from_individual: Mapped[Individual] = relationship(foreign_keys=[from_individual_id])
    to_individual: Mapped[Individual] = relationship(foreign_keys=[to_individual_id])


class Feedback(TenantScoped, Audited, Base):
    """A user's decision that later runs honour (issue 14): confirm / reject a duplicate pair or a
    mention's resolution, dismiss a suggestion or a tie. ``created_by`` is the user who decided,
    ``via_agent`` says an agent made it on their behalf; deleting the row reverts the decision.

    ``subject_*`` / ``object_*`` are polymorphic references (a ``subject_type`` value and a row id
    of the tenant, checked by the triggers); a decision stays when its subject is deleted.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        enum_check("kind", FeedbackKind),
        enum_check("decision", FeedbackDecision),
        enum_check("subject_type", SubjectType),
        enum_check("object_type", SubjectType),
        sa.CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject_pair"),
        sa.CheckConstraint("(object_type IS NULL) = (object_id IS NULL)", name="object_pair"),
        sa.CheckConstraint(
            "(kind IN ('duplicate', 'resolution') AND decision IN ('confirm', 'reject'))"
            " OR (kind IN ('suggestion', 'tie') AND decision = 'dismiss')",
            name="kind_decision",
        ),
        sa.Index("ix_feedback_tenant_id_kind", "tenant_id", "kind"),
        sa.Index("ix_feedback_subject_id", "subject_id"),
        sa.Index("ix_feedback_object_id", "object_id"),
    )

    kind: Mapped[str] = mapped_column(nullable=False)
    decision: Mapped[str] = mapped_column(nullable=False)
    subject_type: Mapped[str | None]
    subject_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    object_type: Mapped[str | None]
    object_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    mention: Mapped[str | None]
    suggestion_key: Mapped[str | None]
    evidence_hash: Mapped[str | None]
    reason: Mapped[str | None]


class ChangeLog(Base):
    """The event log: one row per insert/update/delete of any business row.

    Written by database triggers only (:mod:`kgcrm.crm.triggers`), in the writer's
    transaction. ``txid`` is the PostgreSQL transaction id of the write (NULL on
    SQLite, where writers are serialised and ``seq`` order is commit order).
    """

    __tablename__ = "change_log"
    __table_args__ = (
        enum_check("op", ChangeOp),
        sa.Index("ix_change_log_tenant_id_seq", "tenant_id", "seq"),
        sa.Index("ix_change_log_entity_type_entity_id", "entity_type", "entity_id"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), sa.ForeignKey("tenant.id"), nullable=False)
    entity_type: Mapped[str] = mapped_column(nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), nullable=False)
    op: Mapped[str] = mapped_column(nullable=False)
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=utcnow(), nullable=False)
    actor_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    via_agent: Mapped[bool] = mapped_column(server_default=sa.false(), nullable=False)
    agent_prompt: Mapped[str | None]
    agent_reasoning: Mapped[str | None]
    txid: Mapped[int | None] = mapped_column(sa.BigInteger(), index=True)


#: Every mapped business table (all but ``tenant`` and ``change_log``), by table name.
BUSINESS_MODELS: dict[str, type[Base]] = {
    model.__tablename__: model
    for model in (
        AppUser,
        Individual,
        Organization,
        Status,
        Contact,
        Account,
        Lead,
        Job,
        Opportunity,
        Partnership,
        Task,
        Note,
        Interaction,
        InteractionParticipant,
        Relationship,
        Feedback,
    )
}

#: (model, attribute, allowed values) of every enumeration column: validated on assignment.
ENUM_COLUMNS: tuple[tuple[type[Base], str, type[StrEnum]], ...] = (
    (Status, "entity_type", StatusEntityType),
    (Status, "category", StatusCategory),
    (Task, "subject_type", SubjectType),
    (Note, "subject_type", SubjectType),
    (Interaction, "kind", InteractionKind),
    (Interaction, "source", InteractionSource),
    (InteractionParticipant, "role", ParticipantRole),
    (Relationship, "kind", RelationshipKind),
    (Feedback, "kind", FeedbackKind),
    (Feedback, "decision", FeedbackDecision),
    (Feedback, "subject_type", SubjectType),
    (Feedback, "object_type", SubjectType),
)


def _install_enum_validator(model: type[Base], attribute: str, values: type[StrEnum]) -> None:
    allowed = {v.value for v in values}
    table = model.__tablename__

    def validate(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
        if value is not None and value not in allowed:
            raise DataError(
                f"{value!r} is not one of {', '.join(sorted(allowed))}",
                table=table,
                row_id=getattr(target, "id", None),
                field=attribute,
            )
        return value

    event.listen(getattr(model, attribute), "set", validate, retval=True)


for _model, _attribute, _values in ENUM_COLUMNS:
    _install_enum_validator(_model, _attribute, _values)
