"""``kgcrm db …``: the relational CRM's commands; ``seed_command`` (``kgcrm seed``) lives in crm/seed.py.

The settings come from ``ctx.obj`` (a :class:`kgcrm.core.settings.Settings`, built once by
``kgcrm/cli/__init__.py``). Errors are kgcrm's own (:class:`kgcrm.core.errors.KgcrmError`);
the top-level command turns them into one line and a non-zero exit.
"""

from __future__ import annotations

import typer

from kgcrm.cli.context import settings_of
from kgcrm.core.settings import Settings
from kgcrm.crm import database
from kgcrm.crm.seed import seed_command

__all__ = ["db_app", "seed_command"]

db_app = typer.Typer(
    help="The relational CRM database (SQLite by default, PostgreSQL via DATABASE_URL).",
    no_args_is_help=True,
)


def _shown_url(settings: Settings) -> str:
    return database.normalize_url(settings.sqlalchemy_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def upgrade_command(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="The revision to upgrade to."),
) -> None:
    """Create or upgrade the CRM schema (tables and triggers); print the revision."""
    settings = settings_of(ctx)
    current = database.upgrade(settings.sqlalchemy_url, revision)
    typer.echo(f"{_shown_url(settings)}: at revision {current}")


@db_app.command("current")
def current_command(ctx: typer.Context) -> None:
    """Print the revision the CRM database is at ("none": not created yet)."""
    settings = settings_of(ctx)
    current = database.current_revision(settings.sqlalchemy_url)
    head = database.head_revision()
    state = "up to date" if current == head else f"newest is {head}: run `kgcrm db upgrade`"
    typer.echo(f"{_shown_url(settings)}: at revision {current or 'none'} ({state})")
