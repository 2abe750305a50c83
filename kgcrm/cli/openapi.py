"""``kgcrm openapi``: the HTTP API's OpenAPI schema, as ``/openapi.json`` serves it.

    kgcrm openapi                       # print it
    kgcrm openapi --out openapi.json    # (re)write the committed file (= make openapi)
    kgcrm openapi --out openapi.json --check   # exit 1 when the file differs (writes nothing)

Building the app does no I/O (no database, no Neo4j): the schema depends on the code only.
Register with ``app.command("openapi")(openapi_command)``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kgcrm.cli.context import settings_of

__all__ = ["openapi_command"]


def openapi_command(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", help="Write the schema to this file (default: print it)."),
    check: bool = typer.Option(False, "--check", help="With --out: exit 1 if the file differs; write nothing."),
) -> None:
    """Print or write the HTTP API's OpenAPI schema (the committed openapi.json)."""
    from kgcrm.api.app import create_app
    from kgcrm.api.openapi import REGENERATE, render, write_schema

    schema = create_app(settings_of(ctx)).openapi()
    if out is None:
        typer.echo(render(schema), nl=False)
        return
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != render(schema):
            typer.echo(f"{out} differs from the API's schema: regenerate it with {REGENERATE}", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out} is up to date", err=True)
        return
    changed = write_schema(schema, out)
    typer.echo(f"{out}: {'written' if changed else 'already up to date'}", err=True)
