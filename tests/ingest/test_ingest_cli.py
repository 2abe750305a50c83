"""``kgcrm ingest mail|calendar``: summary table, problems, unknown tenants and users."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kgcrm.cli import app
from kgcrm.cli.ingest import ingest_app
from kgcrm.core.settings import Settings
from tests.ingest import fixtures as fx


@pytest.fixture
def crm(tmp_path, sqlite_template):
    path = tmp_path / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    from kgcrm.crm.database import make_engine
    from tests.support.crm_fixtures import Rows

    engine = make_engine(f"sqlite:///{path}")
    world = fx.seed_world(Rows(engine))
    engine.dispose()
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", database_url=f"sqlite:///{path}")
    return settings, world


def _run(settings, *args):
    return CliRunner().invoke(ingest_app, list(args), obj=settings)


def test_mail_prints_the_summary_and_the_problems(crm, tmp_path):
    settings, world = crm
    mbox = fx.write_mbox(tmp_path / "inbox.mbox")
    problems = tmp_path / "problems.txt"

    result = _run(
        settings, "mail", str(mbox), "--tenant", f"t-{world.tenant}", "--user", "ann@US.example",
        "--problems", str(problems),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    for line in ("interaction", "by name + domain", "mailing list (List-Id)", "duplicate Message-ID"):
        assert line in result.output
    assert "6 problem(s)" in result.output
    assert len(problems.read_text().splitlines()) == 6


def test_calendar_with_until(crm, tmp_path):
    settings, world = crm
    ics = fx.write_calendar(tmp_path / "cal.ics")

    result = _run(settings, "calendar", str(ics), "--tenant", f"t-{world.tenant}", "--until", "2027-12-31")

    assert result.exit_code == 0, result.output
    assert "cancelled meeting" in result.output
    assert "meeting occurrences" in result.output


def test_unknown_tenant_or_user_is_a_one_line_error(crm, tmp_path, monkeypatch):
    settings, world = crm
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KGCRM_SETTINGS_FILE", str(tmp_path / "none.env"))
    mbox = fx.write_mbox(tmp_path / "inbox.mbox", fx.messages(big_attachment=False)[:1])

    from kgcrm.core.errors import NotFoundError

    unknown_tenant = CliRunner().invoke(app, ["ingest", "mail", str(mbox), "--tenant", "nope"])
    unknown_user = CliRunner().invoke(
        app, ["ingest", "mail", str(mbox), "--tenant", f"t-{world.tenant}", "--user", "x@y.example"]
    )

    assert isinstance(unknown_tenant.exception, NotFoundError)
    assert "tenant 'nope' does not exist" in str(unknown_tenant.exception)
    assert isinstance(unknown_user.exception, NotFoundError)
