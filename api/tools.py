"""The agent tools: writes to the relational CRM that an AI agent makes on a user's behalf.

Each tool is one pydantic request model (its JSON schema is the tool's ``parameters``,
for the HTTP endpoints ``POST /v1/tools/<name>``, for ``GET /v1/tools`` in the OpenAI
function-calling format, and for the MCP server) and one function that writes through
SQLAlchemy, in one transaction, into the relational CRM (the source of truth; the sync
mirrors it into the graph afterwards):

- ``create_note``: a note on an individual, contact, organization, account or lead;
- ``create_task``: a task, optionally on such a subject; assigned to the acting user by default;
- ``log_interaction``: an email, meeting, call or message, with its participants;
- ``move_lead_status``: a lead to another stage of its pipeline;
- ``move_task_status``: a task to another status (a terminal one completes it).

Rules every tool follows:

- **Who writes.** A key bound to a user acts as that user (``acting_user_email``, when
  given, must be that user's). A key without a user (a team key) must name the active
  ``app_user`` of its tenant the agent acts for in ``acting_user_email``; a missing,
  unknown or inactive one, or another user's email with a user key, is 422 naming
  ``acting_user_email``. The rows written get ``created_by``/``updated_by`` = that user and
  ``via_agent = true``.
- **Why.** ``prompt`` (the user's request) and ``reasoning`` (the agent's) are required;
  :func:`kgcrm.crm.changes.agent_changes` records them on every ``change_log`` row of the
  write, in the same transaction. The answer lists those rows' ``seq``.
- **Tenant.** Every id the caller sends (subject, participants, assignee, lead, task,
  status) must be a row of the key's tenant; an id of another tenant is reported exactly
  like an id that does not exist (404 naming the field; 422 for a status).
- **Workflow.** A status is named by id or by name. It must be one of the tenant's
  statuses for the entity: ``task`` for a task; the lead's own ``lead_type``
  (``opportunity``, ``job``, ``partnership``) or the generic ``lead`` for a lead; anything
  else is 422 naming ``status``. A row in a terminal status (``is_terminal``: Closed Won,
  Done …) does not move any more: 409 ``terminal_status`` (reopening is a human's
  decision, made in the CRM). Moving to the status the row already has changes nothing
  (``changed: false``, no change_log row). Entering a terminal status sets a task's
  ``completed_at`` and an opportunity's ``closed_at`` when they are empty.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kgcrm.api.errors import ApiError, invalid, not_found
from kgcrm.api.keys import Caller
from kgcrm.api.schemas import MAX_ID, ApiRequest, IsoDateTime, trimmed_text
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
from kgcrm.retrieval.types import EntityRef
from kgcrm.sync.transform import display_name

#: Longest prompt, reasoning, note body or description (characters); bodies are capped at 64 KiB anyway.
MAX_LONG_TEXT = 10_000
MAX_TITLE = 300
MAX_PARTICIPANTS = 50

_PG_TXID = "pg_current_xact_id()::text::bigint"


# Bounds checked on the text as sent (what the schemas say), then trimmed: see api.schemas.Text.
LongText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LONG_TEXT), AfterValidator(trimmed_text)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE), AfterValidator(trimmed_text)]
RowId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID), AfterValidator(trimmed_text)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]{1,200}@[^@\s]{1,200}$")]

#: Subject types, as the CRM's tables name them and as the API's entity types do.
SubjectTypeName = Literal[
    "individual", "contact", "organization", "account", "lead", "Person", "Contact", "Organization", "Account", "Lead"
]

SUBJECT_MODELS: dict[str, type[Base]] = {
    "individual": Individual,
    "contact": Contact,
    "organization": Organization,
    "account": Account,
    "lead": Lead,
}
_SUBJECT_ALIASES = {
    "Person": "individual",
    "Contact": "contact",
    "Organization": "organization",
    "Account": "account",
    "Lead": "lead",
}

#: The API's entity type of each table's rows.
ENTITY_TYPE_OF = {
    "individual": "Person",
    "organization": "Organization",
    "contact": "Contact",
    "account": "Account",
    "lead": "Lead",
    "task": "Task",
    "note": "Note",
    "interaction": "Interaction",
    "app_user": "User",
}


# --- requests -----------------------------------------------------------------------------------


class AgentRequest(ApiRequest):
    """What every agent write carries: why it is made, and for whom."""

    prompt: LongText = Field(
        description="The user's request that led to this write, verbatim (recorded in change_log.agent_prompt)."
    )
    reasoning: LongText = Field(
        description="Why the agent makes this write, in a sentence or two (recorded in change_log.agent_reasoning)."
    )
    acting_user_email: Email | None = Field(
        default=None,
        description="Only with an API key that has no user: the email of the active team member the agent "
        "acts for. A key bound to a user always acts as that user.",
    )


class CreateNoteRequest(AgentRequest):
    subject_id: RowId = Field(
        description="Id of what the note is about: a person, contact, organization, account or lead of the tenant."
    )
    subject_type: SubjectTypeName | None = Field(
        default=None, description="The subject's type, when known (checked against the id)."
    )
    body: LongText = Field(description="The note's text.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject_id": "0c5b2f1e-3d4a-4b6c-8e9f-1a2b3c4d5e6f",
                    "subject_type": "Organization",
                    "body": "Wants SSO before renewing; follow up after their security review.",
                    "prompt": "Note that Acme wants SSO before they renew",
                    "reasoning": "The user asked to record a customer requirement on the organization.",
                }
            ]
        },
    )


class CreateTaskRequest(AgentRequest):
    title: Title = Field(description="What is to be done.")
    description: LongText | None = Field(default=None, description="Details.")
    subject_id: RowId | None = Field(
        default=None, description="Id of what the task is about (a person, contact, organization, account or lead)."
    )
    subject_type: SubjectTypeName | None = Field(default=None, description="The subject's type, when known.")
    due_at: IsoDateTime | None = Field(default=None, description="When it is due (ISO 8601 with a time zone).")
    assignee_id: RowId | None = Field(
        default=None, description="Id of the team member (User) to assign; default: the acting user."
    )
    status: Title | None = Field(
        default=None, description="A task status, by id or name; default: the first open one ('To do')."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Send the SSO roadmap to Acme",
                    "subject_id": "0c5b2f1e-3d4a-4b6c-8e9f-1a2b3c4d5e6f",
                    "due_at": "2026-12-01T09:00:00+00:00",
                    "prompt": "Remind me to send Acme the SSO roadmap by December",
                    "reasoning": "The user asked for a reminder tied to the Acme organization.",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _type_needs_id(self) -> CreateTaskRequest:
        if self.subject_type is not None and self.subject_id is None:
            raise ValueError("subject_type needs subject_id")
        return self


class Participant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    individual_id: RowId = Field(description="Id of a person (Person) of the tenant.")
    role: Literal["from", "to", "cc", "organizer", "attendee"] = Field(
        default="attendee", description="How they took part."
    )


class LogInteractionRequest(AgentRequest):
    kind: Literal["email", "meeting", "call", "message"] = Field(description="What kind of interaction it was.")
    subject: Title | None = Field(default=None, description="Its subject or title.")
    summary: LongText | None = Field(default=None, description="What was said or decided.")
    occurred_at: IsoDateTime | None = Field(
        default=None, description="When it happened (ISO 8601 with a time zone); default: now."
    )
    participants: list[Participant] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description="Who took part, each once (include the acting user's own person if they took part).",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "call",
                    "subject": "Renewal call",
                    "summary": "Dana confirmed the budget; legal review next week.",
                    "occurred_at": "2026-11-24T15:00:00+00:00",
                    "participants": [{"individual_id": "c71e0a4b-9f3e-4c2d-8a1b-5e6f7a8b9c0d", "role": "attendee"}],
                    "prompt": "Log my call with Dana from yesterday: budget confirmed",
                    "reasoning": "The user reported a call; logging it keeps the relationship history current.",
                }
            ]
        },
    )


class MoveLeadStatusRequest(AgentRequest):
    lead_id: RowId = Field(description="Id of the lead (job, opportunity or partnership).")
    status: Title = Field(
        description="The new status, by id or name (e.g. 'Negotiation'): one of the lead type's stages."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lead_id": "2b0e7c1d-4f5a-4e6b-9c8d-7e6f5a4b3c2d",
                    "status": "Negotiation",
                    "prompt": "Move the Acme renewal to negotiation",
                    "reasoning": "The user reported that pricing talks started.",
                }
            ]
        },
    )


class MoveTaskStatusRequest(AgentRequest):
    task_id: RowId = Field(description="Id of the task.")
    status: Title = Field(description="The new status, by id or name (e.g. 'Done').")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
                    "status": "Done",
                    "prompt": "I sent the roadmap, close that task",
                    "reasoning": "The user says the task's work is done.",
                }
            ]
        },
    )


# --- responses ----------------------------------------------------------------------------------


class StatusRef(BaseModel):
    id: str
    name: str | None
    entity_type: str
    category: str | None
    is_terminal: bool


class ToolResult(BaseModel):
    """What an agent tool did: the row written, the change_log rows that record it."""

    tool: str
    entity: EntityRef = Field(description="The row created or changed.")
    changed: bool = Field(description="False when nothing had to change (a move to the current status).")
    change_seqs: list[int] = Field(description="change_log seqs written (they carry the prompt and reasoning).")
    acting_user: EntityRef = Field(description="The team member the agent acted for.")
    subject: EntityRef | None = Field(default=None, description="What a note or task is about.")
    status: StatusRef | None = Field(default=None, description="The row's status after the write.")
    previous_status: StatusRef | None = Field(default=None, description="A move: the status before it.")
    participants: list[EntityRef] | None = Field(default=None, description="An interaction's participants.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tool": "move_lead_status",
                    "entity": {"id": "2b0e…", "type": "Lead", "name": "Acme renewal"},
                    "changed": True,
                    "change_seqs": [48214, 48215],
                    "acting_user": {"id": "a9f0…", "type": "User", "name": "Sam Ortiz"},
                    "subject": None,
                    "status": {
                        "id": "7c1d…",
                        "name": "Negotiation",
                        "entity_type": "opportunity",
                        "category": "open",
                        "is_terminal": False,
                    },
                    "previous_status": {
                        "id": "6b0c…",
                        "name": "Proposal",
                        "entity_type": "opportunity",
                        "category": "open",
                        "is_terminal": False,
                    },
                    "participants": None,
                }
            ]
        }
    )


# --- the tools' implementations -------------------------------------------------------------------


@dataclass
class Write:
    """What one tool's body wrote (inside the transaction), before its seqs are known."""

    entity: EntityRef
    changed: bool = True
    subject: EntityRef | None = None
    status: StatusRef | None = None
    previous_status: StatusRef | None = None
    participants: list[EntityRef] | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _row(obj: Base) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in sa.inspect(obj).mapper.column_attrs}


