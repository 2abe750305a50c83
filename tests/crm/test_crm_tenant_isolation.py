"""The database refuses rows that refer to another tenant's rows, whoever writes them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kgcrm.core.errors import DataError, TenantIsolationError
from kgcrm.crm.database import data_error_from


@pytest.fixture
def two_tenants(rows):
    return rows.tenant(), rows.tenant()


def test_foreign_key_to_another_tenant_is_refused_on_insert(rows, two_tenants):
    mine, theirs = two_tenants
    person = rows.insert("individual", tenant_id=mine)
    their_company = rows.insert("organization", tenant_id=theirs, name="Globex")

    with pytest.raises(IntegrityError, match=r"tenant isolation: contact\.organization_id: .*another tenant"):
        rows.insert("contact", tenant_id=mine, individual_id=person, organization_id=their_company)


def test_foreign_key_to_another_tenant_is_refused_on_update(rows, two_tenants):
    mine, theirs = two_tenants
    person = rows.insert("individual", tenant_id=mine)
    role = rows.insert("contact", tenant_id=mine, individual_id=person)
    their_company = rows.insert("organization", tenant_id=theirs, name="Globex")

    with pytest.raises(IntegrityError, match=r"tenant isolation: contact\.organization_id"):
        rows.execute("UPDATE contact SET organization_id = :org WHERE id = :id", org=their_company, id=role)


def test_audit_reference_to_another_tenant_is_refused(rows, two_tenants):
    mine, theirs = two_tenants
    their_user = rows.insert("app_user", tenant_id=theirs, email="them@example.com")

    with pytest.raises(IntegrityError, match=r"tenant isolation: individual\.created_by"):
        rows.insert("individual", tenant_id=mine, created_by=their_user)


def test_same_tenant_references_are_accepted(rows, two_tenants):
    mine, _ = two_tenants
    person = rows.insert("individual", tenant_id=mine)
    company = rows.insert("organization", tenant_id=mine, name="Initech")

    role = rows.insert("contact", tenant_id=mine, individual_id=person, organization_id=company)

    assert rows.scalar("SELECT organization_id FROM contact WHERE id = :id", id=role) == company


def test_subject_of_another_tenant_is_refused(rows, two_tenants):
    mine, theirs = two_tenants
    their_person = rows.insert("individual", tenant_id=theirs)

    with pytest.raises(IntegrityError, match=r"tenant isolation: note\.subject_id: .*individual.*another tenant"):
        rows.insert("note", tenant_id=mine, subject_type="individual", subject_id=their_person, body="hi")


def test_subject_moved_to_another_tenant_by_update_is_refused(rows, two_tenants):
    mine, theirs = two_tenants
    my_person = rows.insert("individual", tenant_id=mine)
    their_company = rows.insert("organization", tenant_id=theirs)
    task = rows.insert("task", tenant_id=mine, subject_type="individual", subject_id=my_person, title="Call")

    with pytest.raises(IntegrityError, match=r"tenant isolation: task\.subject_id"):
        rows.execute(
            "UPDATE task SET subject_type = 'organization', subject_id = :org WHERE id = :id",
            org=their_company,
            id=task,
        )


def test_missing_subject_is_refused(rows, two_tenants):
    mine, _ = two_tenants

    with pytest.raises(IntegrityError, match=r"task\.subject_id: no lead row has this id"):
        rows.insert("task", tenant_id=mine, subject_type="lead", subject_id="00000000-0000-0000-0000-000000000000")


def test_subject_of_the_same_tenant_is_accepted(rows, two_tenants):
    mine, _ = two_tenants
    account_org = rows.insert("organization", tenant_id=mine)
    account = rows.insert("account", tenant_id=mine, organization_id=account_org)

    note = rows.insert("note", tenant_id=mine, subject_type="account", subject_id=account, body="Renewal")

    assert rows.scalar("SELECT subject_id FROM note WHERE id = :id", id=note) == account


def test_deleting_a_subject_deletes_its_tasks_and_notes(rows, two_tenants):
    mine, _ = two_tenants
    company = rows.insert("organization", tenant_id=mine)
    rows.insert("note", tenant_id=mine, subject_type="organization", subject_id=company, body="x")
    rows.insert("task", tenant_id=mine, subject_type="organization", subject_id=company, title="y")

    rows.execute("DELETE FROM organization WHERE id = :id", id=company)

    assert rows.scalar("SELECT count(*) FROM note") + rows.scalar("SELECT count(*) FROM task") == 0


def test_tenant_id_cannot_change(rows, two_tenants):
    mine, theirs = two_tenants
    person = rows.insert("individual", tenant_id=mine)

    with pytest.raises(IntegrityError, match=r"tenant isolation: individual\.tenant_id: cannot be changed"):
        rows.execute("UPDATE individual SET tenant_id = :t WHERE id = :id", t=theirs, id=person)


def test_subtype_row_of_another_tenants_lead_is_refused(rows, two_tenants):
    mine, theirs = two_tenants
    their_lead = rows.insert("lead", tenant_id=theirs, lead_type="job")

    with pytest.raises(IntegrityError, match=r"tenant isolation: job\.id"):
        rows.insert("job", id=their_lead, tenant_id=mine, role_title="Engineer")


def test_subtype_row_must_match_lead_type(rows, two_tenants):
    mine, _ = two_tenants
    lead = rows.insert("lead", tenant_id=mine, lead_type="opportunity")

    with pytest.raises(IntegrityError, match=r"job\.id: the lead's lead_type is not 'job'"):
        rows.insert("job", id=lead, tenant_id=mine, role_title="Engineer")


def test_lead_type_cannot_change(rows, two_tenants):
    mine, _ = two_tenants
    lead = rows.insert("lead", tenant_id=mine, lead_type="job")

    with pytest.raises(IntegrityError, match=r"lead\.lead_type: cannot be changed"):
        rows.execute("UPDATE lead SET lead_type = 'partnership' WHERE id = :id", id=lead)


def test_status_of_another_entity_type_is_refused(rows, two_tenants):
    mine, _ = two_tenants
    task_status = rows.insert("status", tenant_id=mine, entity_type="task", name="Done", category="done")
    person = rows.insert("individual", tenant_id=mine)

    with pytest.raises(IntegrityError, match=r"contact\.status_id: the status is for another entity type"):
        rows.insert("contact", tenant_id=mine, individual_id=person, status_id=task_status)


@pytest.mark.parametrize(("status_type", "accepted"), [("lead", True), ("job", True), ("opportunity", False)])
def test_a_lead_takes_a_lead_status_or_one_of_its_type(rows, two_tenants, status_type, accepted):
    mine, _ = two_tenants
    status = rows.insert("status", tenant_id=mine, entity_type=status_type, name="New", category="open")

    def insert_job_lead() -> str:
        return rows.insert("lead", tenant_id=mine, lead_type="job", status_id=status)

    if accepted:
        assert insert_job_lead()
    else:
        with pytest.raises(IntegrityError, match=r"lead\.status_id: the status is for another entity type"):
            insert_job_lead()


def test_status_entity_type_cannot_change(rows, two_tenants):
    mine, _ = two_tenants
    status = rows.insert("status", tenant_id=mine, entity_type="task", name="Open")

    with pytest.raises(IntegrityError, match=r"status\.entity_type: cannot be changed"):
        rows.execute("UPDATE status SET entity_type = 'contact' WHERE id = :id", id=status)


def test_refusal_becomes_a_tenant_isolation_error(rows, two_tenants):
    mine, theirs = two_tenants
    their_person = rows.insert("individual", tenant_id=theirs)
    meeting = rows.insert("interaction", tenant_id=mine, kind="meeting")

    with pytest.raises(IntegrityError) as refused:
        rows.insert("interaction_participant", tenant_id=mine, interaction_id=meeting, individual_id=their_person)
    error = data_error_from(refused.value)

    assert isinstance(error, TenantIsolationError)
    assert (error.table, error.field) == ("interaction_participant", "individual_id")
    assert "another tenant" in str(error)


def test_other_refusals_become_data_errors(rows, two_tenants):
    mine, _ = two_tenants

    with pytest.raises(IntegrityError) as refused:
        rows.insert("interaction", tenant_id=mine, kind="carrier pigeon")
    error = data_error_from(refused.value)

    assert type(error) is DataError
    assert "ck_interaction_kind" in str(error)


def test_refused_write_leaves_nothing_behind(rows, two_tenants):
    mine, theirs = two_tenants
    their_company = rows.insert("organization", tenant_id=theirs)
    before = rows.last_seq()

    with pytest.raises(IntegrityError):
        rows.insert("organization", tenant_id=mine, parent_id=their_company)

    assert rows.changes(before) == []
    assert rows.scalar("SELECT count(*) FROM organization WHERE tenant_id = :t", t=mine) == 0


def test_isolation_holds_inside_one_transaction(engine, two_tenants):
    mine, theirs = two_tenants

    insert = sa.text("INSERT INTO individual (id, tenant_id) VALUES (:id, :t)")
    relate = sa.text(
        "INSERT INTO relationship (id, tenant_id, from_individual_id, to_individual_id, kind)"
        " VALUES ('r-1', :t, 'p-mine', 'p-theirs', 'knows')"
    )

    with (
        pytest.raises(IntegrityError, match=r"tenant isolation: relationship\.to_individual_id"),
        engine.begin() as connection,
    ):
        connection.execute(insert, {"id": "p-mine", "t": mine})
        connection.execute(insert, {"id": "p-theirs", "t": theirs})
        connection.execute(relate, {"t": mine})


@pytest.mark.parametrize("subtype", ["opportunity", "job", "partnership"])
def test_a_subtype_row_without_tenant_id_is_told_tenant_id_is_required(rows, two_tenants, subtype):
    mine, _ = two_tenants
    lead = rows.insert("lead", tenant_id=mine, lead_type=subtype)

    with pytest.raises(IntegrityError) as refused:
        rows.insert(subtype, id=lead)  # plain SQL that forgot tenant_id
    error = data_error_from(refused.value)

    assert type(error) is DataError  # not a tenant isolation refusal: nothing of another tenant is involved
    assert (error.table, error.field) == (subtype, "tenant_id")
    assert "required" in str(error) and "another tenant" not in str(error)


def test_any_row_without_tenant_id_is_told_tenant_id_is_required(rows, two_tenants):
    with pytest.raises(IntegrityError, match=r"individual\.tenant_id: required"):
        rows.insert("individual", first_name="Ann")
