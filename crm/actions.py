"""The CRM's agent writes: what an AI agent changes in the relational CRM on a user's behalf.

Each action writes through SQLAlchemy, in the caller's transaction, into the relational
CRM (the source of truth; the sync mirrors it into the graph afterwards);
:func:`run_action` runs one in its own transaction, with its audit columns and the
prompt and reasoning on its ``change_log`` rows:

- :func:`create_note`: a note on an individual, contact, organization, account or lead;
- :func:`create_task`: a task, optionally on such a subject; assigned to the acting user by default;
- :func:`log_interaction`: an email, meeting, call or message, with its participants;
- :func:`move_lead_status`: a lead to another stage of its pipeline;
- :func:`move_task_status`: a task to another status (a terminal one completes it).

Rules every action follows (the errors are kgcrm's own, :mod:`kgcrm.core.errors`; the
adapters, the HTTP API and the MCP server, translate them):

- **Who writes.** The acting user is the key's own user (:class:`OwnUser`; gone or
  inactive: :class:`~kgcrm.core.errors.InactiveUserError`), or, for a team key, the active
  ``app_user`` of the tenant named by e-mail (:class:`NamedUser`; a missing, unknown or
  inactive one, or another user's e-mail with a user key, is a
  :class:`~kgcrm.core.errors.DataError` naming ``acting_user_email``). The rows written get
  ``created_by``/``updated_by`` = that user and ``via_agent = true``.
- **Why.** ``prompt`` and ``reasoning`` are recorded by :func:`kgcrm.crm.changes.agent_changes`
  on every ``change_log`` row of the write, in the same transaction; the outcome lists
  those rows' ``seq``.
- **Tenant.** Every id (subject, participants, assignee, lead, task, status) must be a
  row of the tenant; an id of another tenant is reported exactly like an id that does not
  exist (:class:`~kgcrm.core.errors.NotFoundError` naming the field; a
  :class:`~kgcrm.core.errors.DataError` for a status).
- **Workflow.** A status is named by id or by name. It must be one of the tenant's
  statuses for the entity: ``task`` for a task; the lead's own ``lead_type``
  (``opportunity``, ``job``, ``partnership``) or the generic ``lead`` for a lead; anything
  else is a DataError naming ``status``. A row in a terminal status (``is_terminal``:
  Closed Won, Done …) does not move any more (:class:`~kgcrm.core.errors.TerminalStatusError`;
  reopening is a human's decision, made in the CRM). Moving to the status the row already
  has changes nothing (``changed=False``, no change_log row). Entering a terminal status
  sets a task's ``completed_at`` and an opportunity's ``closed_at`` when they are empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kgcrm.core.errors import InactiveUserError, NotFoundError, TerminalStatusError, invalid_input
from kgcrm.crm.changes import agent_changes
from kgcrm.crm.database import data_error_from
from kgcrm.crm.models import (
    Account,
    AppUser,
    Base,
    Contact,
    Individual,
    Interaction,
    InteractionParticipant,
    Lead,
    Note,
    Opportunity,
    Organization,
    Status,
    Task,
)

#: The tables a note or a task may be about.
SUBJECT_MODELS: dict[str, type[Base]] = {
    "individual": Individual,
    "contact": Contact,
    "organization": Organization,
    "account": Account,
    "lead": Lead,
}

#: How messages name a row of each table.
NOUN = {
    "individual": "person",
    "contact": "contact",
    "organization": "organization",
    "account": "account",
    "lead": "lead",
    "task": "task",
}

_PG_TXID = "pg_current_xact_id()::text::bigint"


# --- who acts, and what was written ----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnUser:
    """The acting user is the API key's own user; ``email``, when the agent gave one, must be theirs."""

    user_id: str
    user_email: str | None
    email: str | None = None


@dataclass(frozen=True)
class NamedUser:
    """A team key: the agent names the active team member it acts for by e-mail (``None``: not named)."""

    email: str | None


Actor = OwnUser | NamedUser