def ref(table: str, obj: Base) -> EntityRef:
    """The API's reference to a row, named as the graph names it."""
    return EntityRef(id=obj.id, type=ENTITY_TYPE_OF[table], name=display_name(table, _row(obj)))  # type: ignore[attr-defined]


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


def acting_user(session: Session, caller: Caller, email: str | None) -> AppUser:
    """The user the agent writes for: the key's own, or (team key) the active one named by email."""
    if caller.user_id is not None:
        if email is not None and email.lower() != (caller.user_email or "").lower():
            raise invalid(
                "acting_user_email",
                "acting_user_email: this API key belongs to a user and acts as that user only",
            )
        user = _in_tenant(session, AppUser, caller.user_id, caller.tenant_id)
        if user is None or user.is_active is False:  # deleted or deactivated since the key was checked
            raise ApiError(401, "unauthorized", "invalid API key", headers={"WWW-Authenticate": "Bearer"})
        return user
    if email is None:
        raise invalid(
            "acting_user_email",
            "acting_user_email: required with an API key that has no user: name the team member the agent acts for",
        )
    user = session.scalars(
        sa.select(AppUser).where(AppUser.tenant_id == caller.tenant_id, sa.func.lower(AppUser.email) == email.lower())
    ).one_or_none()
    if user is None or user.is_active is False:
        raise invalid("acting_user_email", "acting_user_email: no active team member with this email in this tenant")
    return user


