"""``kgcrm.crm.actions``: the agent writes raise kgcrm's domain errors, naming the field, and write nothing then.

The HTTP answers to the same cases are in ``tests/api/test_api_tools.py``; here the
actions run without the API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from functools import partial

import pytest
import sqlalchemy as sa

from kgcrm.core.errors import DataError, InactiveUserError, NotFoundError, TerminalStatusError
from kgcrm.crm import actions
from kgcrm.crm.models import AppUser, Lead, Note
from tests.api.test_api_tools import PROMPT, REASONING, add_crew


def run(engine: sa.Engine, crew, action, actor=None) -> actions.Outcome:
    actor = actor or actions.OwnUser(crew.user["id"], crew.user["email"])
    return actions.run_action(engine, crew.id, actor, action, prompt=PROMPT, reasoning=REASONING)


def count(engine: sa.Engine, model) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model.__table__)).scalar_one())


def test_a_note_on_another_tenants_row_is_not_found_naming_the_field_and_writes_nothing(engine):
    mine, theirs = add_crew(engine, "act-a", with_keys=False), add_crew(engine, "act-b", with_keys=False)
    note = partial(actions.create_note, subject_id=theirs.organization, subject_table=None, body="x")

    with pytest.raises(NotFoundError) as error:
        run(engine, mine, note)

    assert error.value.field == "subject_id"
    assert (
        str(error.value)
        == f"subject_id: no person, contact, organization, account or lead {theirs.organization} in this tenant"
    )
    assert count(engine, Note) == 0


def test_a_status_of_another_tenant_is_invalid_naming_status(engine):
    mine, theirs = add_crew(engine, "act-a", with_keys=False), add_crew(engine, "act-b", with_keys=False)
    move = partial(actions.move_lead_status, lead_id=mine.lead, status=theirs.status[("opportunity", "Negotiation")])

    with pytest.raises(DataError) as error:
        run(engine, mine, move)

    assert type(error.value) is DataError and error.value.field == "status"
    assert str(error.value).startswith("status: no status ")


def test_a_terminal_lead_does_not_move(engine):
    crew = add_crew(engine, "act-a", with_keys=False)

    with pytest.raises(TerminalStatusError) as error:
        run(engine, crew, partial(actions.move_lead_status, lead_id=crew.won_lead, status="Negotiation"))

    assert error.value.field == "status" and "'Closed Won'" in str(error.value)
    with engine.connect() as conn:
        status = conn.execute(sa.select(Lead.status_id).where(Lead.id == crew.won_lead)).scalar_one()
    assert status == crew.status[("opportunity", "Closed Won")]


def test_the_keys_own_user_deactivated_since_is_an_inactive_user(engine):
    crew = add_crew(engine, "act-a", with_keys=False)
    with engine.begin() as conn:
        conn.execute(sa.update(AppUser).where(AppUser.id == crew.user["id"]).values(is_active=False))

    with pytest.raises(InactiveUserError):
        run(engine, crew, partial(actions.create_note, subject_id=crew.organization, subject_table=None, body="x"))

    assert count(engine, Note) == 0


def test_a_team_key_names_an_active_member_or_fails_on_acting_user_email(engine):
    crew = add_crew(engine, "act-a", with_keys=False)
    note = partial(actions.create_note, subject_id=crew.organization, subject_table="organization", body="x")

    for email in (None, crew.former["email"], "nobody@act-a.example"):
        with pytest.raises(DataError) as error:
            run(engine, crew, note, actions.NamedUser(email))
        assert error.value.field == "acting_user_email", email

    done = run(engine, crew, note, actions.NamedUser(crew.colleague["email"].upper()))
    assert done.acting_user.id == crew.colleague["id"]
    assert (done.write.entity.table, done.write.subject.id) == ("note", crew.organization)
    assert len(done.change_seqs) == 1