@dataclass(frozen=True)
class RowRef:
    """A row written or referred to: its table, its id and its column values (read in the transaction)."""

    table: str
    id: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StatusRef:
    id: str
    name: str | None
    entity_type: str
    category: str | None
    is_terminal: bool


@dataclass
class Write:
    """What one action wrote (inside the transaction), before its seqs are known."""

    entity: RowRef
    changed: bool = True
    subject: RowRef | None = None
    status: StatusRef | None = None
    previous_status: StatusRef | None = None
    participants: list[RowRef] | None = None


@dataclass(frozen=True)
class Outcome:
    """An action's write, the change_log seqs that record it, and the user it acted for."""

    write: Write
    change_seqs: list[int]
    acting_user: RowRef


@dataclass(frozen=True)
class Participant:
    individual_id: str
    role: str = "attendee"


def _now() -> datetime:
    return datetime.now(UTC)


def row_ref(table: str, obj: Base) -> RowRef:
    values = {attr.key: getattr(obj, attr.key) for attr in sa.inspect(obj).mapper.column_attrs}
    return RowRef(table=table, id=values["id"], values=values)


def status_ref(status: Status) -> StatusRef:
    return StatusRef(
        id=status.id,
        name=status.name,
        entity_type=status.entity_type,
        category=status.category,
        is_terminal=bool(status.is_terminal),
    )


def _in_tenant(session: Session, model: type[Any], row_id: str, tenant_id: str) -> Any | None:
    return session.scalars(sa.select(model).where(model.id == row_id, model.tenant_id == tenant_id)).one_or_none()


# --- lookups ------------------------------------------------------------------------------------------------


def acting_user(session: Session, tenant_id: str, actor: Actor) -> AppUser:
    """The user the agent writes for: the key's own, or (team key) the active one named by e-mail."""
    if isinstance(actor, OwnUser):
        if actor.email is not None and actor.email.lower() != (actor.user_email or "").lower():
            raise invalid_input("acting_user_email", "this API key belongs to a user and acts as that user only")
        user = _in_tenant(session, AppUser, actor.user_id, tenant_id)
        if user is None or user.is_active is False:  # deleted or deactivated since the key was checked
            raise InactiveUserError(f"user {actor.user_id}: no active user with this id in this tenant")
        return user
    if actor.email is None:
        raise invalid_input(
            "acting_user_email",
            "required with an API key that has no user: name the team member the agent acts for",
        )
    user = session.scalars(
        sa.select(AppUser).where(AppUser.tenant_id == tenant_id, sa.func.lower(AppUser.email) == actor.email.lower())
    ).one_or_none()
    if user is None or user.is_active is False:
        raise invalid_input("acting_user_email", "no active team member with this email in this tenant")
    return user


def find_subject(
    session: Session, tenant_id: str, subject_id: str, subject_table: str | None, *, field: str = "subject_id"
) -> tuple[str, Any]:
    """(table, row) of a note's or task's subject in the tenant (of ``subject_table`` when given)."""
    tables = [subject_table] if subject_table else list(SUBJECT_MODELS)
    for table in tables:
        row = _in_tenant(session, SUBJECT_MODELS[table], subject_id, tenant_id)
        if row is not None:
            return table, row
    kind = NOUN[tables[0]] if subject_table else "person, contact, organization, account or lead"
    raise NotFoundError(f"{field}: no {kind} {subject_id[:64]} in this tenant", field=field)


def find_status(session: Session, tenant_id: str, wanted: str, entity_types: Sequence[str], what: str) -> Status:
    """A status of the tenant for one of ``entity_types`` (first preferred), by id or by name."""
    by_id = _in_tenant(session, Status, wanted, tenant_id)
    if by_id is not None:
        if by_id.entity_type not in entity_types:
            raise invalid_input("status", f"'{by_id.name}' is a status of {by_id.entity_type} rows, not of {what}")
        return by_id
    candidates = session.scalars(
        sa.select(Status).where(Status.tenant_id == tenant_id, Status.entity_type.in_(entity_types))
    ).all()
    ordered = sorted(candidates, key=lambda s: (list(entity_types).index(s.entity_type), s.position or 0, s.name or ""))
    for status in ordered:
        if (status.name or "").strip().lower() == wanted.strip().lower():
            return status
    names = ", ".join(sorted({s.name for s in ordered if s.name}, key=str.lower)) or "none"
    raise invalid_input("status", f"no status '{wanted[:64]}' for {what} in this tenant (one of: {names})")


