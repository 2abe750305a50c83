"""settings_of: every sub-command reads the settings the `kgcrm` callback built, and nothing else."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from kgcrm.cli.context import settings_of
from kgcrm.core.settings import Settings


def _app(seen: list[Settings]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def show(ctx: typer.Context) -> None:
        seen.append(settings_of(ctx))

    @app.callback()
    def _root() -> None:
        pass

    return app


def test_the_settings_passed_as_obj_are_the_ones_a_command_reads(tmp_path):
    settings, seen = Settings(data_dir=tmp_path), []
    result = CliRunner().invoke(_app(seen), ["show"], obj=settings)
    assert result.exit_code == 0, result.output
    assert seen == [settings]


def test_a_command_run_without_settings_says_so():
    result = CliRunner().invoke(_app([]), ["show"], obj=None)
    assert isinstance(result.exception, RuntimeError)
    with pytest.raises(RuntimeError, match="kgcrm show: the settings were not loaded"):
        raise result.exception