def find_subject(
    session: Session, tenant_id: str, subject_id: str, subject_type: str | None, *, field: str = "subject_id"
) -> tuple[str, Any]:
    """(table, row) of a note's or task's subject in the tenant; 404 naming ``field`` otherwise."""
    tables = [_SUBJECT_ALIASES.get(subject_type, subject_type)] if subject_type else list(SUBJECT_MODELS)
    for table in tables:
        row = _in_tenant(session, SUBJECT_MODELS[table], subject_id, tenant_id)
        if row is not None:
            return table, row
    kind = f"{ENTITY_TYPE_OF[tables[0]].lower()}" if subject_type else "person, contact, organization, account or lead"
    raise not_found(f"{field}: no {kind} {subject_id[:64]} in this tenant", field=field)


def find_status(session: Session, tenant_id: str, wanted: str, entity_types: Sequence[str], what: str) -> Status:
    """A status of the tenant for one of ``entity_types`` (first preferred), by id or by name; 422 otherwise."""
    by_id = _in_tenant(session, Status, wanted, tenant_id)
    if by_id is not None:
        if by_id.entity_type not in entity_types:
            raise invalid("status", f"status: '{by_id.name}' is a status of {by_id.entity_type} rows, not of {what}")
        return by_id
    candidates = session.scalars(
        sa.select(Status).where(Status.tenant_id == tenant_id, Status.entity_type.in_(entity_types))
    ).all()
    ordered = sorted(candidates, key=lambda s: (list(entity_types).index(s.entity_type), s.position or 0, s.name or ""))
    for status in ordered:
        if (status.name or "").strip().lower() == wanted.strip().lower():
            return status
    names = ", ".join(sorted({s.name for s in ordered if s.name}, key=str.lower)) or "none"
    raise invalid("status", f"status: no status '{wanted[:64]}' for {what} in this tenant (one of: {names})")


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


