"""``kgcrm db upgrade`` and ``kgcrm db current``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kgcrm.cli.crm import db_app
from kgcrm.core.errors import DatabaseUnavailable
from kgcrm.core.settings import Settings
from kgcrm.crm.database import head_revision


def _run(settings: Settings, *args: str):
    return CliRunner().invoke(db_app, list(args), obj=settings)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


def test_upgrade_creates_the_default_sqlite_file_and_prints_the_revision(settings):
    result = _run(settings, "upgrade")

    assert result.exit_code == 0, result.output
    assert f"at revision {head_revision()}" in result.output
    assert (settings.data_dir / "crm.sqlite3").is_file()


def test_current_on_a_missing_database_says_none_and_creates_nothing(settings):
    result = _run(settings, "current")

    assert result.exit_code == 0, result.output
    assert "at revision none" in result.output
    assert not (settings.data_dir / "crm.sqlite3").exists()


def test_current_after_upgrade_is_up_to_date(settings):
    _run(settings, "upgrade")

    result = _run(settings, "current")

    assert f"at revision {head_revision()} (up to date)" in result.output


def test_database_url_wins_over_the_default(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'crm.sqlite3'}"

    result = _run(settings.model_copy(update={"database_url": url}), "upgrade")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "crm.sqlite3").is_file()


def test_an_unreachable_database_is_a_database_unavailable_error(settings):
    unreachable = settings.model_copy(update={"database_url": "postgresql://kgcrm:secret@127.0.0.1:1/crm"})

    result = _run(unreachable, "upgrade")

    assert isinstance(result.exception, DatabaseUnavailable)
    assert "secret" not in str(result.exception)
