"""The change-log trigger's NOTIFY (PostgreSQL, migration 0006) and the waits built on it."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from kgcrm.crm.database import downgrade, upgrade
from kgcrm.crm.notify import ChangeNotifications, PollingWait, change_wait
from kgcrm.crm.triggers import CHANGE_LOG_CHANNEL


def _listener(engine: sa.Engine) -> psycopg.Connection:
    """A psycopg connection of the test's own, listening on the channel."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"LISTEN {CHANGE_LOG_CHANNEL}")
    return connection


def _notes(connection: psycopg.Connection, timeout: float) -> list[str]:
    return [n.payload for n in connection.notifies(timeout=timeout, stop_after=100)]


def _schema(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())


@pytest.mark.postgres
def test_a_commit_notifies_once_with_its_schema_and_a_rollback_not_at_all(postgres_admin, rows):
    engine = rows.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    listener = _listener(postgres_admin)
    try:
        tenant = rows.tenant()
        assert _notes(listener, 0.5) == []  # the tenant table is not logged
        with engine.begin() as conn:  # three logged rows, one transaction
            for name in ("Ann", "Bob", "Cy"):
                conn.execute(
                    sa.text("INSERT INTO individual (id, tenant_id, first_name) VALUES (gen_random_uuid(), :t, :n)"),
                    {"t": tenant, "n": name},
                )
            assert _notes(listener, 0.3) == []  # nothing before the commit
        assert _notes(listener, 2.0) == [_schema(engine)]  # folded into one, at commit
        with engine.connect() as conn:
            conn.execute(
                sa.text("INSERT INTO individual (id, tenant_id, first_name) VALUES (gen_random_uuid(), :t, 'Dee')"),
                {"t": tenant},
            )
            conn.rollback()
        assert _notes(listener, 0.5) == []
    finally:
        listener.close()


@pytest.mark.postgres
def test_migration_0006_down_removes_the_notify_and_up_restores_it(postgres_admin, rows):
    engine = rows.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    tenant = rows.tenant()
    listener = _listener(postgres_admin)
    try:
        downgrade(engine, "0005")
        rows.insert("individual", tenant_id=tenant, first_name="Ann")
        assert _notes(listener, 0.5) == []
        assert rows.changes()[-1][:1] == ("individual",)  # the change is still logged
        upgrade(engine)
        rows.insert("individual", tenant_id=tenant, first_name="Bob")
        assert _notes(listener, 2.0) == [_schema(engine)]
    finally:
        listener.close()


def test_change_wait_listens_on_postgresql_and_polls_on_sqlite(engine):
    wait = change_wait(engine)
    try:
        expected = ChangeNotifications if engine.dialect.name == "postgresql" else PollingWait
        assert type(wait) is expected
        assert type(change_wait(engine, notify=False)) is PollingWait
    finally:
        wait.close()


@pytest.mark.postgres
def test_notifications_wake_a_wait_for_this_schema_only(postgres_admin, rows):
    engine = rows.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    tenant = rows.tenant()
    notifications = ChangeNotifications(engine)
    try:
        assert notifications.listen()
        with postgres_admin.begin() as conn:  # another schema's change (same channel, another payload)
            conn.execute(sa.text("SELECT pg_notify(:c, 'some_other_schema')"), {"c": CHANGE_LOG_CHANNEL})
        assert notifications.wait(0.5) == "timeout"
        rows.insert("individual", tenant_id=tenant, first_name="Ann")
        assert notifications.wait(30.0) == "notify"
        assert (notifications.notified, notifications.timeouts) == (1, 1)
    finally:
        notifications.close()