def create_note(session: Session, caller: Caller, user: AppUser, request: CreateNoteRequest) -> Write:
    table, subject = find_subject(session, caller.tenant_id, request.subject_id, request.subject_type)
    note = Note(tenant_id=caller.tenant_id, subject_type=table, subject_id=subject.id, body=request.body)
    _stamp(note, user, created=True)
    session.add(note)
    session.flush()
    return Write(entity=ref("note", note), subject=ref(table, subject))


def create_task(session: Session, caller: Caller, user: AppUser, request: CreateTaskRequest) -> Write:
    tenant_id = caller.tenant_id
    subject_ref = None
    task = Task(tenant_id=tenant_id, title=request.title, description=request.description, due_at=request.due_at)
    if request.subject_id is not None:
        table, subject = find_subject(session, tenant_id, request.subject_id, request.subject_type)
        task.subject_type, task.subject_id, subject_ref = table, subject.id, ref(table, subject)
    assignee = user
    if request.assignee_id is not None:
        assignee = _in_tenant(session, AppUser, request.assignee_id, tenant_id)
        if assignee is None or assignee.is_active is False:
            raise not_found(
                f"assignee_id: no active team member {request.assignee_id[:64]} in this tenant", field="assignee_id"
            )
    task.assignee_id = assignee.id
    if request.status is not None:
        status = find_status(session, tenant_id, request.status, ["task"], "tasks")
    else:
        status = _first_open_status(session, tenant_id, "task")
    if status is not None:
        task.status_id = status.id
        if status.is_terminal:
            task.completed_at = _now()
    _stamp(task, user, created=True)
    session.add(task)
    session.flush()
    return Write(entity=ref("task", task), subject=subject_ref, status=status_ref(status) if status else None)


