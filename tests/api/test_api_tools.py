"""The agent tools: writes to the relational CRM on a user's behalf, audited in change_log.

The tools write into a tenant of their own (``crew``, added to the package's ``world``
CRM by :func:`add_crew`), so that the seeded tenants' truth, which other tests check,
stays as seeded. Tenant ``a`` of the world is the "other tenant" of these tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from kgcrm.api import keys
from kgcrm.api.keys import Caller
from kgcrm.api.tools import (
    AGENT_TOOLS,
    CreateNoteRequest,
    MoveLeadStatusRequest,
    run_tool,
    tool_parameters,
)
from kgcrm.crm.models import (
    AppUser,
    Individual,
    Interaction,
    Lead,
    Note,
    Opportunity,
    Organization,
    Status,
    Task,
    Tenant,
)
from kgcrm.crm.seed_vocab import STATUSES
from tests.api.helpers import assert_error

pytestmark = pytest.mark.neo4j

PROMPT = "Please note that Zephyr wants SSO before renewing"
REASONING = "The user asked to record a customer requirement on the organization."


# --- a tenant of the tools' own ------------------------------------------------------------------


@dataclass
class Crew:
    """A small tenant: three team members (one inactive), four people, an organization, two leads, a task."""

    id: str
    slug: str
    user: dict[str, str]  # active, with a person record; the user key's user
    colleague: dict[str, str]  # active
    former: dict[str, str]  # inactive
    people: list[str]  # two people who are not team members
    organization: str
    lead: str  # an opportunity in "Proposal"
    won_lead: str  # an opportunity in "Closed Won"
    task: str  # "To do"
    status: dict[tuple[str, str], str]  # (entity_type, name) → id
    user_key: str = ""
    team_key: str = ""

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.user_key}"}

    def caller(self) -> Caller:
        return Caller(
            key_id="test",
            tenant_id=self.id,
            tenant_slug=self.slug,
            user_id=self.user["id"],
            user_email=self.user["email"],
            individual_id=self.user["individual_id"],
        )


def add_crew(engine: sa.Engine, slug: str, *, with_keys: bool = True) -> Crew:
    """Add the tenant ``slug`` with a few rows of each kind the tools touch (and its keys)."""
    tenant_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(Tenant(id=tenant_id, name=f"{slug.title()} Ltd", slug=slug))
        session.flush()
        status: dict[tuple[str, str], str] = {}
        for entity_type in ("lead", "opportunity", "task"):
            for position, (name, category, terminal, _p) in enumerate(STATUSES[entity_type]):
                row = Status(
                    tenant_id=tenant_id,
                    entity_type=entity_type,
                    name=name,
                    category=category,
                    is_terminal=terminal,
                    position=position,
                )
                session.add(row)
                session.flush()
                status[(entity_type, name)] = row.id
        people = [
            Individual(tenant_id=tenant_id, first_name=first, last_name=last, email=f"{first.lower()}@{slug}.example")
            for first, last in (("Quillon", "Marsh"), ("Ysolde", "Varga"), ("Tamsin", "Okoro"), ("Idris", "Fenn"))
        ]
        session.add_all(people)
        session.flush()
        users = [
            AppUser(
                tenant_id=tenant_id,
                email=f"{name}@{slug}.example",
                full_name=full,
                individual_id=person,
                is_active=active,
            )
            for name, full, person, active in (
                ("quillon", "Quillon Marsh", people[0].id, True),
                ("ysolde", "Ysolde Varga", people[1].id, True),
                ("former", "Former Member", None, False),
            )
        ]
        session.add_all(users)
        organization = Organization(
            tenant_id=tenant_id, name=f"Zephyrine {slug.title()} Works", domain=f"{slug}.example"
        )
        session.add(organization)
        session.flush()
        lead = Opportunity(
            tenant_id=tenant_id,
            lead_type="opportunity",
            title="Zephyrine renewal",
            organization_id=organization.id,
            status_id=status[("opportunity", "Proposal")],
            owner_id=users[0].id,
        )
        won = Opportunity(
            tenant_id=tenant_id,
            lead_type="opportunity",
            title="Zephyrine pilot",
            organization_id=organization.id,
            status_id=status[("opportunity", "Closed Won")],
        )
        task = Task(tenant_id=tenant_id, title="Prepare the renewal deck", status_id=status[("task", "To do")])
        session.add_all([lead, won, task])
        session.flush()
        crew = Crew(
            id=tenant_id,
            slug=slug,
            user={"id": users[0].id, "email": users[0].email, "individual_id": people[0].id},
            colleague={"id": users[1].id, "email": users[1].email},
            former={"id": users[2].id, "email": users[2].email},
            people=[p.id for p in people[2:]],
            organization=organization.id,
            lead=lead.id,
            won_lead=won.id,
            task=task.id,
            status=status,
        )
    if with_keys:
        crew.user_key = keys.create_key(engine, slug, user_email=crew.user["email"]).key
        crew.team_key = keys.create_key(engine, slug, name="team").key
    return crew


def change_rows(engine: sa.Engine, seqs: list[int]) -> list[dict[str, Any]]:
    query = sa.text(
        "SELECT seq, tenant_id, entity_type, entity_id, op, actor_id, via_agent, agent_prompt, agent_reasoning "
        "FROM change_log WHERE seq IN :seqs ORDER BY seq"
    ).bindparams(sa.bindparam("seqs", expanding=True))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query, {"seqs": seqs})]


def last_seq(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar_one())


def why(**fields: Any) -> dict[str, Any]:
    return {"prompt": PROMPT, "reasoning": REASONING, **fields}


@pytest.fixture(scope="module")
def crew(world) -> Crew:
    return add_crew(world.engine, "tools-crew")


@pytest.fixture(scope="module")
def post(world, crew):
    def call(tool: str, body: dict[str, Any], key: str | None = None) -> Any:
        return world.client.post(f"/v1/tools/{tool}", json=body, headers=crew.headers(key))

    return call


# --- the schemas ----------------------------------------------------------------------------------


def test_the_tools_are_listed_in_the_openai_format(world, crew):
    response = world.client.get("/v1/tools", headers=crew.headers())

    assert response.status_code == 200, response.text
    listed = response.json()
    assert [t["function"]["name"] for t in listed] == list(AGENT_TOOLS)
    for entry in listed:
        assert entry["type"] == "function"
        function = entry["function"]
        tool = AGENT_TOOLS[function["name"]]
        assert function["description"] == tool.description
        parameters = function["parameters"]
        assert parameters == tool_parameters(tool.request)
        assert parameters["type"] == "object" and parameters["additionalProperties"] is False
        assert "$defs" not in str(parameters) and "$ref" not in str(parameters)
        assert set(parameters["properties"]) == set(tool.request.model_fields)
        assert {"prompt", "reasoning"} <= set(parameters["required"])


def test_the_openapi_bodies_are_the_tools_models(world):
    spec = world.client.get("/openapi.json").json()

    for name, tool in AGENT_TOOLS.items():
        operation = spec["paths"][f"/v1/tools/{name}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].endswith(f"/{tool.request.__name__}")
        assert body["examples"]
        tool.request.model_validate(next(iter(body["examples"].values()))["value"])  # the example is valid
        assert {"200", "401", "404", "422", "503"} <= set(operation["responses"])


def test_the_tools_need_a_key(world):
    for name in AGENT_TOOLS:
        assert_error(world.client.post(f"/v1/tools/{name}", json={}), 401, "unauthorized")
    assert_error(world.client.get("/v1/tools"), 401, "unauthorized")


# --- create_note ----------------------------------------------------------------------------------


def test_create_note_writes_as_the_user_with_the_prompt_and_is_synced(world, crew, post):
    response = post("create_note", why(subject_id=crew.organization, body="Zephyrine wants SSO before renewing."))

    assert response.status_code == 200, response.text
    result = response.json()
    note_id = result["entity"]["id"]
    assert result["entity"] == {"id": note_id, "type": "Note", "name": "Zephyrine wants SSO before renewing."}
    assert result["subject"]["id"] == crew.organization and result["subject"]["type"] == "Organization"
    assert result["acting_user"] == {"id": crew.user["id"], "type": "User", "name": "Quillon Marsh"}
    assert result["changed"] is True
    with Session(world.engine) as session:
        note = session.get(Note, note_id)
        assert note is not None
        assert (note.tenant_id, note.subject_type, note.subject_id) == (crew.id, "organization", crew.organization)
        assert (note.created_by, note.updated_by, note.via_agent) == (crew.user["id"], crew.user["id"], True)
    rows = change_rows(world.engine, result["change_seqs"])
    assert [(r["entity_type"], r["entity_id"], r["op"]) for r in rows] == [("note", note_id, "insert")]
    assert rows[0]["tenant_id"] == crew.id and rows[0]["actor_id"] == crew.user["id"]
    assert (bool(rows[0]["via_agent"]), rows[0]["agent_prompt"], rows[0]["agent_reasoning"]) == (
        True,
        PROMPT,
        REASONING,
    )

    synced = world.client.post("/v1/sync", json={"mode": "incremental"}, headers=crew.headers())

    assert synced.status_code == 200, synced.text
    records, _, _ = world.driver.execute_query(
        "MATCH (n:Note {id: $id}) OPTIONAL MATCH (n)-[r]-(o:Organization {id: $org}) "
        "RETURN n.via_agent AS via_agent, n.tenant_id AS tenant, count(r) AS links",
        id=note_id,
        org=crew.organization,
    )
    assert [(r["via_agent"], r["tenant"], r["links"] > 0) for r in records] == [(True, crew.id, True)]
    entity = world.client.get(f"/v1/entities/{note_id}", headers=crew.headers())
    assert entity.status_code == 200 and entity.json()["properties"]["via_agent"] is True


def test_a_subject_is_found_by_id_and_checked_against_its_type(crew, post):
    by_person = post("create_note", why(subject_id=crew.people[0], subject_type="Person", body="Met at the expo."))
    by_table = post("create_note", why(subject_id=crew.lead, subject_type="lead", body="Pricing agreed."))

    assert by_person.status_code == 200 and by_person.json()["subject"]["type"] == "Person"
    assert by_table.status_code == 200 and by_table.json()["subject"]["type"] == "Lead"
    assert_error(
        post("create_note", why(subject_id=crew.organization, subject_type="Person", body="x")),
        404,
        "not_found",
        "subject_id",
    )


def test_a_subject_of_another_tenant_is_not_found(world, crew, post):
    before = last_seq(world.engine)
    other = world.a.user["individual_id"]  # a person of tenant a

    assert_error(post("create_note", why(subject_id=other, body="x")), 404, "not_found", "subject_id")
    assert_error(post("create_task", why(title="x", subject_id=other)), 404, "not_found", "subject_id")
    assert last_seq(world.engine) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject_id": "x", "body": "x", "reasoning": REASONING}, "prompt"),
        ({"subject_id": "x", "body": "x", "prompt": PROMPT}, "reasoning"),
        ({"subject_id": "x", "body": "   ", **why()}, "body"),
        ({"subject_id": "x", "body": "bad\x00byte", **why()}, "body"),
        ({"subject_id": "x", "body": "x", "color": "red", **why()}, "color"),
        ({"subject_id": "x", "body": "x", "subject_type": "Planet", **why()}, "subject_type"),
        ({"subject_id": "x", "body": "x" * 10_001, **why()}, "body"),
        ({"subject_id": "x", "body": "x", **why(acting_user_email="not an email")}, "acting_user_email"),
    ],
)
def test_invalid_input_is_422_naming_the_field(post, body, field):
    assert_error(post("create_note", body), 422, "invalid_input", field)


@pytest.mark.parametrize(
    ("tool", "field", "value"),
    [
        ("create_task", "due_at", 1),  # stored 1970-01-01 before
        ("create_task", "due_at", 1764579600.5),
        ("create_task", "due_at", "1764579600"),  # a number in a string: still a Unix time to pydantic
        ("create_task", "due_at", True),
        ("create_task", "due_at", "2026-12-01T09:00:00"),  # no time zone
        ("create_task", "due_at", "2026-12-01"),  # a date is not a point in time
        ("create_task", "due_at", "tomorrow"),
        ("log_interaction", "occurred_at", 0),
        ("log_interaction", "occurred_at", "2026-11-24 15:00"),
    ],
)
def test_a_time_field_refuses_numbers_and_zone_less_times(world, crew, post, tool, field, value):
    before = last_seq(world.engine)
    body = {"title": "x"} if tool == "create_task" else {"kind": "call", "participants": []}

    assert_error(post(tool, why(**body, **{field: value})), 422, "invalid_input", field)
    assert last_seq(world.engine) == before  # nothing written


# --- who writes -------------------------------------------------------------------------------------


def test_a_team_key_names_the_user_it_acts_for(world, crew, post):
    body = why(subject_id=crew.organization, body="Sent by the team key.")

    missing = post("create_note", body, key=crew.team_key)
    inactive = post("create_note", {**body, "acting_user_email": crew.former["email"]}, key=crew.team_key)
    foreign = post("create_note", {**body, "acting_user_email": world.a.user["email"]}, key=crew.team_key)
    acting = post("create_note", {**body, "acting_user_email": crew.colleague["email"].upper()}, key=crew.team_key)

    assert_error(missing, 422, "invalid_input", "acting_user_email")
    assert_error(inactive, 422, "invalid_input", "acting_user_email")
    assert_error(foreign, 422, "invalid_input", "acting_user_email")
    assert acting.status_code == 200, acting.text
    assert acting.json()["acting_user"]["id"] == crew.colleague["id"]
    [row] = change_rows(world.engine, acting.json()["change_seqs"])
    assert row["actor_id"] == crew.colleague["id"]


def test_a_user_key_acts_as_its_user_only(crew, post):
    body = why(subject_id=crew.organization, body="Sent by the user key.")

    other = post("create_note", {**body, "acting_user_email": crew.colleague["email"]})
    itself = post("create_note", {**body, "acting_user_email": crew.user["email"]})

    assert_error(other, 422, "invalid_input", "acting_user_email")
    assert itself.status_code == 200 and itself.json()["acting_user"]["id"] == crew.user["id"]


# --- create_task, log_interaction ------------------------------------------------------------------------


def test_create_task_defaults_to_the_acting_user_and_the_first_open_status(world, crew, post):
    response = post("create_task", why(title="Call Tamsin", subject_id=crew.people[0], due_at="2026-12-01T09:00:00Z"))

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["entity"]["type"] == "Task" and result["entity"]["name"] == "Call Tamsin"
    assert result["status"]["name"] == "To do" and result["subject"]["type"] == "Person"
    with Session(world.engine) as session:
        task = session.get(Task, result["entity"]["id"])
        assert task is not None
        assert (task.assignee_id, task.subject_type, task.status_id) == (
            crew.user["id"],
            "individual",
            crew.status[("task", "To do")],
        )
        assert task.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC) and task.completed_at is None
        assert task.via_agent is True


def test_create_task_with_an_assignee_and_a_status_by_name(world, crew, post):
    response = post("create_task", why(title="Book the venue", assignee_id=crew.colleague["id"], status="in PROGRESS"))

    assert response.status_code == 200, response.text
    assert response.json()["status"]["id"] == crew.status[("task", "In progress")]
    assert response.json()["subject"] is None
    assert_error(post("create_task", why(title="x", assignee_id=world.a.user["id"])), 404, "not_found", "assignee_id")
    assert_error(post("create_task", why(title="x", assignee_id=crew.former["id"])), 404, "not_found", "assignee_id")
    assert_error(post("create_task", why(title="x", status="Closed Won")), 422, "invalid_input", "status")
    assert_error(post("create_task", why(title="x", subject_type="Person")), 422, "invalid_input")


def test_log_interaction_with_its_participants(world, crew, post):
    participants = [
        {"individual_id": crew.user["individual_id"], "role": "organizer"},
        {"individual_id": crew.people[0]},
        {"individual_id": crew.people[1], "role": "cc"},
    ]

    response = post(
        "log_interaction",
        why(
            kind="meeting", subject="Renewal lunch", occurred_at="2026-11-24T12:30:00+01:00", participants=participants
        ),
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["entity"]["type"] == "Interaction" and result["entity"]["name"] == "Renewal lunch"
    assert [p["id"] for p in result["participants"]] == [p["individual_id"] for p in participants]
    rows = change_rows(world.engine, result["change_seqs"])
    assert sorted(r["entity_type"] for r in rows) == ["interaction"] + ["interaction_participant"] * 3
    assert all(r["agent_prompt"] == PROMPT and r["tenant_id"] == crew.id for r in rows)
    with Session(world.engine) as session:
        interaction = session.get(Interaction, result["entity"]["id"])
        assert interaction is not None
        assert interaction.occurred_at == datetime(2026, 11, 24, 11, 30, tzinfo=UTC)
        assert (interaction.kind, interaction.source, interaction.via_agent) == ("meeting", "manual", True)
        roles = sorted((p.individual_id, p.role, p.via_agent) for p in interaction.participants)
    assert roles == sorted(
        [
            (crew.user["individual_id"], "organizer", True),
            (crew.people[0], "attendee", True),
            (crew.people[1], "cc", True),
        ]
    )


def test_log_interaction_refuses_unknown_or_repeated_participants_and_writes_nothing(world, crew, post):
    before = last_seq(world.engine)
    known = {"individual_id": crew.people[0]}

    repeated = post("log_interaction", why(kind="call", participants=[known, known]))
    foreign = post(
        "log_interaction", why(kind="call", participants=[known, {"individual_id": world.a.user["individual_id"]}])
    )
    empty = post("log_interaction", why(kind="call", participants=[]))
    naive = post("log_interaction", why(kind="call", occurred_at="2026-11-24T12:30:00", participants=[known]))

    assert_error(repeated, 422, "invalid_input", "participants.1.individual_id")
    assert_error(foreign, 404, "not_found", "participants.1.individual_id")
    assert_error(empty, 422, "invalid_input", "participants")
    assert_error(naive, 422, "invalid_input", "occurred_at")
    assert last_seq(world.engine) == before  # the interaction of the refused calls was rolled back


# --- status moves ---------------------------------------------------------------------------------------


def test_move_lead_status_along_its_pipeline(world, crew, post):
    response = post("move_lead_status", why(lead_id=crew.lead, status="negotiation"))

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["entity"] == {"id": crew.lead, "type": "Lead", "name": "Zephyrine renewal"}
    assert (result["previous_status"]["name"], result["status"]["name"]) == ("Proposal", "Negotiation")
    rows = change_rows(world.engine, result["change_seqs"])
    assert {(r["entity_type"], r["entity_id"], r["op"]) for r in rows} >= {("lead", crew.lead, "update")}
    assert all(r["agent_reasoning"] == REASONING and r["actor_id"] == crew.user["id"] for r in rows)

    again = post("move_lead_status", why(lead_id=crew.lead, status=crew.status[("opportunity", "Negotiation")]))

    assert again.status_code == 200 and again.json()["changed"] is False and again.json()["change_seqs"] == []


def test_a_status_must_be_of_the_leads_workflow_and_tenant(world, crew, post):
    with world.engine.connect() as conn:
        foreign = conn.execute(
            sa.select(Status.id).where(Status.tenant_id == world.a.id, Status.entity_type == "opportunity").limit(1)
        ).scalar_one()
        foreign_lead = conn.execute(sa.select(Lead.id).where(Lead.tenant_id == world.a.id).limit(1)).scalar_one()

    task_status = post("move_lead_status", why(lead_id=crew.lead, status=crew.status[("task", "Done")]))
    unknown = post("move_lead_status", why(lead_id=crew.lead, status="Teleported"))
    other_tenant = post("move_lead_status", why(lead_id=crew.lead, status=foreign))
    other_lead = post("move_lead_status", why(lead_id=foreign_lead, status="Closed Won"))

    error = assert_error(task_status, 422, "invalid_input", "status")
    assert "task" in error["message"]
    error = assert_error(unknown, 422, "invalid_input", "status")
    assert "Negotiation" in error["message"]  # the valid names are listed
    assert_error(other_tenant, 422, "invalid_input", "status")
    assert_error(other_lead, 404, "not_found", "lead_id")


def test_a_generic_lead_status_applies_to_every_lead_type(world, crew, post):
    response = post("move_lead_status", why(lead_id=crew.lead, status="Working"))

    assert response.status_code == 200, response.text
    assert response.json()["status"]["entity_type"] == "lead"


def test_closing_an_opportunity_sets_closed_at_and_a_terminal_status_does_not_move(world, crew, post):
    won = post("move_lead_status", why(lead_id=crew.lead, status="Closed Won"))

    assert won.status_code == 200, won.text
    assert won.json()["status"]["is_terminal"] is True
    with Session(world.engine) as session:
        lead = session.get(Lead, crew.lead)
        assert isinstance(lead, Opportunity) and lead.closed_at is not None
    before = last_seq(world.engine)

    reopened = post("move_lead_status", why(lead_id=crew.lead, status="Proposal"))
    stays = post("move_lead_status", why(lead_id=crew.won_lead, status="Closed Won"))

    error = assert_error(reopened, 409, "terminal_status", "status")
    assert "Closed Won" in error["message"]
    assert stays.status_code == 200 and stays.json()["changed"] is False
    assert last_seq(world.engine) == before


def test_move_task_status_completes_it(world, crew, post):
    started = post("move_task_status", why(task_id=crew.task, status="In progress"))
    done = post("move_task_status", why(task_id=crew.task, status="Done"))
    after = post("move_task_status", why(task_id=crew.task, status="To do"))

    assert started.status_code == 200 and started.json()["status"]["name"] == "In progress"
    assert done.status_code == 200 and done.json()["previous_status"]["name"] == "In progress"
    assert_error(after, 409, "terminal_status", "status")
    assert_error(post("move_task_status", why(task_id=crew.lead, status="Done")), 404, "not_found", "task_id")
    assert_error(post("move_task_status", why(task_id=crew.task, status="Closed Won")), 422, "invalid_input", "status")
    with Session(world.engine) as session:
        task = session.get(Task, crew.task)
        assert task is not None and task.completed_at is not None
        assert (task.status_id, task.updated_by, task.via_agent) == (
            crew.status[("task", "Done")],
            crew.user["id"],
            True,
        )


# --- both databases, without the app -------------------------------------------------------------------------


def test_run_tool_on_each_database(engine):
    """The transaction, the audit and the seqs on SQLite and on PostgreSQL (whose rows carry a txid)."""
    crew = add_crew(engine, "tools-db", with_keys=False)
    caller = crew.caller()
    note = CreateNoteRequest(subject_id=crew.organization, body="Both databases.", prompt=PROMPT, reasoning=REASONING)

    created = run_tool(engine, caller, "create_note", note)
    moved = run_tool(
        engine, caller, "move_lead_status", MoveLeadStatusRequest(lead_id=crew.lead, status="Closed Lost", **why())
    )

    assert len(created.change_seqs) == 1
    assert len(moved.change_seqs) >= 2  # the lead row and its opportunity row (closed_at)
    rows = change_rows(engine, created.change_seqs + moved.change_seqs)
    assert {r["entity_id"] for r in rows} == {created.entity.id, crew.lead}
    assert all(bool(r["via_agent"]) and r["agent_prompt"] == PROMPT for r in rows)
    assert max(created.change_seqs) < min(moved.change_seqs)
