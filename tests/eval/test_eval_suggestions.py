"""``kgcrm eval``'s suggestions figures (issue 14) on a small seed with the planted situations,
mirrored by the sync (and deduplicated, for the duplicates to review)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.eval.suggestions import evaluate_suggestions
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.dedupe import DuplicateFinder
from kgcrm.retrieval.suggestions import KINDS
from kgcrm.sync.engine import GraphSync

pytestmark = pytest.mark.neo4j

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def test_every_planted_situation_is_suggested(engine, neo4j_driver, clean_graph, capsys):
    truth = seed_database(engine, SeedConfig(tenants=1, scale=1500, seed=11, now=NOW, plant_suggestions=True)).truth
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()
    DuplicateFinder(gateway).run(truth["tenants"][0]["id"])

    figures = evaluate_suggestions(gateway, truth)

    with capsys.disabled():
        print("\n" + figures.summary())
        for miss in figures.misses:
            print("  " + miss)
    assert set(figures.kinds) == set(KINDS)
    for kind in KINDS:
        if kind != "duplicate_to_review":  # needs the pair's score inside the review band
            assert figures.kinds[kind].recall == 1.0, (kind, figures.misses)
