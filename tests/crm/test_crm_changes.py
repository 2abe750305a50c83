"""Agent writes: the change_log rows of the write carry the prompt and the reasoning."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from kgcrm.crm.changes import agent_changes, annotate_changes, begin_capture, committed_txid_horizon
from kgcrm.crm.database import make_engine, session_factory, sqlite_path
from kgcrm.crm.models import Contact, Individual


def _annotations(rows) -> set[tuple[str, str, bool, str | None, str | None]]:
    """(entity_type, op, via_agent, agent_prompt, agent_reasoning) of every change_log row."""
    with rows.engine.connect() as connection:
        result = connection.execute(
            sa.text("SELECT entity_type, op, via_agent, agent_prompt, agent_reasoning FROM change_log")
        )
        return {(t, op, bool(via), prompt, reasoning) for t, op, via, prompt, reasoning in result}


def test_agent_changes_annotates_the_rows_written_in_the_block(engine, rows):
    tenant = rows.tenant()
    person_id = rows.insert("individual", tenant_id=tenant, first_name="Ada")

    prompt, reasoning = "Ada is CTO at Initech now", "from her e-mail"
    with (
        session_factory(engine)() as session,
        session.begin(),
        agent_changes(session, prompt=prompt, reasoning=reasoning) as write,
    ):
        person = session.get_one(Individual, person_id)
        person.last_name = "Lovelace"
        person.via_agent = True
        session.add(Contact(tenant_id=tenant, individual_id=person_id, title="CTO", via_agent=True))

    assert write.annotated == 2
    assert _annotations(rows) == {
        ("individual", "insert", False, None, None),
        ("individual", "update", True, "Ada is CTO at Initech now", "from her e-mail"),
        ("contact", "insert", True, "Ada is CTO at Initech now", "from her e-mail"),
    }


def test_a_failed_block_annotates_nothing(engine, rows):
    tenant = rows.tenant()

    with (
        pytest.raises(RuntimeError),
        session_factory(engine)() as session,
        session.begin(),
        agent_changes(session, prompt="p"),
    ):
        session.add(Individual(tenant_id=tenant))
        session.flush()
        raise RuntimeError("the agent changed its mind")

    assert _annotations(rows) == set()


def test_annotate_changes_can_be_limited_to_some_rows(engine, rows):
    tenant = rows.tenant()

    with engine.begin() as connection:
        since = begin_capture(connection)
        insert = sa.text("INSERT INTO individual (id, tenant_id) VALUES (:id, :tenant)")
        connection.execute(insert, {"id": "p-agent", "tenant": tenant})
        connection.execute(insert, {"id": "p-user", "tenant": tenant})
        annotated = annotate_changes(connection, since_seq=since, prompt="add p-agent", entity_ids=["p-agent"])

    with engine.connect() as connection:
        prompts = dict(connection.execute(sa.text("SELECT entity_id, agent_prompt FROM change_log")).all())
    assert annotated == 1
    assert prompts == {"p-agent": "add p-agent", "p-user": None}


# SQLite serialises writers: no other transaction can write while the agent's is open.
@pytest.mark.parametrize("empty_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_postgresql_leaves_other_transactions_rows_alone(engine, rows):
    tenant = rows.tenant()

    with engine.connect() as agent, agent.begin():
        since = begin_capture(agent)
        agent.execute(sa.text("INSERT INTO individual (id, tenant_id) VALUES ('p-agent', :t)"), {"t": tenant})
        rows.insert("individual", id="p-other", tenant_id=tenant)  # commits while the agent's write is open
        annotate_changes(agent, since_seq=since, prompt="agent")

    with engine.connect() as connection:
        prompts = dict(connection.execute(sa.text("SELECT entity_id, agent_prompt FROM change_log")).all())
    assert prompts == {"p-agent": "agent", "p-other": None}


# PostgreSQL tells transactions apart by their txid instead.
@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
def test_sqlite_capture_holds_the_write_lock(engine, rows):
    tenant = rows.tenant()
    path = sqlite_path(engine.url)
    assert path is not None

    with engine.connect() as agent, agent.begin():
        begin_capture(agent)
        other = sqlite3.connect(path, timeout=0.05)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO individual (id, tenant_id) VALUES ('p-other', ?)", (tenant,))
        finally:
            other.close()


def test_committed_txid_horizon(engine, rows):
    tenant = rows.tenant()
    rows.insert("individual", tenant_id=tenant)

    with engine.connect() as connection:
        horizon = committed_txid_horizon(connection)
        txid = connection.execute(sa.text("SELECT txid FROM change_log")).scalar_one()

    if engine.dialect.name == "sqlite":
        assert (horizon, txid) == (None, None)
    else:
        assert txid < horizon


def test_make_engine_is_usable_for_a_second_engine_on_the_same_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    first, second = make_engine(url), make_engine(url)
    try:
        with first.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with second.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    finally:
        first.dispose()
        second.dispose()
