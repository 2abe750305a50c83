"""The agent tools: the CRM's agent writes (:mod:`kgcrm.crm.actions`) as tools an AI agent calls.

Each tool is one pydantic request model (its JSON schema is the tool's ``parameters``,
for the HTTP endpoints ``POST /v1/tools/<name>``, for ``GET /v1/tools`` in the OpenAI
function-calling format, and for the MCP server) and one adapter that hands the request
to its action in :mod:`kgcrm.crm.actions` (which holds the rules: who writes, why, tenant,
workflow) and turns the outcome into a :class:`ToolResult`:

- ``create_note``: a note on an individual, contact, organization, account or lead;
- ``create_task``: a task, optionally on such a subject; assigned to the acting user by default;
- ``log_interaction``: an email, meeting, call or message, with its participants;
- ``move_lead_status``: a lead to another stage of its pipeline;
- ``move_task_status``: a task to another status (a terminal one completes it).

The actions raise kgcrm's own errors; :func:`kgcrm.api.errors.translate` answers them:

- an id that is not a row of the key's tenant (subject, participants, assignee, lead,
  task): 404 naming the field, exactly like an id that does not exist;
- an invalid value (a status of another workflow or tenant, a person listed twice, a
  missing, unknown or inactive ``acting_user_email``, or another user's email with a user
  key): 422 naming the field;
- a move out of a terminal status: 409 ``terminal_status``;
- a key whose own user was deleted or deactivated since the key was checked: 401.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.orm import Session

from kgcrm.api.errors import unauthorized
from kgcrm.api.keys import Caller
from kgcrm.api.schemas import MAX_ID, ApiRequest, IsoDateTime, trimmed_text
from kgcrm.core.errors import InactiveUserError
from kgcrm.crm import actions
from kgcrm.crm.models import (
    AppUser,
)
from kgcrm.graph.mapping import display_name
from kgcrm.retrieval.types import EntityRef

#: Longest prompt, reasoning, note body or description (characters); bodies are capped at 64 KiB anyway.
MAX_LONG_TEXT = 10_000
MAX_TITLE = 300
MAX_PARTICIPANTS = 50


# Bounds checked on the text as sent (what the schemas say), then trimmed: see api.schemas.Text.
LongText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LONG_TEXT), AfterValidator(trimmed_text)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE), AfterValidator(trimmed_text)]
RowId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID), AfterValidator(trimmed_text)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]{1,200}@[^@\s]{1,200}$")]

#: Subject types, as the CRM's tables name them and as the API's entity types do.
SubjectTypeName = Literal[
    "individual", "contact", "organization", "account", "lead", "Person", "Contact", "Organization", "Account", "Lead"
]

#: The table of each of the API's subject types.
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


# --- the adapters: request -> crm.actions, outcome -> ToolResult ------------------------------------------


def ref(row: actions.RowRef) -> EntityRef:
    """The API's reference to a row, named as the graph names it."""
    return EntityRef(id=row.id, type=ENTITY_TYPE_OF[row.table], name=display_name(row.table, dict(row.values)))


def status_ref(status: actions.StatusRef | None) -> StatusRef | None:
    return None if status is None else StatusRef(**dataclasses.asdict(status))


def _subject_table(subject_type: str | None) -> str | None:
    return _SUBJECT_ALIASES.get(subject_type, subject_type) if subject_type else None


def _create_note(session: Session, tenant_id: str, user: AppUser, r: CreateNoteRequest) -> actions.Write:
    return actions.create_note(
        session, tenant_id, user, subject_id=r.subject_id, subject_table=_subject_table(r.subject_type), body=r.body
    )


def _create_task(session: Session, tenant_id: str, user: AppUser, r: CreateTaskRequest) -> actions.Write:
    return actions.create_task(
        session,
        tenant_id,
        user,
        title=r.title,
        description=r.description,
        subject_id=r.subject_id,
        subject_table=_subject_table(r.subject_type),
        due_at=r.due_at,
        assignee_id=r.assignee_id,
        status=r.status,
    )


