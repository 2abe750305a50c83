"""The ORM models on a migrated database: inheritance, types, timestamps, CHECK constraints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kgcrm.core.errors import DataError
from kgcrm.crm.database import session_factory
from kgcrm.crm.models import (
    Contact,
    Individual,
    Interaction,
    Job,
    Lead,
    Note,
    Opportunity,
    Organization,
    Status,
    Tenant,
)
from kgcrm.crm.types import format_sqlite_timestamp, parse_sqlite_timestamp


@pytest.fixture
def session(engine):
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def tenant(session: Session) -> Tenant:
    tenant = Tenant(name="Acme", slug="acme")
    session.add(tenant)
    session.commit()
    return tenant


def test_an_opportunity_loads_as_an_opportunity_with_its_amount(session, tenant):
    session.add(Opportunity(tenant_id=tenant.id, title="Big deal", amount=Decimal("1234.50"), probability=40))
    session.commit()
    session.expunge_all()

    lead = session.scalars(sa.select(Lead)).one()

    assert isinstance(lead, Opportunity)
    assert (lead.lead_type, lead.title, lead.amount, lead.probability) == (
        "opportunity",
        "Big deal",
        Decimal("1234.50"),
        40,
    )


def test_a_subtype_writes_tenant_and_audit_columns_to_both_tables(session, tenant, rows):
    job = Job(tenant_id=tenant.id, title="Hiring", role_title="Engineer", via_agent=True)
    session.add(job)
    session.commit()

    lead_row = rows.scalar("SELECT tenant_id FROM lead WHERE id = :id", id=job.id)
    job_row = rows.scalar("SELECT tenant_id FROM job WHERE id = :id", id=job.id)
    assert lead_row == job_row == tenant.id
    assert rows.scalar("SELECT via_agent FROM job WHERE id = :id", id=job.id) in (True, 1)


def test_a_lead_written_with_plain_sql_loads_as_its_subtype(session, tenant, rows):
    lead = rows.insert("lead", tenant_id=tenant.id, lead_type="job", title="Backend role")
    rows.insert("job", id=lead, tenant_id=tenant.id, role_title="Backend engineer", salary_min=90000)

    loaded = session.get(Lead, lead)

    assert isinstance(loaded, Job)
    assert (loaded.role_title, loaded.salary_min) == ("Backend engineer", Decimal("90000.00"))


def test_orm_insert_gets_an_id_and_database_timestamps(session, tenant):
    person = Individual(tenant_id=tenant.id, first_name="Ada")
    session.add(person)
    session.commit()

    assert len(person.id) == 36
    assert person.created_at.tzinfo == dt.UTC
    assert abs(person.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert person.via_agent is False


def test_orm_update_reads_back_the_bumped_updated_at(session, tenant, rows):
    person_id = rows.insert("individual", tenant_id=tenant.id, updated_at="2000-01-01T00:00:00Z")
    person = session.get_one(Individual, person_id)

    person.first_name = "Ada"
    session.commit()

    assert person.updated_at.year > 2000


@pytest.mark.parametrize(
    "written",
    [
        "2024-05-01T09:30:00Z",
        "2024-05-01T09:30:00.000000Z",
        "2024-05-01 09:30:00",
        "2024-05-01T11:30:00+02:00",
    ],
)
def test_timestamps_written_as_iso_text_read_back_as_aware_utc(session, tenant, rows, written):
    meeting = rows.insert("interaction", tenant_id=tenant.id, kind="meeting", occurred_at=written)

    occurred_at = session.get_one(Interaction, meeting).occurred_at

    assert occurred_at == dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
    assert occurred_at.tzinfo == dt.UTC


def test_a_naive_datetime_is_refused(session, tenant):
    session.add(Opportunity(tenant_id=tenant.id, closed_at=dt.datetime(2024, 1, 1)))

    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_aware_datetimes_are_stored_in_utc(session, tenant):
    paris = dt.timezone(dt.timedelta(hours=2))
    deal = Opportunity(tenant_id=tenant.id, closed_at=dt.datetime(2024, 6, 1, 12, 0, tzinfo=paris))
    session.add(deal)
    session.commit()
    deal_id = deal.id
    session.expunge_all()

    closed_at = session.get_one(Opportunity, deal_id).closed_at

    assert closed_at == dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC)
    assert closed_at.tzinfo == dt.UTC


def test_polymorphic_subject_round_trips(session, tenant):
    company = Organization(tenant_id=tenant.id, name="Initech")
    session.add(company)
    session.flush()
    session.add(Note(tenant_id=tenant.id, subject_type="organization", subject_id=company.id, body="Hi"))
    session.commit()

    note = session.scalars(sa.select(Note)).one()

    assert (note.subject_type, note.subject_id) == ("organization", company.id)


def test_an_unknown_enum_value_is_refused_in_python(tenant):
    with pytest.raises(DataError, match=r"status.*field 'category': 'maybe' is not one of"):
        Status(tenant_id=tenant.id, entity_type="task", category="maybe")


@pytest.mark.parametrize(
    ("table", "values", "constraint"),
    [
        ("status", {"entity_type": "invoice"}, "ck_status_entity_type"),
        ("status", {"entity_type": "task", "category": "maybe"}, "ck_status_category"),
        ("lead", {"lead_type": "rumour"}, "ck_lead_lead_type"),
        ("interaction", {"kind": "telegram"}, "ck_interaction_kind"),
        ("interaction", {"source": "gossip"}, "ck_interaction_source"),
        ("note", {"subject_type": "planet", "subject_id": "x"}, "ck_note_subject_type"),
        ("note", {"subject_type": "lead"}, "ck_note_subject_pair"),
    ],
)
def test_check_constraints_refuse_bad_values(rows, table, values, constraint):
    tenant = rows.tenant()

    with pytest.raises(IntegrityError, match=constraint):
        rows.insert(table, tenant_id=tenant, **values)


def test_probability_must_be_a_percentage(rows):
    tenant = rows.tenant()
    lead = rows.insert("lead", tenant_id=tenant, lead_type="opportunity")

    with pytest.raises(IntegrityError, match="ck_opportunity_probability"):
        rows.insert("opportunity", id=lead, tenant_id=tenant, probability=120)


def test_relationship_strength_is_between_0_and_1(rows):
    tenant = rows.tenant()
    a = rows.insert("individual", tenant_id=tenant)
    b = rows.insert("individual", tenant_id=tenant)

    with pytest.raises(IntegrityError, match="ck_relationship_strength"):
        rows.insert(
            "relationship", tenant_id=tenant, from_individual_id=a, to_individual_id=b, kind="knows", strength=1.5
        )


def test_tenant_slug_is_unique(rows):
    rows.insert("tenant", name="A", slug="same")

    with pytest.raises(IntegrityError):
        rows.insert("tenant", name="B", slug="same")


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC), "2024-05-01T09:30:00.000000Z"),
        (
            dt.datetime(2024, 5, 1, 11, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-05-01T09:30:00.000005Z",
        ),
        (dt.datetime(999, 1, 2, tzinfo=dt.UTC), "0999-01-02T00:00:00.000000Z"),
    ],
)
def test_sqlite_stores_one_sortable_iso_form(value, stored):
    assert format_sqlite_timestamp(value) == stored
    assert parse_sqlite_timestamp(stored) == value


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45"])
def test_unreadable_sqlite_timestamps_are_data_errors(value):
    with pytest.raises(DataError, match="not an ISO-8601 timestamp"):
        parse_sqlite_timestamp(value)


def test_unix_timestamps_are_read_too():
    assert parse_sqlite_timestamp(1714555800) == dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
    assert parse_sqlite_timestamp("1714555800.5") == dt.datetime(2024, 5, 1, 9, 30, 0, 500000, tzinfo=dt.UTC)


def test_many_to_one_relationships_navigate(session, tenant):
    company = Organization(tenant_id=tenant.id, name="Initech")
    person = Individual(tenant_id=tenant.id, first_name="Ada")
    session.add(Contact(tenant_id=tenant.id, individual=person, organization=company, title="CTO"))
    session.commit()
    session.expunge_all()

    contact = session.scalars(sa.select(Contact)).one()

    assert (contact.individual.first_name, contact.organization.name) == ("Ada", "Initech")
