"""``kgcrm serve`` (the HTTP API) and ``kgcrm keys …`` (its API keys).

The settings come from ``ctx.obj`` (built once by ``kgcrm/cli/__init__.py``); kgcrm's own errors
are turned into one line and a non-zero exit there. Register with::

    app.command("serve")(serve_command)
    app.add_typer(keys_app, name="keys")
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from kgcrm.api import keys
from kgcrm.cli.context import settings_of
from kgcrm.core.network import is_loopback
from kgcrm.services import database_engine

__all__ = ["keys_app", "serve_command"]

err = Console(stderr=True)

#: What each worker process serves (``--workers`` above 1): the app, built from the environment.
APP_FACTORY = "kgcrm.api.app:app_from_environment"

keys_app = typer.Typer(help="API keys of the HTTP API: create, list, revoke.", no_args_is_help=True)


def serve_command(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None, "--host", help="Interface to listen on (default: KGCRM_API_HOST, 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port to listen on (default: KGCRM_API_PORT, 8000)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (each loads the model)."),
) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    from kgcrm.api.protocol import UVICORN_OPTIONS
    from kgcrm.api.workers import balanced_workers_supported, run_workers

    settings = settings_of(ctx)
    host = host or settings.api_host
    port = port or settings.api_port
    if not is_loopback(host):
        err.print(
            f"[yellow]warning:[/yellow] listening on {host}, reachable from other machines: "
            "every /v1 endpoint needs an API key; put TLS in front of it"
        )
    if settings.api_mcp_enabled:
        err.print(f"remote MCP: http://{host}:{port}/mcp (the API keys; off: KGCRM_API_MCP_ENABLED=false)")
    if workers == 1:
        from kgcrm.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, **UVICORN_OPTIONS)
    elif balanced_workers_supported():  # each worker builds its own app (and services) from the environment
        raise typer.Exit(run_workers(APP_FACTORY, host=host, port=port, workers=workers, options=UVICORN_OPTIONS))
    else:  # no SO_REUSEPORT here: uvicorn's workers, on one shared socket
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, **UVICORN_OPTIONS)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"


@keys_app.command("create")
def create_command(
    ctx: typer.Context,
    tenant: str = typer.Option(..., "--tenant", help="The tenant's slug."),
    user: str | None = typer.Option(None, "--user", help="Email of the tenant's user the key acts for."),
    name: str | None = typer.Option(None, "--name", help="A label, e.g. what uses the key."),
) -> None:
    """Make a key; it is printed once (the last line of the output is the key alone)."""
    engine = database_engine(settings_of(ctx))
    try:
        new = keys.create_key(engine, tenant, user_email=user, name=name)
    finally:
        engine.dispose()
    who = f"user {user}" if user else "the whole team"
    typer.echo(f"API key {new.prefix} (id {new.id}) for tenant {tenant}, {who}.")
    typer.echo("It is shown only now: store it in a secret store. Use it as `Authorization: Bearer <key>`.")
    typer.echo(new.key)


@keys_app.command("list")
def list_command(
    ctx: typer.Context,
    tenant: str = typer.Option(..., "--tenant", help="The tenant's slug."),
) -> None:
    """List a tenant's keys (never the keys themselves)."""
    engine = database_engine(settings_of(ctx))
    try:
        found = keys.list_keys(engine, tenant)
    finally:
        engine.dispose()
    table = Table(title=f"API keys of {tenant}")
    for column in ("id", "prefix", "user", "name", "created", "last used", "revoked"):
        table.add_column(column)
    for key in found:
        table.add_row(
            key.id,
            key.prefix,
            key.user_email or "(team)",
            key.name or "",
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
    Console(width=200).print(table)


@keys_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    key_id: str = typer.Argument(..., help="The key's id or prefix (kg_…), as `kgcrm keys list` shows them."),
) -> None:
    """Revoke a key: it is refused from the next request on."""
    engine = database_engine(settings_of(ctx))
    try:
        info = keys.revoke_key(engine, key_id)
    finally:
        engine.dispose()
    typer.echo(f"API key {info.prefix} (id {info.id}) of tenant {info.tenant_slug}: revoked {_when(info.revoked_at)}")
