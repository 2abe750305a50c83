"""What every sub-command reads from typer's context: the settings the ``kgcrm`` callback built once."""

from __future__ import annotations

import typer

from kgcrm.core.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings in ``ctx.obj`` (set by :func:`kgcrm.cli._load`, or passed by a test's ``CliRunner``)."""
    settings = ctx.obj
    if not isinstance(settings, Settings):
        raise RuntimeError(f"kgcrm {ctx.info_name}: the settings were not loaded (run it through the `kgcrm` command)")
    return settings
