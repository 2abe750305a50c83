"""Triggers log every write, plain SQL included, and keep updated_at fresh."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa


def test_plain_insert_is_logged_once(rows):
    tenant = rows.tenant()
    before = rows.last_seq()

    person = rows.insert("individual", tenant_id=tenant, first_name="Ada")

    assert rows.changes(before) == [("individual", person, "insert", tenant)]


def test_plain_update_is_logged_once(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant, first_name="Ada")
    before = rows.last_seq()

    rows.execute("UPDATE individual SET last_name = 'Lovelace' WHERE id = :id", id=person)

    assert rows.changes(before) == [("individual", person, "update", tenant)]


def test_plain_delete_is_logged_once(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant, first_name="Ada")
    before = rows.last_seq()

    rows.execute("DELETE FROM individual WHERE id = :id", id=person)

    assert rows.changes(before) == [("individual", person, "delete", tenant)]


def test_seq_increases_in_write_order(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant)
    rows.execute("UPDATE individual SET first_name = 'Ada' WHERE id = :id", id=person)
    rows.execute("DELETE FROM individual WHERE id = :id", id=person)

    with rows.engine.connect() as connection:
        logged = connection.execute(
            sa.text("SELECT seq, op FROM change_log WHERE entity_id = :id ORDER BY seq"), {"id": person}
        ).all()

    assert [op for _, op in logged] == ["insert", "update", "delete"]
    assert logged[0].seq < logged[1].seq < logged[2].seq


def test_tenant_rows_are_not_logged(rows):
    before = rows.last_seq()

    rows.tenant()

    assert rows.changes(before) == []


def test_actor_and_via_agent_are_copied_from_the_row(rows):
    tenant = rows.tenant()
    user = rows.insert("app_user", tenant_id=tenant, email="me@example.com")
    person = rows.insert("individual", tenant_id=tenant, created_by=user, updated_by=user, via_agent=True)

    with rows.engine.connect() as connection:
        logged = connection.execute(
            sa.text("SELECT actor_id, via_agent FROM change_log WHERE entity_id = :id"), {"id": person}
        ).one()

    assert tuple(logged) == (user, True)


def test_subtype_rows_are_logged_under_their_table(rows):
    tenant = rows.tenant()
    before = rows.last_seq()

    lead = rows.insert("lead", tenant_id=tenant, lead_type="opportunity", title="Deal")
    rows.insert("opportunity", id=lead, tenant_id=tenant, amount=100)
    rows.execute("UPDATE opportunity SET amount = 200 WHERE id = :id", id=lead)

    assert rows.changes(before) == [
        ("lead", lead, "insert", tenant),
        ("opportunity", lead, "insert", tenant),
        ("opportunity", lead, "update", tenant),
    ]


def test_interaction_participants_are_logged(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant)
    meeting = rows.insert("interaction", tenant_id=tenant, kind="meeting")
    before = rows.last_seq()

    participant = rows.insert(
        "interaction_participant", tenant_id=tenant, interaction_id=meeting, individual_id=person, role="attendee"
    )

    assert rows.changes(before) == [("interaction_participant", participant, "insert", tenant)]


def test_cascaded_deletes_are_logged(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant)
    role = rows.insert("contact", tenant_id=tenant, individual_id=person, title="CTO")
    note = rows.insert("note", tenant_id=tenant, subject_type="individual", subject_id=person, body="Met at a fair")
    before = rows.last_seq()

    rows.execute("DELETE FROM individual WHERE id = :id", id=person)

    assert set(rows.changes(before)) == {
        ("individual", person, "delete", tenant),
        ("contact", role, "delete", tenant),
        ("note", note, "delete", tenant),
    }


def test_a_rolled_back_write_leaves_no_change(rows):
    tenant = rows.tenant()
    before = rows.last_seq()

    with rows.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.text("INSERT INTO individual (id, tenant_id) VALUES ('x-1', :t)"), {"t": tenant})
        transaction.rollback()

    assert rows.changes(before) == []


def test_plain_update_bumps_updated_at(rows):
    tenant = rows.tenant()
    long_ago = "2000-01-01T00:00:00.000000Z"
    person = rows.insert("individual", tenant_id=tenant, created_at=long_ago, updated_at=long_ago)

    rows.execute("UPDATE individual SET first_name = 'Ada' WHERE id = :id", id=person)

    created_at = rows.timestamp("individual", "created_at", person)
    updated_at = rows.timestamp("individual", "updated_at", person)
    assert created_at == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert updated_at > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def test_update_that_sets_updated_at_keeps_it(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant)

    rows.execute(
        "UPDATE individual SET first_name = 'Ada', updated_at = :at WHERE id = :id",
        id=person,
        at="2001-02-03T04:05:06.000000Z",
    )

    assert rows.timestamp("individual", "updated_at", person) == dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


def test_the_updated_at_bump_is_not_logged_separately(rows):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant, updated_at="2000-01-01T00:00:00Z")
    before = rows.last_seq()

    rows.execute("UPDATE individual SET first_name = 'Ada' WHERE id = :id", id=person)

    assert rows.changes(before) == [("individual", person, "update", tenant)]


def test_tenant_updated_at_is_bumped_too(rows):
    tenant = rows.insert("tenant", name="Acme", slug="acme", updated_at="2000-01-01T00:00:00Z")

    rows.execute("UPDATE tenant SET name = 'Acme Inc' WHERE id = :id", id=tenant)

    assert rows.timestamp("tenant", "updated_at", tenant).year > 2000


@pytest.mark.parametrize("column", ["created_at", "updated_at"])
def test_database_default_timestamps_read_as_aware_utc(rows, column):
    tenant = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant)

    value = rows.timestamp("individual", column, person)

    assert value.tzinfo == dt.UTC
    assert abs(value - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_change_log_changed_at_is_the_write_time(rows):
    tenant = rows.tenant()
    before = rows.last_seq()
    rows.insert("individual", tenant_id=tenant)

    changed_at = rows.timestamp("change_log", "changed_at", before + 1, key="seq")

    assert abs(changed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
