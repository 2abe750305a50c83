"""The suggestions' planted situations (issue 14): opt-in, appended after every other row, so the
rows of a seed without them are exactly the rows of the same seed with them, minus the planted ones."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from kgcrm.crm.models import Base
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.crm.seed_generate.config import TABLES, Mark
from kgcrm.crm.seed_generate.suggestions import KINDS, PER_KIND
from kgcrm.crm.seed_generate.synthetic import SyntheticCrm

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def rows_of(config: SeedConfig) -> tuple[dict[str, list[dict]], dict]:
    crm = SyntheticCrm(config)
    out: dict[str, list[dict]] = {t: [] for t in TABLES}
    for item in crm.items():
        if isinstance(item, Mark):
            continue
        table, row = item
        out[table].append(dict(row))
    return out, crm.truth


def test_planting_changes_no_row_of_the_seed_and_records_its_truth():
    base = SeedConfig(tenants=2, scale=1200, seed=3, now=NOW)
    plain, plain_truth = rows_of(base)
    planted, truth = rows_of(SeedConfig(tenants=2, scale=1200, seed=3, now=NOW, plant_suggestions=True))

    for table in TABLES:
        for tenant in {r["tenant_id"] for r in plain[table]}:
            before = [r for r in plain[table] if r["tenant_id"] == tenant]
            after = [r for r in planted[table] if r["tenant_id"] == tenant]
            assert after[: len(before)] == before, table
    for before, after in zip(plain_truth["tenants"], truth["tenants"], strict=True):
        assert "suggestions" not in before
        assert {s["kind"] for s in after["suggestions"]} == set(KINDS)
        assert len(after["suggestions"]) == len(KINDS) * PER_KIND
        assert all(s["expected"] for s in after["suggestions"])
        for key in ("duplicates", "warm_paths", "mentions", "users"):
            assert after[key] == before[key]
    assert truth["row_counts"] == {t: len(planted[t]) for t in TABLES}


def test_the_planted_seed_loads(engine):
    from kgcrm.crm.seed import seed_database

    report = seed_database(engine, SeedConfig(tenants=1, scale=600, seed=5, now=NOW, plant_suggestions=True))

    with engine.connect() as conn:
        orgs = conn.execute(sa.text("SELECT count(*) FROM organization WHERE name LIKE 'Planted %'")).scalar()
    assert orgs == len(KINDS) * PER_KIND + PER_KIND  # one bridge organization per warm intro
    assert report.truth["tenants"][0]["suggestions"]
    assert set(Base.metadata.tables) >= set(TABLES)
