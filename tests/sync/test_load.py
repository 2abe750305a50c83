"""The load queries are built from the mapping's constants only, with values as parameters."""

from __future__ import annotations

import pytest

from kgcrm.graph.mapping import NODES_BY_TABLE
from kgcrm.sync import load


def test_upsert_sets_subtype_label_and_removes_the_others():
    query = load.upsert_nodes_query(("Lead", "Job", "__Entity__"), NODES_BY_TABLE["lead"])

    assert "MERGE (n:`Lead` {id: row.id})" in query
    assert "SET n += row.props, n:`Job`:`__Entity__`" in query
    assert "REMOVE n:`Opportunity`:`Partnership`" in query


def test_link_query_refuses_a_target_of_another_tenant():
    query = load.upsert_links_query("Contact", "AT", "Organization")

    assert "WHERE t.tenant_id = n.tenant_id" in query
    assert "$rows" in query


@pytest.mark.parametrize("label", ["Person`) DETACH DELETE n //", "Nope", "person"])
def test_labels_not_in_the_mapping_are_refused(label):
    with pytest.raises(ValueError, match="unknown label"):
        load.delete_nodes_query(label)


@pytest.mark.parametrize("rel_type", ["KNOWS]->() DELETE r //", "LIKES"])
def test_relationship_types_not_in_the_mapping_are_refused(rel_type):
    with pytest.raises(ValueError, match="unknown relationship type"):
        load.delete_edges_query(rel_type)
