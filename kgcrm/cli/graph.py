"""``kgcrm neo4j …`` (the local Neo4j server) and ``kgcrm graph …`` (the graph schema).

Settings come from ``ctx.obj`` (built once in kgcrm/cli/__init__.py). When ``NEO4J_URI`` is
set kgcrm does not manage a server: ``start``/``stop`` say so and do nothing, and
``status`` checks that the configured server answers.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kgcrm.cli.context import settings_of
from kgcrm.core.errors import KgcrmError
from kgcrm.core.settings import Settings
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import USER, LocalNeo4jServer, neo4j_credentials
from kgcrm.graph.tenant_vectors import Reconciled, TenantIndexPolicy, reconcile_tenant_indexes
from kgcrm.services import graph_gateway

_NEO4J_HELP = "The local Neo4j server kgcrm runs (unless NEO4J_URI is set)."
neo4j_app = typer.Typer(help=_NEO4J_HELP, no_args_is_help=True)
graph_app = typer.Typer(help="The graph schema.", no_args_is_help=True)

console = Console(soft_wrap=True)  # never break a URL or a path across lines


def _external_note(settings: Settings) -> None:
    console.print(
        f"An external Neo4j is configured (NEO4J_URI={settings.neo4j_uri}): "
        + "kgcrm does not manage it, nothing to do."
    )


@neo4j_app.command()
def start(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
) -> None:
    """Install (first time only) and start the local Neo4j; wait until it answers."""
    settings = settings_of(ctx)
    if not settings.manages_local_neo4j:
        _external_note(settings)
        return
    server = LocalNeo4jServer(settings)
    already = server.is_running()
    with console.status("Starting Neo4j (the first start downloads it from Maven Central)…"):
        status = server.start(timeout_s=timeout)
    verb = "already running" if already else "started"
    console.print(f"[green]Neo4j {status.version} {verb}[/green] (pid {status.pid})")
    console.print(f"  Bolt:     {status.bolt_uri}")
    console.print(f"  Browser:  {status.browser_url}")
    console.print(f"  User:     {USER}  (password in {settings.neo4j_password_file})")


@neo4j_app.command()
def stop(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option(help="Seconds to wait before killing the server.")] = 60.0,
) -> None:
    """Stop the local Neo4j."""
    settings = settings_of(ctx)
    if not settings.manages_local_neo4j:
        _external_note(settings)
        return
    with console.status("Stopping Neo4j…"):
        was_running = LocalNeo4jServer(settings).stop(timeout_s=timeout)
    console.print("Neo4j stopped." if was_running else "Neo4j was not running.")


@neo4j_app.command()
def status(ctx: typer.Context) -> None:
    """Show whether Neo4j runs; exit 1 when it does not."""
    settings = settings_of(ctx)
    if not settings.manages_local_neo4j:
        running = _external_answers(settings)
        console.print(
            f"External Neo4j {settings.neo4j_uri}: "
            + ("[green]answering[/green]" if running else "[red]not answering[/red]")
        )
        raise typer.Exit(0 if running else 1)
    state = LocalNeo4jServer(settings).status()
    table = Table(show_header=False, box=None)
    table.add_row("running", "[green]yes[/green]" if state.running else "[red]no[/red]")
    table.add_row("pid", str(state.pid) if state.pid else "-")
    table.add_row("installed", "yes" if state.installed else "no")
    table.add_row("version", state.version)
    table.add_row("bolt", state.bolt_uri)
    table.add_row("browser", state.browser_url)
    table.add_row("data", str(settings.neo4j_password_file.parent))
    console.print(table)
    raise typer.Exit(0 if state.running else 1)


@neo4j_app.command()
def browser(
    ctx: typer.Context,
    show_password: Annotated[bool, typer.Option("--show-password", help="Also print the password.")] = False,
) -> None:
    """Print how to open Neo4j Browser and log in."""
    settings = settings_of(ctx)
    if not settings.manages_local_neo4j:
        console.print("Browser:  open the Browser of the external server (kgcrm does not serve one)")
        console.print(f"Bolt:     {settings.neo4j_uri}")
        console.print(f"User:     {settings.neo4j_user}")
        if show_password:
            secret = settings.neo4j_password.get_secret_value() if settings.neo4j_password else "(not set)"
            console.print(f"Password: {secret}", markup=False)
        else:
            console.print("Password: from NEO4J_PASSWORD (--show-password prints it)")
        return
    server = LocalNeo4jServer(settings)
    console.print(f"Browser:  {server.browser_url}")
    console.print(f"Bolt:     {server.bolt_uri}   (Browser's connect URL)")
    console.print(f"User:     {USER}")
    if show_password:
        console.print(f"Password: {server.password()}", markup=False)
    else:
        console.print(f"Password: in {settings.neo4j_password_file} (--show-password prints it)")
    if not server.is_running():
        console.print("[yellow]Neo4j is not running: `kgcrm neo4j start`[/yellow]")


def _external_answers(settings: Settings) -> bool:
    import neo4j

    try:
        credentials = neo4j_credentials(settings)
        driver = neo4j.GraphDatabase.driver(credentials.uri, auth=credentials.auth, connection_timeout=5)
        with driver:
            driver.verify_connectivity()
    except (KgcrmError, neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError):
        return False
    return True


@graph_app.command("init")
def init(
    ctx: typer.Context,
    timeout: int = typer.Option(300, "--timeout", min=1, help="Seconds to wait for the indexes to come online."),
) -> None:
    """Create the graph's constraints and indexes (idempotent) and wait until they are online."""
    settings = settings_of(ctx)
    with graph_gateway(settings) as gateway:
        states = apply_schema(gateway, dimensions=settings.embedding_dimensions, timeout_s=timeout)
        done = reconcile_tenant_indexes(gateway, dimensions=settings.embedding_dimensions, timeout_s=timeout)
    console.print(f"[green]graph schema applied[/green]: {len(states)} indexes online")
    print_tenant_indexes(done)


