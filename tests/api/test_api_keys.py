"""API keys: random, shown once, stored hashed, bound to one tenant (and user), revocable.

Runs on SQLite and PostgreSQL (``engine``: every migration applied); no Neo4j needed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from kgcrm.api import keys
from kgcrm.core.errors import NotFoundError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import downgrade, make_engine, upgrade
from tests.api.helpers import keys_cli
from tests.support.crm_fixtures import Rows


@pytest.fixture
def team(rows):
    return make_team(rows)


def make_team(rows: Rows) -> dict[str, str]:
    """A tenant with two users (one inactive), and another tenant with a user."""
    tenant = rows.tenant()
    other = rows.tenant()
    person = rows.insert("individual", tenant_id=tenant, first_name="Ada", last_name="Byron")
    ada = rows.insert("app_user", tenant_id=tenant, email="ada@example.com", full_name="Ada", individual_id=person)
    gone = rows.insert("app_user", tenant_id=tenant, email="gone@example.com", is_active=False)
    stranger = rows.insert("app_user", tenant_id=other, email="eve@example.com")
    slug = rows.scalar("SELECT slug FROM tenant WHERE id = :id", id=tenant)
    other_slug = rows.scalar("SELECT slug FROM tenant WHERE id = :id", id=other)
    return {
        "tenant": tenant,
        "slug": slug,
        "ada": ada,
        "person": person,
        "gone": gone,
        "other": other,
        "other_slug": other_slug,
        "stranger": stranger,
    }


def test_the_migration_creates_the_table_the_code_uses(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: kind != "table" or name == "api_key",
            },
        )
        differences = compare_metadata(context, keys.API_KEY_METADATA)

    assert differences == []


def test_the_api_key_table_has_no_change_capture(engine, team):
    with engine.connect() as connection:
        before = int(connection.execute(sa.text("SELECT count(*) FROM change_log")).scalar_one())

    new = keys.create_key(engine, team["slug"])
    keys.revoke_key(engine, new.id)

    with engine.connect() as connection:
        after = int(connection.execute(sa.text("SELECT count(*) FROM change_log")).scalar_one())
    assert after == before


def test_downgrade_to_0001_drops_the_table(engine):
    downgrade(engine, "0001")
    assert "api_key" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    assert "api_key" in sa.inspect(engine).get_table_names()


def test_a_key_is_random_shown_once_and_stored_hashed(engine, team):
    first = keys.create_key(engine, team["slug"], user_email="ada@example.com")
    second = keys.create_key(engine, team["slug"])

    assert first.key != second.key and first.prefix != second.prefix
    assert keys.parse_key(first.key) is not None
    with engine.connect() as connection:
        stored = connection.execute(sa.select(keys.api_key_table)).mappings().all()
    secret = first.key.removeprefix(first.prefix + "_")
    assert all(secret not in str(dict(row)) for row in stored)
    assert {row["secret_hash"] for row in stored} >= {hashlib.sha256(secret.encode()).hexdigest()}


def test_authenticate_gives_the_keys_tenant_and_user(engine, team):
    user_key = keys.create_key(engine, team["slug"], user_email="ADA@example.com ")
    team_key = keys.create_key(engine, team["slug"])

    caller = keys.authenticate(engine, user_key.key)
    assert caller is not None
    assert (caller.tenant_id, caller.tenant_slug, caller.user_id, caller.individual_id) == (
        team["tenant"],
        team["slug"],
        team["ada"],
        team["person"],
    )
    team_caller = keys.authenticate(engine, team_key.key)
    assert team_caller is not None and team_caller.user_id is None and team_caller.tenant_id == team["tenant"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret
        lambda k: k[:-1],  # too short
        lambda k: k + "x",  # too long
        lambda k: k.replace("kg_", "kx_"),  # wrong prefix
        lambda k: "kg_" + "0" * 12 + k[15:],  # unknown lookup id
        lambda k: "",
        lambda k: "' OR 1=1 --",
        lambda k: k[:20] + "\x00" + k[21:],
    ],
    ids=["wrong-secret", "short", "long", "prefix", "unknown", "empty", "sql", "nul"],
)
def test_anything_but_the_key_is_refused(engine, team, mangle):
    new = keys.create_key(engine, team["slug"])

    assert keys.authenticate(engine, mangle(new.key)) is None


def test_a_revoked_key_is_refused_by_id_or_prefix(engine, team):
    by_id = keys.create_key(engine, team["slug"])
    by_prefix = keys.create_key(engine, team["slug"])

    keys.revoke_key(engine, by_id.id)
    info = keys.revoke_key(engine, by_prefix.prefix)
    again = keys.revoke_key(engine, by_prefix.prefix)

    assert keys.authenticate(engine, by_id.key) is None
    assert keys.authenticate(engine, by_prefix.key) is None
    assert info.revoked_at is not None and again.revoked_at == info.revoked_at


def test_a_key_of_an_inactive_or_deleted_user_is_refused(engine, team, rows):
    inactive = keys.create_key(engine, team["slug"], user_email="gone@example.com")
    ada = keys.create_key(engine, team["slug"], user_email="ada@example.com")

    rows.execute("DELETE FROM app_user WHERE id = :id", id=team["ada"])

    assert keys.authenticate(engine, inactive.key) is None
    assert keys.authenticate(engine, ada.key) is None


def test_a_user_of_another_tenant_cannot_get_a_key_here(engine, team):
    with pytest.raises(NotFoundError, match=r"eve@example\.com"):
        keys.create_key(engine, team["slug"], user_email="eve@example.com")
    with pytest.raises(NotFoundError, match="no-such-tenant"):
        keys.create_key(engine, "no-such-tenant")


def test_use_is_recorded(engine, team):
    new = keys.create_key(engine, team["slug"])
    assert keys.list_keys(engine, team["slug"])[0].last_used_at is None

    keys.authenticate(engine, new.key)

    assert keys.list_keys(engine, team["slug"])[0].last_used_at is not None


# --- the CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, sqlite_template: Path):
    """The keys CLI over a migrated SQLite CRM (the settings name the database by URL)."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", data_dir=tmp_path)
    runner = CliRunner()
    app = keys_cli(settings)
    yield (lambda *args: runner.invoke(app, ["keys", *args])), engine, make_team(Rows(engine))
    engine.dispose()


def test_cli_create_prints_the_key_once_on_the_last_line(cli_env):
    cli, engine, team = cli_env
    result = cli("create", "--tenant", team["slug"], "--user", "ada@example.com", "--name", "crm-agent")

    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    caller = keys.authenticate(engine, key)
    assert caller is not None and caller.user_id == team["ada"]

    listed = cli("list", "--tenant", team["slug"])
    assert listed.exit_code == 0, listed.output
    assert key not in listed.stdout and key[-20:] not in listed.stdout
    assert keys.parse_key(key)[0] in listed.stdout and "ada@example.com" in listed.stdout


def test_cli_revoke(cli_env):
    cli, engine, team = cli_env
    key = cli("create", "--tenant", team["slug"]).stdout.strip().splitlines()[-1]
    (info,) = keys.list_keys(engine, team["slug"])

    result = cli("revoke", info.prefix)

    assert result.exit_code == 0, result.output
    assert "revoked" in result.stdout
    assert keys.authenticate(engine, key) is None
    assert keys.list_keys(engine, team["slug"])[0].revoked_at is not None


def test_cli_refuses_an_unknown_tenant_or_key(cli_env):
    cli, _, _ = cli_env
    assert isinstance(cli("create", "--tenant", "nope").exception, NotFoundError)
    assert isinstance(cli("revoke", "kg_000000000000").exception, NotFoundError)