def _log_interaction(session: Session, tenant_id: str, user: AppUser, r: LogInteractionRequest) -> actions.Write:
    return actions.log_interaction(
        session,
        tenant_id,
        user,
        kind=r.kind,
        participants=[actions.Participant(p.individual_id, p.role) for p in r.participants],
        subject=r.subject,
        summary=r.summary,
        occurred_at=r.occurred_at,
    )


def _move_lead_status(session: Session, tenant_id: str, user: AppUser, r: MoveLeadStatusRequest) -> actions.Write:
    return actions.move_lead_status(session, tenant_id, user, lead_id=r.lead_id, status=r.status)


def _move_task_status(session: Session, tenant_id: str, user: AppUser, r: MoveTaskStatusRequest) -> actions.Write:
    return actions.move_task_status(session, tenant_id, user, task_id=r.task_id, status=r.status)


def actor(caller: Caller, acting_user_email: str | None) -> actions.Actor:
    """Who the agent acts for: the key's own user, or the team member a team key names."""
    if caller.user_id is not None:
        return actions.OwnUser(caller.user_id, caller.user_email, acting_user_email)
    return actions.NamedUser(acting_user_email)


# --- the registry, the transaction, the schemas ---------------------------------------------------------


@dataclass(frozen=True)
class AgentTool:
    name: str
    summary: str
    description: str
    request: type[AgentRequest]
    body: Callable[[Session, str, AppUser, Any], actions.Write]


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
            _create_note,
        ),
        AgentTool(
            "create_task",
            "Create a task, optionally about a CRM record",
            "Create a task (a to-do), optionally about a person, contact, organization, account or lead, assigned "
            "to the acting user unless another team member is named." + _WHY,
            CreateTaskRequest,
            _create_task,
        ),
        AgentTool(
            "log_interaction",
            "Log an email, meeting, call or message with its participants",
            "Record an interaction (email, meeting, call or message) that happened, with the people who took part "
            "(by id: resolve names first)." + _WHY,
            LogInteractionRequest,
            _log_interaction,
        ),
        AgentTool(
            "move_lead_status",
            "Move a lead (job, opportunity, partnership) to another stage",
            "Move a lead to another stage of its pipeline, by status name or id. A lead in a terminal stage "
            "(won, lost, ended) does not move any more." + _WHY,
            MoveLeadStatusRequest,
            _move_lead_status,
        ),
        AgentTool(
            "move_task_status",
            "Move a task to another status (e.g. Done)",
            "Move a task to another status, by name or id; a terminal status (Done, Cancelled) completes it and "
            "it does not move any more." + _WHY,
            MoveTaskStatusRequest,
            _move_task_status,
        ),
    )
}


def run_tool(engine: sa.Engine, caller: Caller, name: str, request: AgentRequest) -> ToolResult:
    """Run one agent tool (:func:`kgcrm.crm.actions.run_action`: one transaction, audited and annotated)."""
    tool = AGENT_TOOLS[name]
    try:
        outcome = actions.run_action(
            engine,
            caller.tenant_id,
            actor(caller, request.acting_user_email),
            lambda session, tenant_id, user: tool.body(session, tenant_id, user, request),
            prompt=request.prompt,
            reasoning=request.reasoning,
        )
    except InactiveUserError as exc:  # the key's own user, deleted or deactivated since the key was checked
        raise unauthorized("invalid API key") from exc
    write = outcome.write
    return ToolResult(
        tool=name,
        entity=ref(write.entity),
        changed=write.changed,
        change_seqs=outcome.change_seqs,
        acting_user=ref(outcome.acting_user),
        subject=ref(write.subject) if write.subject else None,
        status=status_ref(write.status),
        previous_status=status_ref(write.previous_status),
        participants=[ref(p) for p in write.participants] if write.participants is not None else None,
    )


def inline_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined and without its examples and title:
    function-calling clients want one plain object."""
    plain = copy.deepcopy(dict(schema))
    defs = plain.pop("$defs", {})
    plain.pop("examples", None)
    plain.pop("title", None)

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

    return expand(plain)


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