def log_interaction(session: Session, caller: Caller, user: AppUser, request: LogInteractionRequest) -> Write:
    tenant_id = caller.tenant_id
    people: list[Individual] = []
    seen: set[str] = set()
    for i, participant in enumerate(request.participants):
        field = f"participants.{i}.individual_id"
        if participant.individual_id in seen:
            raise invalid(field, f"{field}: this person is listed twice")
        seen.add(participant.individual_id)
        person = _in_tenant(session, Individual, participant.individual_id, tenant_id)
        if person is None:
            raise not_found(f"{field}: no person {participant.individual_id[:64]} in this tenant", field=field)
        people.append(person)
    interaction = Interaction(
        tenant_id=tenant_id,
        kind=request.kind,
        subject=request.subject,
        summary=request.summary,
        occurred_at=request.occurred_at or _now(),
        source="manual",
    )
    _stamp(interaction, user, created=True)
    session.add(interaction)
    session.flush()
    for participant, person in zip(request.participants, people, strict=True):
        row = InteractionParticipant(
            tenant_id=tenant_id, interaction_id=interaction.id, individual_id=person.id, role=participant.role
        )
        _stamp(row, user, created=True)
        session.add(row)
    session.flush()
    return Write(entity=ref("interaction", interaction), participants=[ref("individual", p) for p in people])


def _move(
    session: Session,
    caller: Caller,
    user: AppUser,
    row: Any,
    table: str,
    wanted: str,
    entity_types: Sequence[str],
    what: str,
    on_terminal: Callable[[Any], None],
) -> Write:
    target = find_status(session, caller.tenant_id, wanted, entity_types, what)
    current = session.get(Status, row.status_id) if row.status_id else None
    if current is not None and current.id == target.id:
        return Write(
            entity=ref(table, row), changed=False, status=status_ref(target), previous_status=status_ref(current)
        )
    if current is not None and current.is_terminal:
        raise ApiError(
            409,
            "terminal_status",
            f"{ENTITY_TYPE_OF[table].lower()} {row.id} is in the terminal status '{current.name}': "
            "it does not move any more (reopen it in the CRM)",
            field="status",
        )
    row.status_id = target.id
    if target.is_terminal:
        on_terminal(row)
    _stamp(row, user, created=False)
    session.flush()
    return Write(
        entity=ref(table, row),
        status=status_ref(target),
        previous_status=status_ref(current) if current is not None else None,
    )


def move_lead_status(session: Session, caller: Caller, user: AppUser, request: MoveLeadStatusRequest) -> Write:
    lead = _in_tenant(session, Lead, request.lead_id, caller.tenant_id)
    if lead is None:
        raise not_found(f"lead_id: no lead {request.lead_id[:64]} in this tenant", field="lead_id")

    def close(row: Any) -> None:
        if isinstance(row, Opportunity) and row.closed_at is None:
            row.closed_at = _now()

    kinds = [lead.lead_type, "lead"] if lead.lead_type != "lead" else ["lead"]
    return _move(session, caller, user, lead, "lead", request.status, kinds, f"{lead.lead_type} leads", close)


def move_task_status(session: Session, caller: Caller, user: AppUser, request: MoveTaskStatusRequest) -> Write:
    task = _in_tenant(session, Task, request.task_id, caller.tenant_id)
    if task is None:
        raise not_found(f"task_id: no task {request.task_id[:64]} in this tenant", field="task_id")

    def complete(row: Any) -> None:
        if row.completed_at is None:
            row.completed_at = _now()

    return _move(session, caller, user, task, "task", request.status, ["task"], "tasks", complete)


# --- the registry, the transaction, the schemas ---------------------------------------------------------


@dataclass(frozen=True)
class AgentTool:
    name: str
    summary: str
    description: str
    request: type[AgentRequest]
    body: Callable[[Session, Caller, AppUser, Any], Write]