_POLICY = TenantIndexPolicy()


@graph_app.command("tenant-indexes")
def tenant_indexes(
    ctx: typer.Context,
    min_entities: int = typer.Option(
        _POLICY.min_entities, "--min-entities", min=1, help="A tenant needs this many embedded entities."
    ),
    max_share: float = typer.Option(
        _POLICY.max_share, "--max-share", min=0.0, max=1.0, help="…and at most this share of all of them."
    ),
    max_indexes: int = typer.Option(
        _POLICY.max_indexes, "--max-indexes", min=0, help="At most this many, largest first."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
    timeout: int = typer.Option(3600, "--timeout", min=1, help="Seconds to wait for new indexes to come online."),
) -> None:
    """Give mid-sized tenants vector indexes of their own (and drop those no longer wanted).

    Tenant-filtered vector search then runs over that tenant alone (kgcrm.graph.tenant_vectors): one index
    over all its entities, one over its people and organizations.
    `kgcrm graph init` and every `kgcrm sync --full` (with embeddings) do the same with the default
    policy; run it after a tenant grew or shrank a lot between full syncs (e.g. nightly).
    """
    settings = settings_of(ctx)
    policy = TenantIndexPolicy(min_entities, max_share, max_indexes)
    with graph_gateway(settings) as gateway:
        done = reconcile_tenant_indexes(
            gateway, dimensions=settings.embedding_dimensions, policy=policy, dry_run=dry_run, timeout_s=timeout
        )
    print_tenant_indexes(done, dry_run=dry_run)


def print_tenant_indexes(done: Reconciled, *, dry_run: bool = False) -> None:
    would = "would be " if dry_run else ""
    console.print(
        f"tenant vector indexes: {len(done.wanted)} wanted; {would}created {len(done.created)}, "
        f"{would}dropped {len(done.dropped)}; {done.labelled:,} tenant labels added"
    )
