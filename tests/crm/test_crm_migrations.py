"""The migrations build the contract's schema on both databases, and agree with the models."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kgcrm.api.keys import API_KEY_METADATA
from kgcrm.crm import triggers
from kgcrm.crm.database import current_revision, downgrade, head_revision, upgrade
from kgcrm.crm.models import Base

CONTRACT_TABLES = {
    "tenant",
    "app_user",
    "individual",
    "organization",
    "contact",
    "account",
    "status",
    "lead",
    "job",
    "opportunity",
    "partnership",
    "task",
    "note",
    "interaction",
    "interaction_participant",
    "relationship",
    "change_log",
}
# kgcrm's own tables beside the contract's (checked against their own metadata elsewhere).
NON_CONTRACT_TABLES = set(API_KEY_METADATA.tables)
#: Business tables added beside the contract's (modelled in crm/models.py): feedback (0005, issue 14).
ADDED_BUSINESS_TABLES = {"feedback"}


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_contract_table(empty_engine):
    revision = upgrade(empty_engine)

    assert revision == head_revision() == current_revision(empty_engine)
    assert _tables(empty_engine) == CONTRACT_TABLES | NON_CONTRACT_TABLES | ADDED_BUSINESS_TABLES


def test_a_new_database_has_no_revision(empty_engine):
    assert current_revision(empty_engine) is None


def test_upgrade_twice_is_a_no_op(engine):
    assert upgrade(engine) == head_revision()


def test_downgrade_to_base_then_upgrade_again(empty_engine):
    upgrade(empty_engine)

    assert downgrade(empty_engine, "base") is None
    assert _tables(empty_engine) == set()

    upgrade(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO tenant (id, slug) VALUES ('t-1', 't')"))
        connection.execute(sa.text("INSERT INTO individual (id, tenant_id) VALUES ('p-1', 't-1')"))
        logged = connection.execute(sa.text("SELECT entity_type, entity_id, op FROM change_log")).all()
    assert [tuple(row) for row in logged] == [("individual", "p-1", "insert")]


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name not in NON_CONTRACT_TABLES,
            },
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def _normalized(sql: str) -> str:
    return re.sub(r"[\s()]+", " ", sql).strip().lower()


def test_the_migrated_check_constraints_match_the_models(engine):
    inspector = sa.inspect(engine)
    migrated = {
        (table, check["name"], _normalized(check["sqltext"]))
        for table in CONTRACT_TABLES | ADDED_BUSINESS_TABLES
        for check in inspector.get_check_constraints(table)
    }
    dialect = engine.dialect
    modelled = {
        (table.name, constraint.name, _normalized(str(constraint.sqltext.compile(dialect=dialect))))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint)
    }

    if engine.dialect.name == "postgresql":  # PostgreSQL rewrites the expressions: compare the names
        assert {(t, n) for t, n, _ in migrated} == {(t, n) for t, n, _ in modelled}
    else:
        assert migrated == modelled


def test_upgrade_from_a_url_creates_the_sqlite_directory(tmp_path):
    path = tmp_path / "nested" / "dir" / "crm.sqlite3"

    revision = upgrade(f"sqlite:///{path}")

    assert path.is_file()
    assert revision == current_revision(f"sqlite:///{path}") == head_revision()


# --- the trigger lists agree with the models (no database needed) ------------------------------

TENANT_SCOPED = {name for name, table in Base.metadata.tables.items() if "tenant_id" in table.c}


def test_every_business_table_is_logged():
    assert set(triggers.LOGGED_TABLES) == set(Base.metadata.tables) - {"tenant", "change_log"}


@pytest.mark.parametrize("table", triggers.LOGGED_TABLES)
def test_every_foreign_key_between_tenant_tables_is_checked(table):
    foreign_keys = {
        (fk.parent.name, fk.column.table.name)
        for fk in Base.metadata.tables[table].foreign_keys
        if fk.column.table.name in TENANT_SCOPED
    }

    assert set(triggers.references(table)) == foreign_keys


def test_subject_types_are_the_models_subject_types():
    from kgcrm.crm.models import SubjectType

    assert set(triggers.SUBJECT_TYPES) == {member.value for member in SubjectType}
    assert set(triggers.SUBJECT_TYPES) <= set(Base.metadata.tables)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_drop_statements_undo_every_created_trigger(dialect):
    created = {
        m.group(1)
        for statement in triggers.create_statements(dialect)
        for m in [re.match(r"CREATE (?:OR REPLACE )?(?:TRIGGER|FUNCTION) (\w+)", statement)]
        if m
    }
    dropped = {
        m.group(1)
        for statement in triggers.drop_statements(dialect)
        for m in [re.match(r"DROP (?:TRIGGER|FUNCTION) IF EXISTS (\w+)", statement)]
        if m
    }

    assert created == dropped


def test_an_unsupported_dialect_is_refused():
    with pytest.raises(ValueError, match="mysql"):
        triggers.create_statements("mysql")
