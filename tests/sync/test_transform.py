"""Transform is pure: rows in, records or reasons out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kgcrm.graph.mapping import EDGES_BY_TABLE, NODES_BY_TABLE
from kgcrm.sync.transform import NodeRecord, RejectedRow, parse_timestamp, transform_edge, transform_node

T1, T2 = "tenant-1", "tenant-2"


def contact_row(**overrides):
    row = {
        "id": "c1",
        "tenant_id": T1,
        "individual_id": "p1",
        "individual_id__tenant": T1,
        "organization_id": "o1",
        "organization_id__tenant": T1,
        "title": "CTO",
        "started_on": "2021-03-01",
        "ended_on": None,
        "owner_id": None,
        "status_id": None,
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02 03:04:05",
        "via_agent": 0,
    }
    row.update(overrides)
    return row


def test_contact_becomes_a_node_with_typed_values_and_links():
    record = transform_node(NODES_BY_TABLE["contact"], contact_row())

    assert isinstance(record, NodeRecord)
    assert record.labels == ("Contact", "__Entity__")
    assert record.properties["started_on"] == date(2021, 3, 1)
    assert record.properties["created_at"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record.properties["updated_at"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record.properties["via_agent"] is False
    assert {(link.type, link.target_id) for link in record.links} >= {("FOR_PERSON", "p1"), ("AT", "o1")}


def test_reference_to_another_tenant_is_rejected_naming_the_field():
    record = transform_node(NODES_BY_TABLE["contact"], contact_row(organization_id__tenant=T2))

    assert isinstance(record, RejectedRow)
    assert (record.table, record.id, record.field) == ("contact", "c1", "organization_id")
    assert "another tenant" in record.reason


def test_reference_to_a_missing_row_is_rejected():
    record = transform_node(NODES_BY_TABLE["contact"], contact_row(individual_id__tenant=None))

    assert isinstance(record, RejectedRow)
    assert record.field == "individual_id"
    assert "does not exist" in record.reason


def test_missing_required_reference_is_rejected():
    record = transform_node(NODES_BY_TABLE["contact"], contact_row(individual_id=None))

    assert isinstance(record, RejectedRow) and record.field == "individual_id"


def test_enumeration_value_outside_the_contract_is_rejected():
    row = {"id": "i1", "tenant_id": T1, "kind": "fax", "subject": "Hello"}

    record = transform_node(NODES_BY_TABLE["interaction"], row)

    assert isinstance(record, RejectedRow)
    assert record.field == "kind" and "'fax'" in record.reason


def test_unparseable_timestamp_is_rejected_naming_the_field():
    row = {"id": "i1", "tenant_id": T1, "kind": "call", "occurred_at": "last tuesday"}

    record = transform_node(NODES_BY_TABLE["interaction"], row)

    assert isinstance(record, RejectedRow) and record.field == "occurred_at"


def test_opportunity_gets_its_subtype_label_and_columns():
    row = {
        "id": "l1",
        "tenant_id": T1,
        "lead_type": "opportunity",
        "title": "Renewal",
        "__subtype_present": True,
        "amount": Decimal("1200.50"),
        "probability": 40,
        "currency": "EUR",
    }

    record = transform_node(NODES_BY_TABLE["lead"], row)

    assert isinstance(record, NodeRecord)
    assert record.labels == ("Lead", "Opportunity", "__Entity__")
    assert record.properties["amount"] == 1200.5
    assert record.properties["name"] == "Renewal"


def test_lead_without_its_subtype_row_is_rejected():
    row = {"id": "l1", "tenant_id": T1, "lead_type": "job", "title": "Engineer", "__subtype_present": False}

    record = transform_node(NODES_BY_TABLE["lead"], row)

    assert isinstance(record, RejectedRow) and record.field == "lead_type"


def test_note_links_to_its_polymorphic_subject():
    row = {
        "id": "n1",
        "tenant_id": T1,
        "subject_type": "organization",
        "subject_id": "o1",
        "subject_id__tenant": T1,
        "body": "Met Priya",
    }

    record = transform_node(NODES_BY_TABLE["note"], row)

    assert isinstance(record, NodeRecord)
    assert [(link.type, link.target_label, link.target_id) for link in record.links] == [("ABOUT", "__Entity__", "o1")]


def test_note_about_another_tenants_subject_is_rejected():
    row = {
        "id": "n1",
        "tenant_id": T1,
        "subject_type": "organization",
        "subject_id": "o9",
        "subject_id__tenant": T2,
        "body": "x",
    }

    record = transform_node(NODES_BY_TABLE["note"], row)

    assert isinstance(record, RejectedRow) and record.field == "subject_id"


def test_relationship_row_becomes_a_knows_edge_with_since():
    row = {
        "id": "r1",
        "tenant_id": T1,
        "from_individual_id": "p1",
        "from_individual_id__tenant": T1,
        "to_individual_id": "p2",
        "to_individual_id__tenant": T1,
        "kind": "knows",
        "strength": "0.8",
        "since_on": "2020-05-01",
        "source": "manual",
    }

    record = transform_edge(EDGES_BY_TABLE["relationship"], row)

    assert not isinstance(record, RejectedRow)
    assert (record.type, record.start_id, record.end_id) == ("KNOWS", "p1", "p2")
    assert record.properties["since"] == date(2020, 5, 1)
    assert record.properties["strength"] == 0.8


def test_participant_of_another_tenant_is_rejected():
    row = {
        "id": "ip1",
        "tenant_id": T1,
        "individual_id": "p1",
        "individual_id__tenant": T2,
        "interaction_id": "i1",
        "interaction_id__tenant": T1,
        "role": "to",
    }

    record = transform_edge(EDGES_BY_TABLE["interaction_participant"], row)

    assert isinstance(record, RejectedRow) and record.field == "individual_id"


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T09:30:00Z", "2024-05-01 09:30:00", "2024-05-01T11:30:00+02:00", "2024-05-01T09:30:00.000000Z"],
)
def test_timestamps_from_other_writers_parse_to_the_same_utc_instant(text):
    assert parse_timestamp(text) == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