_WHY = " Give the user's request as `prompt` and your reasoning as `reasoning`: both are recorded with the change."

AGENT_TOOLS: dict[str, AgentTool] = {
    tool.name: tool
    for tool in (
        AgentTool(
            "create_note",
            "Add a note to a person, contact, organization, account or lead",
            "Add a note about a person, contact, organization, account or lead of the CRM (by id: resolve names "
            "first)." + _WHY,
            CreateNoteRequest,
            create_note,
        ),
        AgentTool(
            "create_task",
            "Create a task, optionally about a CRM record",
            "Create a task (a to-do), optionally about a person, contact, organization, account or lead, assigned "
            "to the acting user unless another team member is named." + _WHY,
            CreateTaskRequest,
            create_task,
        ),
        AgentTool(
            "log_interaction",
            "Log an email, meeting, call or message with its participants",
            "Record an interaction (email, meeting, call or message) that happened, with the people who took part "
            "(by id: resolve names first)." + _WHY,
            LogInteractionRequest,
            log_interaction,
        ),
        AgentTool(
            "move_lead_status",
            "Move a lead (job, opportunity, partnership) to another stage",
            "Move a lead to another stage of its pipeline, by status name or id. A lead in a terminal stage "
            "(won, lost, ended) does not move any more." + _WHY,
            MoveLeadStatusRequest,
            move_lead_status,
        ),
        AgentTool(
            "move_task_status",
            "Move a task to another status (e.g. Done)",
            "Move a task to another status, by name or id; a terminal status (Done, Cancelled) completes it and "
            "it does not move any more." + _WHY,
            MoveTaskStatusRequest,
            move_task_status,
        ),
    )
}


def written_seqs(session: Session, since_seq: int) -> list[int]:
    """The change_log seqs this transaction wrote after ``since_seq``."""
    connection = session.connection()
    query = "SELECT seq FROM change_log WHERE seq > :since"
    if connection.dialect.name == "postgresql":
        query += f" AND txid = {_PG_TXID}"
    return [int(seq) for seq in connection.execute(sa.text(query + " ORDER BY seq"), {"since": since_seq}).scalars()]


def run_tool(engine: sa.Engine, caller: Caller, name: str, request: AgentRequest) -> ToolResult:
    """Run one agent tool in one transaction: the write, its audit columns and its annotated change_log rows."""
    tool = AGENT_TOOLS[name]
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            user = acting_user(session, caller, request.acting_user_email)
            with agent_changes(session, prompt=request.prompt, reasoning=request.reasoning) as capture:
                write = tool.body(session, caller, user, request)
            seqs = written_seqs(session, capture.since_seq) if write.changed else []
            acting = ref("app_user", user)
    except IntegrityError as exc:  # a row changed under us (e.g. a status deleted): the database refused
        raise data_error_from(exc) from exc
    return ToolResult(
        tool=name,
        entity=write.entity,
        changed=write.changed,
        change_seqs=seqs,
        acting_user=acting,
        subject=write.subject,
        status=write.status,
        previous_status=write.previous_status,
        participants=write.participants,
    )


def inline_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined and without its examples and title:
    function-calling clients want one plain object."""
    schema = copy.deepcopy(dict(schema))
    defs = schema.pop("$defs", {})
    schema.pop("examples", None)
    schema.pop("title", None)

    def expand(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].rsplit("/", 1)[-1]]
                merged = {**expand(target), **{k: v for k, v in node.items() if k != "$ref"}}
                return merged
            return {key: expand(value) for key, value in node.items()}
        if isinstance(node, list):
            return [expand(item) for item in node]
        return node

    return expand(schema)  # type: ignore[no-any-return]


def tool_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a tool's arguments, as function-calling clients take it."""
    return inline_schema(model.model_json_schema())


def openai_tools() -> list[dict[str, Any]]:
    """The agent tools in the OpenAI function-calling format: ``[{"type": "function", "function": {...}}]``."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": tool_parameters(t.request)},
        }
        for t in AGENT_TOOLS.values()
    ]
