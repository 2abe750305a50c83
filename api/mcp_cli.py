"""``kgcrm mcp``: the MCP server (stdio) of one tenant, for MCP clients such as desktop assistants.

Register with ``app.command("mcp")(mcp_command)``; the settings come from ``ctx.obj``
(built once by ``kgcrm/cli.py``), like every other command's. An MCP client starts it
as a subprocess, for example::

    {"command": "kgcrm", "args": ["mcp"], "env": {"KGCRM_API_KEY": "kg_…"}}

The key (``KGCRM_API_KEY``, or ``--key``, which other users of the machine can see in
the process list) binds the server to its tenant, and to its user when it has one.
Standard output carries the protocol only: logs go to standard error.

``python -m kgcrm.cli.mcp`` runs the same command without the rest of the CLI.
"""

from __future__ import annotations

import logging
import sys

import anyio
import typer

from kgcrm.core.errors import ConfigurationError, KgcrmError, ServiceError
from kgcrm.core.settings import Settings, load_settings

__all__ = ["mcp_command"]


def mcp_command(
    ctx: typer.Context,
    key: str | None = typer.Option(
        None,
        "--key",
        envvar="KGCRM_API_KEY",
        show_envvar=True,
        help="The API key that binds the server to its tenant (prefer the environment variable).",
    ),
    embeddings: bool = typer.Option(
        True, "--embeddings/--no-embeddings", help="Load the embedding model (off: fulltext-only search)."
    ),
) -> None:
    """Serve the retrieval and agent tools of one tenant over MCP (stdio)."""
    from kgcrm.api.mcp_server import KgcrmMcp, ToolFailure, serve_stdio
    from kgcrm.api.services import build_services

    settings = ctx.obj
    if not isinstance(settings, Settings):
        raise RuntimeError("kgcrm: the settings were not loaded (ctx.obj is not a Settings)")
    if not key or not key.strip():
        raise ConfigurationError("kgcrm mcp needs an API key: set KGCRM_API_KEY (or pass --key)")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    services = build_services(settings, load_embeddings=embeddings)
    try:
        app = KgcrmMcp(services, key)
        try:
            caller = app.authenticate()
        except ToolFailure as failure:
            if failure.status == 401:
                raise ConfigurationError(
                    "the API key was refused: it is unknown or revoked, or its user is inactive"
                ) from failure
            raise ServiceError(f"cannot check the API key: {failure}") from failure
        user = f", user {caller.user_email}" if caller.user_email else ""
        typer.echo(f"kgcrm mcp: serving tenant {caller.tenant_slug or caller.tenant_id}{user} on stdio", err=True)
        anyio.run(serve_stdio, app)
    finally:
        services.close()


def main() -> None:
    """``python -m kgcrm.cli.mcp``: the command alone, with the settings from the environment."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _load(ctx: typer.Context) -> None:
        ctx.obj = load_settings()

    app.command("mcp")(mcp_command)
    try:
        app(args=["mcp", *sys.argv[1:]])
    except KgcrmError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