def _first_open_status(session: Session, tenant_id: str, entity_type: str) -> Status | None:
    return session.scalars(
        sa.select(Status)
        .where(
            Status.tenant_id == tenant_id,
            Status.entity_type == entity_type,
            sa.or_(Status.is_terminal.is_(None), Status.is_terminal == sa.false()),
        )
        .order_by(Status.position.is_(None), Status.position, Status.name)
        .limit(1)
    ).one_or_none()


def _stamp(obj: Any, user: AppUser, *, created: bool) -> None:
    if created:
        obj.created_by = user.id
    obj.updated_by = user.id
    obj.via_agent = True


# --- the actions ---------------------------------------------------------------------------------------------


def create_note(
    session: Session, tenant_id: str, user: AppUser, *, subject_id: str, subject_table: str | None, body: str
) -> Write:
    table, subject = find_subject(session, tenant_id, subject_id, subject_table)
    note = Note(tenant_id=tenant_id, subject_type=table, subject_id=subject.id, body=body)
    _stamp(note, user, created=True)
    session.add(note)
    session.flush()
    return Write(entity=row_ref("note", note), subject=row_ref(table, subject))


def create_task(
    session: Session,
    tenant_id: str,
    user: AppUser,
    *,
    title: str,
    description: str | None = None,
    subject_id: str | None = None,
    subject_table: str | None = None,
    due_at: datetime | None = None,
    assignee_id: str | None = None,
    status: str | None = None,
) -> Write:
    subject_ref = None
    task = Task(tenant_id=tenant_id, title=title, description=description, due_at=due_at)
    if subject_id is not None:
        table, subject = find_subject(session, tenant_id, subject_id, subject_table)
        task.subject_type, task.subject_id, subject_ref = table, subject.id, row_ref(table, subject)
    assignee = user
    if assignee_id is not None:
        member: AppUser | None = _in_tenant(session, AppUser, assignee_id, tenant_id)
        if member is None or member.is_active is False:
            raise NotFoundError(
                f"assignee_id: no active team member {assignee_id[:64]} in this tenant", field="assignee_id"
            )
        assignee = member
    task.assignee_id = assignee.id
    found: Status | None
    if status is not None:
        found = find_status(session, tenant_id, status, ["task"], "tasks")
    else:
        found = _first_open_status(session, tenant_id, "task")
    if found is not None:
        task.status_id = found.id
        if found.is_terminal:
            task.completed_at = _now()
    _stamp(task, user, created=True)
    session.add(task)
    session.flush()
    return Write(entity=row_ref("task", task), subject=subject_ref, status=status_ref(found) if found else None)


def log_interaction(
    session: Session,
    tenant_id: str,
    user: AppUser,
    *,
    kind: str,
    participants: Sequence[Participant],
    subject: str | None = None,
    summary: str | None = None,
    occurred_at: datetime | None = None,
) -> Write:
    people: list[Individual] = []
    seen: set[str] = set()
    for i, participant in enumerate(participants):
        field = f"participants.{i}.individual_id"
        if participant.individual_id in seen:
            raise invalid_input(field, "this person is listed twice")
        seen.add(participant.individual_id)
        person = _in_tenant(session, Individual, participant.individual_id, tenant_id)
        if person is None:
            raise NotFoundError(f"{field}: no person {participant.individual_id[:64]} in this tenant", field=field)
        people.append(person)
    interaction = Interaction(
        tenant_id=tenant_id,
        kind=kind,
        subject=subject,
        summary=summary,
        occurred_at=occurred_at or _now(),
        source="manual",
    )
    _stamp(interaction, user, created=True)
    session.add(interaction)
    session.flush()
    for participant, person in zip(participants, people, strict=True):
        row = InteractionParticipant(
            tenant_id=tenant_id, interaction_id=interaction.id, individual_id=person.id, role=participant.role
        )
        _stamp(row, user, created=True)
        session.add(row)
    session.flush()
    return Write(entity=row_ref("interaction", interaction), participants=[row_ref("individual", p) for p in people])


