"""``kgcrm seed``: a deterministic synthetic CRM, and a ground truth that matches the rows.

Database tests run on SQLite and PostgreSQL (the ``engine`` fixture of conftest.py)
and read the seeded rows back with plain SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from kgcrm.core.errors import DataError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.models import Base
from kgcrm.crm.seed import TRUTH_FILE_NAME, seed_command, seed_database
from kgcrm.crm.seed_generate import TABLES, SeedConfig, generate_rows
from kgcrm.crm.seed_vocab import name_group
from kgcrm.crm.triggers import SUBJECT_TABLES, SUBJECT_TYPES, references
from kgcrm.crm.types import UTCDateTime

NOW = dt.datetime(2025, 11, 19, 15, 0, tzinfo=dt.UTC)  # a Wednesday
SCALE = 2_000


def _config(seed: int = 42, scale: int = SCALE, tenants: int = 2) -> SeedConfig:
    return SeedConfig(tenants=tenants, scale=scale, seed=seed, now=NOW)


@pytest.fixture
def seeded(engine: Engine) -> dict[str, Any]:
    """``engine``'s database seeded with the default test config; returns the ground truth."""
    return seed_database(engine, _config()).truth


@pytest.fixture
def other_engine(engine: Engine, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """A second migrated database of the same kind as ``engine``."""
    if engine.dialect.name == "sqlite":
        other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
        upgrade(other)
        yield other
        other.dispose()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"kgcrm_seed_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    other = make_engine(admin.url, search_path=schema)
    try:
        upgrade(other)
        yield other
    finally:
        other.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


# --- helpers ----------------------------------------------------------------------------


def _digest(engine: Engine) -> dict[str, str]:
    """A hash of every table's rows (ordered by id), and of the change log's order of events."""
    tables = Base.metadata.tables
    out = {}
    with engine.connect() as connection:
        for name in TABLES:
            table = tables[name]
            digest = hashlib.sha256()
            for row in connection.execute(sa.select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
            out[name] = digest.hexdigest()
        log = tables["change_log"]
        digest = hashlib.sha256()
        query = sa.select(log.c.entity_type, log.c.entity_id, log.c.op, log.c.actor_id).order_by(log.c.seq)
        for row in connection.execute(query):
            digest.update(repr(tuple(row)).encode())
        out["change_log"] = digest.hexdigest()
    return out


def _query(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def _rows_by_id(engine: Engine, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    t = Base.metadata.tables[table]
    with engine.connect() as connection:
        return {row.id: row._asdict() for row in connection.execute(sa.select(t).where(t.c.id.in_(ids)))}


def _normal(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, _normal(a), _normal(b)).ratio()


# --- generation (no database) --------------------------------------------------------------


def test_same_seed_and_now_generate_the_same_rows_and_truth():
    first_rows, first_truth = generate_rows(_config())
    second_rows, second_truth = generate_rows(_config())

    assert first_rows == second_rows
    assert json.dumps(first_truth, sort_keys=True) == json.dumps(second_truth, sort_keys=True)


def test_another_seed_or_now_generates_other_rows():
    rows, _ = generate_rows(_config(seed=42))
    other_seed, _ = generate_rows(_config(seed=43))
    other_now, _ = generate_rows(SeedConfig(tenants=2, scale=SCALE, seed=42, now=NOW + dt.timedelta(days=1)))

    names = {(r["first_name"], r["last_name"]) for r in rows["individual"]}
    assert not {r["id"] for r in rows["individual"]} & {r["id"] for r in other_seed["individual"]}
    assert names != {(r["first_name"], r["last_name"]) for r in other_seed["individual"]}
    assert rows["interaction"] != other_now["interaction"]


@pytest.mark.parametrize(("tenants", "scale"), [(2, 1_000), (1, 2_000), (5, 2_500), (2, 30_000)])
def test_row_count_is_the_scale_whatever_the_size(tenants, scale):
    rows, truth = generate_rows(_config(scale=scale, tenants=tenants))

    assert sum(len(r) for r in rows.values()) == scale
    assert truth["row_counts"] == {name: len(rows[name]) for name in TABLES}
    assert all(rows[name] for name in TABLES), [name for name in TABLES if not rows[name]]


def test_ids_are_unique_uuids_and_timestamps_are_aware_and_not_after_now():
    rows, _ = generate_rows(_config())

    ids = [r["id"] for name in TABLES for r in rows[name] if name not in ("job", "opportunity", "partnership")]
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 4 for i in ids)
    stamps = {(name, k): v for name in TABLES for r in rows[name] for k, v in r.items() if isinstance(v, dt.datetime)}
    assert all(s.tzinfo is not None for s in stamps.values())
    assert [key for key, s in stamps.items() if s > NOW and key != ("task", "due_at")] == []


def test_the_config_refuses_too_small_a_scale_and_reads_a_naive_now_as_utc():
    with pytest.raises(DataError, match="scale"):
        SeedConfig(tenants=4, scale=1_000)

    assert SeedConfig(now=dt.datetime(2025, 1, 1, 12)).now == dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)


# --- the seeded database ------------------------------------------------------------------------------


def test_two_seeds_with_the_same_seed_and_now_write_identical_tables(engine, other_engine):
    seed_database(engine, _config())
    seed_database(other_engine, _config())

    assert _digest(engine) == _digest(other_engine)


def test_row_counts_match_the_truth_and_every_insert_is_in_the_change_log(engine, seeded):
    counts = {name: _scalar(engine, f"SELECT count(*) FROM {name}") for name in TABLES}  # noqa: S608

    assert counts == seeded["row_counts"]
    assert sum(counts.values()) == SCALE
    assert _scalar(engine, "SELECT count(*) FROM change_log WHERE op = 'insert'") == SCALE - counts["tenant"]


def test_seeding_over_seeded_tenants_is_refused(engine, seeded):
    with pytest.raises(DataError, match="already has tenant"):
        seed_database(engine, _config())


def test_no_reference_leaves_its_tenant(engine, seeded):
    crossing = {}
    for table in TABLES:
        if table == "tenant":
            continue
        for column, target in references(table):
            crossing[f"{table}.{column}"] = _scalar(
                engine,
                f"SELECT count(*) FROM {table} t JOIN {target} r ON r.id = t.{column}"  # noqa: S608
                " WHERE r.tenant_id <> t.tenant_id",
            )
    for table in SUBJECT_TABLES:
        for subject in SUBJECT_TYPES:
            crossing[f"{table}.subject_id -> {subject}"] = _scalar(
                engine,
                f"SELECT count(*) FROM {table} t LEFT JOIN {subject} s ON s.id = t.subject_id"  # noqa: S608
                f" WHERE t.subject_type = '{subject}' AND (s.id IS NULL OR s.tenant_id <> t.tenant_id)",
            )

    assert {k: v for k, v in crossing.items() if v} == {}


def test_most_rows_are_written_by_a_team_member(engine, seeded):
    audited = [t for t in TABLES if t != "tenant"]
    by_someone = sum(_scalar(engine, f"SELECT count(*) FROM {t} WHERE created_by IS NOT NULL") for t in audited)  # noqa: S608
    total = sum(_scalar(engine, f"SELECT count(*) FROM {t}") for t in audited)  # noqa: S608

    assert by_someone / total > 0.9


def test_every_team_member_has_an_individual_at_the_tenants_own_company(engine, seeded):
    for tenant in seeded["tenants"]:
        rows = _query(
            engine,
            "SELECT u.id, c.organization_id FROM app_user u"
            " JOIN individual i ON i.id = u.individual_id"
            " JOIN contact c ON c.individual_id = i.id"
            " WHERE u.tenant_id = :tenant",
            tenant=tenant["id"],
        )
        assert {user for user, _ in rows} == {u["id"] for u in tenant["users"]}
        assert {org for _, org in rows} == {tenant["own_organization"]}


def test_planted_duplicates_exist_in_one_tenant_and_are_near_duplicates(engine, seeded):
    kinds: Counter[str] = Counter()
    for tenant in seeded["tenants"]:
        for dup in tenant["duplicates"]:
            kinds[dup["kind"]] += 1
            a, b = dup["ids"]
            rows = _rows_by_id(engine, dup["entity_type"], [a, b])
            assert {rows[a]["tenant_id"], rows[b]["tenant_id"]} == {tenant["id"]}
            if dup["entity_type"] == "individual":
                x, y = rows[a], rows[b]
                same_email = x["email"] and y["email"] and _normal(x["email"]) == _normal(y["email"])
                nickname = bool(name_group(x["first_name"]) & name_group(y["first_name"]))
                names = _similar(f"{x['first_name']} {x['last_name']}", f"{y['first_name']} {y['last_name']}")
                assert same_email or names > 0.8 or (nickname and _normal(x["last_name"]) == _normal(y["last_name"]))
                assert names > 0.5 or nickname, (x, y)
            else:
                x, y = rows[a], rows[b]
                same_domain = x["domain"] and y["domain"] and x["domain"].removeprefix("www.") == y["domain"]
                core = [_normal(n).replace(",", "").replace(".", "") for n in (x["name"], y["name"])]
                assert same_domain or _similar(core[0], core[1]) > 0.75, (x["name"], y["name"])
                assert core[0].split()[0][:3] == core[1].split()[0][:3]
    assert set(kinds) >= {"nickname", "typo", "missing_email", "case_whitespace", "suffix_case"}


def test_planted_warm_paths_exist_and_the_best_one_is_strongest(engine, seeded):
    def together(a: str, b: str) -> list[tuple[Any, ...]]:
        return _query(
            engine,
            "SELECT i.id, i.occurred_at FROM interaction i"
            " JOIN interaction_participant p ON p.interaction_id = i.id AND p.individual_id = :a"
            " JOIN interaction_participant q ON q.interaction_id = i.id AND q.individual_id = :b",
            a=a,
            b=b,
        )

    def check(path: dict[str, Any], tenant_id: str) -> tuple[int, list[float]]:
        user_individual = _scalar(
            engine,
            "SELECT individual_id FROM app_user WHERE id = :u AND tenant_id = :t",
            u=path["user_id"],
            t=tenant_id,
        )
        assert user_individual == path["nodes"][0]
        first, *ties = path["hops"]
        assert len(together(first["from"], first["to"])) == first["interactions"]
        strengths = []
        for hop in ties:
            if hop["relation"] == "works_at":
                assert (
                    _scalar(
                        engine,
                        "SELECT count(*) FROM contact WHERE individual_id = :i AND organization_id = :o"
                        " AND ended_on IS NULL",
                        i=hop["from"],
                        o=hop["to"],
                    )
                    == 1
                )
                continue
            row = _query(
                engine,
                "SELECT from_individual_id, to_individual_id, strength, tenant_id FROM relationship WHERE id = :r",
                r=hop["relationship_id"],
            )
            assert row == [(hop["from"], hop["to"], hop["strength"], tenant_id)]
            strengths.append(hop["strength"])
        return first["interactions"], strengths

    for tenant in seeded["tenants"]:
        assert tenant["warm_paths"]
        for path in tenant["warm_paths"]:
            target = path["target"]["id"]
            best_count, best_strengths = check(path, tenant["id"])
            assert best_strengths == [0.9]
            for alternative in path["alternatives"]:
                count, strengths = check(alternative, tenant["id"])
                assert count < best_count and max(strengths) < 0.9
            # nothing random touches the target: its only ties are the planted ones
            planted = {
                h["relationship_id"] for p in [path, *path["alternatives"]] for h in p["hops"] if "relationship_id" in h
            }
            ties = _query(
                engine, "SELECT id FROM relationship WHERE :t IN (from_individual_id, to_individual_id)", t=target
            )
            assert {r for (r,) in ties} <= planted
            assert (
                _scalar(engine, "SELECT count(*) FROM interaction_participant WHERE individual_id = :t", t=target) == 0
            )
            works_at = _scalar(engine, "SELECT organization_id FROM contact WHERE individual_id = :t", t=target)
            assert works_at == path["target_organization"]["id"]


def test_look_alike_names_exist_in_every_tenant(engine, seeded):
    tenant_ids = [t["id"] for t in seeded["tenants"]]
    for look_alike in seeded["look_alikes"]:
        per_tenant = look_alike["per_tenant"]
        assert len({v["id"] for v in per_tenant.values()}) == len(tenant_ids)
        for tenant in seeded["tenants"]:
            entry = per_tenant[tenant["slug"]]
            assert (
                _scalar(
                    engine,
                    f"SELECT tenant_id FROM {look_alike['entity_type']} WHERE id = :i",  # noqa: S608
                    i=entry["id"],
                )
                == tenant["id"]
            )
    smiths = _query(
        engine,
        "SELECT DISTINCT tenant_id FROM individual WHERE lower(last_name) = 'smith'"
        " AND lower(first_name) IN ('robert', 'bob')",
    )
    acmes = _query(engine, "SELECT DISTINCT tenant_id FROM organization WHERE lower(name) LIKE 'acme%'")
    assert {t for (t,) in smiths} == set(tenant_ids)
    assert {t for (t,) in acmes} == set(tenant_ids)


def _quarter(value: dt.date | dt.datetime) -> str:
    return f"{value.year}-Q{(value.month - 1) // 3 + 1}"


def _deal_books(deals: list[Any], tenant_id: str) -> dict[str, dict[str, Any]]:
    """Opportunity counts and sums per currency by stage, and by quarter of closing (or expected closing)."""
    books: dict[str, dict[str, Any]] = {"by_stage": {}, "won": {}, "lost": {}, "open": {}}
    for deal_tenant, stage, category, currency, amount, closed_at, expected in deals:
        if deal_tenant != tenant_id:
            continue
        keys = {"by_stage": stage, category: _quarter(expected if category == "open" else closed_at)}
        for book, key in keys.items():
            bucket = books[book].setdefault(key, {"count": 0, "amount": Counter()})
            bucket["count"] += 1
            bucket["amount"][currency] += Decimal(amount)
    return {
        book: {
            k: {"count": v["count"], "amount": {c: str(a) for c, a in sorted(v["amount"].items())}}
            for k, v in sorted(buckets.items())
        }
        for book, buckets in books.items()
    }


def test_deal_counts_and_sums_in_the_truth_match_sql(engine, seeded):
    opportunity = sa.table(
        "opportunity",
        sa.column("id"),
        sa.column("amount", sa.Numeric(14, 2)),
        sa.column("currency"),
        sa.column("closed_at", UTCDateTime()),
        sa.column("expected_close_on", sa.Date()),
    )
    lead = sa.table("lead", sa.column("id"), sa.column("tenant_id"), sa.column("status_id"))
    status = sa.table("status", sa.column("id"), sa.column("name"), sa.column("category"))
    query = (
        sa.select(
            lead.c.tenant_id,
            status.c.name,
            status.c.category,
            opportunity.c.currency,
            opportunity.c.amount,
            opportunity.c.closed_at,
            opportunity.c.expected_close_on,
        )
        .join(lead, lead.c.id == opportunity.c.id)
        .join(status, status.c.id == lead.c.status_id)
    )
    with engine.connect() as connection:
        deals = connection.execute(query).all()
    for tenant in seeded["tenants"]:
        truth, sql = tenant["deals"], _deal_books(deals, tenant["id"])

        assert {k: v for k, v in truth["by_stage"].items() if v["count"]} == sql["by_stage"]
        assert truth["won_by_quarter"] == sql["won"]
        assert truth["lost_by_quarter"] == sql["lost"]
        assert truth["open_by_expected_close_quarter"] == sql["open"]
        assert truth["current_quarter"] in truth["won_by_quarter"]
        assert truth["current_quarter"] in truth["open_by_expected_close_quarter"]
        assert len(truth["won_by_quarter"]) >= 2


def test_mentions_name_entities_of_their_tenant(engine, seeded):
    for tenant in seeded["tenants"]:
        kinds = Counter(m["kind"] for m in tenant["mentions"])
        assert kinds["nickname"] and kinds["email"] and kinds["domain"] and kinds["description"] and kinds["time"]
        for mention in tenant["mentions"] + tenant["note_mentions"]:
            for entity_id in [mention["expect"], *mention["also"]]:
                table = mention["entity_type"]
                assert (
                    _scalar(
                        engine,
                        f"SELECT tenant_id FROM {table} WHERE id = :i",  # noqa: S608
                        i=entity_id,
                    )
                    == tenant["id"]
                ), mention
            if mention.get("kind") == "email":
                assert (
                    _scalar(engine, "SELECT email FROM individual WHERE id = :i", i=mention["expect"])
                    == mention["text"]
                )
            if mention.get("kind") == "domain":
                assert (
                    _scalar(engine, "SELECT domain FROM organization WHERE id = :i", i=mention["expect"])
                    == mention["text"]
                )
        for note in tenant["note_mentions"]:
            assert note["text"] in _scalar(engine, "SELECT body FROM note WHERE id = :i", i=note["note_id"])
        assert any(m["text"] == "Bob at Acme" for m in tenant["mentions"])


@pytest.mark.parametrize(("kind", "verb"), [("meeting", "met"), ("call", "called")])
def test_the_planted_meetings_and_call_are_the_only_recent_ones(engine, seeded, kind, verb):
    """One interaction each fits "the company we met last week" and "the person we called last week"."""
    last_week_start = dt.datetime(2025, 11, 10, tzinfo=dt.UTC)
    interaction = sa.table(
        "interaction",
        sa.column("id"),
        sa.column("tenant_id"),
        sa.column("kind"),
        sa.column("occurred_at", UTCDateTime()),
    )
    with engine.connect() as connection:
        recent = connection.execute(
            sa.select(interaction.c.tenant_id, interaction.c.id, interaction.c.occurred_at).where(
                interaction.c.kind == kind, interaction.c.occurred_at >= last_week_start
            )
        ).all()
        latest = connection.execute(sa.select(sa.func.max(interaction.c.occurred_at))).scalar_one()
    for tenant in seeded["tenants"]:
        planted = {m["interaction_id"]: m for m in tenant["mentions"] if m["kind"] == "time" and verb in m["text"]}
        mine = {i: t for tenant_id, i, t in recent if tenant_id == tenant["id"]}
        assert planted and set(mine) == set(planted)
        for interaction_id, occurred_at in mine.items():
            start, end = (dt.date.fromisoformat(d) for d in planted[interaction_id]["window"])
            assert start <= occurred_at.date() <= end
    assert NOW - dt.timedelta(days=2) <= latest <= NOW


# --- the command --------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(seed_command)
    return app


def test_seed_command_migrates_seeds_and_writes_the_truth_next_to_the_database(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    args = ["--tenants", "2", "--scale", "1000", "--seed", "7", "--now", "2025-11-19T15:00:00"]

    result = CliRunner().invoke(_cli(), args, obj=settings)

    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output
    truth = json.loads((settings.data_dir / TRUTH_FILE_NAME).read_text())
    assert truth["parameters"] == {"tenants": 2, "scale": 1000, "seed": 7, "now": "2025-11-19T15:00:00+00:00"}
    engine = make_engine(settings.sqlalchemy_url)
    try:
        assert _scalar(engine, "SELECT count(*) FROM tenant") == 2
    finally:
        engine.dispose()


def test_seed_command_writes_the_truth_where_asked_and_refuses_a_seeded_database(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    elsewhere = tmp_path / "eval" / "truth.json"
    CliRunner().invoke(_cli(), ["--scale", "1000", "--truth", str(elsewhere)], obj=settings)

    again = CliRunner().invoke(_cli(), ["--scale", "1000"], obj=settings)

    assert elsewhere.is_file()
    assert not (settings.data_dir / TRUTH_FILE_NAME).exists()
    assert isinstance(again.exception, DataError)
    assert "seed an empty database" in str(again.exception)