def _move(
    session: Session,
    tenant_id: str,
    user: AppUser,
    row: Any,
    table: str,
    wanted: str,
    entity_types: Sequence[str],
    what: str,
    on_terminal: Callable[[Any], None],
) -> Write:
    target = find_status(session, tenant_id, wanted, entity_types, what)
    current = session.get(Status, row.status_id) if row.status_id else None
    if current is not None and current.id == target.id:
        return Write(
            entity=row_ref(table, row), changed=False, status=status_ref(target), previous_status=status_ref(current)
        )
    if current is not None and current.is_terminal:
        raise TerminalStatusError(
            f"{NOUN[table]} {row.id} is in the terminal status '{current.name}': "
            "it does not move any more (reopen it in the CRM)"
        )
    row.status_id = target.id
    if target.is_terminal:
        on_terminal(row)
    _stamp(row, user, created=False)
    session.flush()
    return Write(
        entity=row_ref(table, row),
        status=status_ref(target),
        previous_status=status_ref(current) if current is not None else None,
    )


def move_lead_status(session: Session, tenant_id: str, user: AppUser, *, lead_id: str, status: str) -> Write:
    lead = _in_tenant(session, Lead, lead_id, tenant_id)
    if lead is None:
        raise NotFoundError(f"lead_id: no lead {lead_id[:64]} in this tenant", field="lead_id")

    def close(row: Any) -> None:
        if isinstance(row, Opportunity) and row.closed_at is None:
            row.closed_at = _now()

    kinds = [lead.lead_type, "lead"] if lead.lead_type != "lead" else ["lead"]
    return _move(session, tenant_id, user, lead, "lead", status, kinds, f"{lead.lead_type} leads", close)


def move_task_status(session: Session, tenant_id: str, user: AppUser, *, task_id: str, status: str) -> Write:
    task = _in_tenant(session, Task, task_id, tenant_id)
    if task is None:
        raise NotFoundError(f"task_id: no task {task_id[:64]} in this tenant", field="task_id")

    def complete(row: Any) -> None:
        if row.completed_at is None:
            row.completed_at = _now()

    return _move(session, tenant_id, user, task, "task", status, ["task"], "tasks", complete)


# --- the transaction -----------------------------------------------------------------------------------------


def written_seqs(session: Session, since_seq: int) -> list[int]:
    """The change_log seqs this transaction wrote after ``since_seq``."""
    connection = session.connection()
    query = "SELECT seq FROM change_log WHERE seq > :since"
    if connection.dialect.name == "postgresql":
        query += f" AND txid = {_PG_TXID}"
    return [int(seq) for seq in connection.execute(sa.text(query + " ORDER BY seq"), {"since": since_seq}).scalars()]


def run_action(
    engine: sa.Engine,
    tenant_id: str,
    actor: Actor,
    action: Callable[[Session, str, AppUser], Write],
    *,
    prompt: str,
    reasoning: str,
) -> Outcome:
    """Run one action in one transaction: the write, its audit columns and its annotated change_log rows.

    A write the database refuses (a row changed under us, e.g. a status deleted) is a
    :class:`~kgcrm.core.errors.DataError` (:func:`kgcrm.crm.database.data_error_from`).
    """
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            user = acting_user(session, tenant_id, actor)
            with agent_changes(session, prompt=prompt, reasoning=reasoning) as capture:
                write = action(session, tenant_id, user)
            seqs = written_seqs(session, capture.since_seq) if write.changed else []
            acting = row_ref("app_user", user)
    except IntegrityError as exc:
        raise data_error_from(exc) from exc
    return Outcome(write=write, change_seqs=seqs, acting_user=acting)
