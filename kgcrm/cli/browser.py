"""``kgcrm browser …``: the Neo4j Browser pack (style, guide, favourites, read-only user).

Settings come from ``ctx.obj`` (built once in kgcrm/cli/__init__.py).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kgcrm.cli.context import settings_of
from kgcrm.core.settings import Settings
from kgcrm.graph.browser.guide import guide_html
from kgcrm.graph.browser.guide_server import GuideServer
from kgcrm.graph.browser.queries import FAVORITES_FILE_NAME, favorites_zip
from kgcrm.graph.browser.reader import DEFAULT_READER, ReadOnlyAccess
from kgcrm.graph.browser.style import grass, style_command
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.server import BROWSER_ALLOWLIST_SETTING, USER, LocalNeo4jServer, write_private
from kgcrm.services import graph_driver

browser_app = typer.Typer(
    help="Explore the graph in Neo4j Browser: style, guide, saved queries, read-only user.", no_args_is_help=True
)

console = Console(soft_wrap=True)  # never break a URL or a path across lines
STYLE_FILE_NAME = "kgcrm.grass"


def pack_dir(settings: Settings) -> Path:
    return settings.data_dir / "browser"


def write_pack_files(settings: Settings) -> tuple[Path, Path]:
    """Write the style sheet and the favourites into ``<data_dir>/browser``; return their paths."""
    directory = pack_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    style = directory / STYLE_FILE_NAME
    style.write_text(grass(), encoding="utf-8")
    favorites = directory / FAVORITES_FILE_NAME
    favorites.write_bytes(favorites_zip())
    return style, favorites


@browser_app.command()
def style(
    output: Annotated[Path | None, typer.Option(help="Write the sheet to this file instead of printing it.")] = None,
    command: Annotated[
        bool, typer.Option("--command", help="Print it as one `:style …` line to paste into Browser's editor.")
    ] = False,
) -> None:
    """Print the GraSS style sheet (every label: colour by kind, name captions, sizes by importance).

    Browser keeps its style in the page's own storage, so kgcrm cannot push it: apply it with
    `:style <url>` from the guide, by dropping the .grass file onto Browser, or by running the
    `--command` line in Browser's editor.
    """
    text = grass()
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}: drop it onto Neo4j Browser, or run `:style` followed by its text")
        return
    out = style_command(text) if command else text
    typer.echo(out, nl=not out.endswith("\n"))


@browser_app.command()
def favorites(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option(help="Where to write it; default: <data dir>/browser.")] = None,
) -> None:
    """Write the saved queries (Browser favourites) as a .zip to drop onto Neo4j Browser."""
    settings = settings_of(ctx)
    if output is None:
        _, output = write_pack_files(settings)
    else:
        output.write_bytes(favorites_zip())
    console.print(f"wrote {output}")
    console.print("Import: drag the file onto Neo4j Browser's window; the queries appear in the Favorites")
    console.print(
        "drawer (star icon), folder 'kgcrm'. Run '00 Set the parameters' first: every query reads $tenant_id."
    )


@browser_app.command()
def guide(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the guide in the foreground (Ctrl-C stops).")] = False,
    start: Annotated[bool, typer.Option("--start", help="Start the guide server detached (no-op if running).")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the detached guide server.")] = False,
    output: Annotated[Path | None, typer.Option(help="Write the guide's HTML to this file and stop.")] = None,
) -> None:
    """The Browser guide (`:play <url>`), served over HTTP on loopback; prints how to open it."""
    settings = settings_of(ctx)
    server = GuideServer(settings)
    if output is not None:
        output.write_text(guide_html(server.base_url), encoding="utf-8")
        console.print(f"wrote {output} (its links point at {server.base_url})")
        return
    if stop:
        console.print("guide server stopped" if server.stop() else "the guide server was not running")
        return
    if serve:
        print_how_to_open(settings, server, serving="in the foreground (Ctrl-C stops)")
        server.serve_forever()
        return
    if start:
        write_pack_files(settings)
        pid = server.start()
        print_how_to_open(settings, server, serving=f"running (pid {pid}; `kgcrm browser guide --stop`)")
        return
    running = server.running_pid()
    print_how_to_open(settings, server, serving=f"running (pid {running})" if running else "not running")
    if pid is None:
        console.print("[yellow]Start it with `kgcrm browser guide --start` (or `--serve`).[/yellow]")


def print_how_to_open(settings: Settings, server: GuideServer, *, serving: str) -> None:
    """What `make demo` ends with: where Browser is, how to log in, how to open the guide."""
    style_path, favorites_path = pack_dir(settings) / STYLE_FILE_NAME, pack_dir(settings) / FAVORITES_FILE_NAME
    if settings.manages_local_neo4j:
        local = LocalNeo4jServer(settings)
        browser_url = local.browser_url
        console.print(f"Neo4j Browser:  {browser_url}")
        console.print(
            f"  connect to    {local.bolt_uri} as {USER}, password in {settings.neo4j_password_file} "
            "(`kgcrm neo4j browser --show-password` prints it)"
        )
    else:
        browser_url = None
        console.print(f"Neo4j Browser:  your server's Browser, connected to {settings.neo4j_uri}")
        console.print(
            f"  its neo4j.conf must allow the guide's host: {BROWSER_ALLOWLIST_SETTING}={server.host},localhost"
        )
    console.print(f"Guide server:   {server.base_url}  {serving}")
    console.print(f"Open the guide: in Browser's editor run   :play {server.guide_url}")
    if browser_url:
        console.print(f"  or just open  {one_click_url(browser_url, LocalNeo4jServer(settings).bolt_uri, server)}")
    console.print(f"Style:          :style {server.style_url}   (or drop {style_path} onto Browser)")
    console.print(f"Saved queries:  drop {favorites_path} onto Browser (Favorites drawer, folder kgcrm)")
    if settings.manages_local_neo4j and not _allows_guides(LocalNeo4jServer(settings)):
        console.print(
            "[yellow]The running Neo4j was configured before kgcrm allowed guides: restart it "
            "(`kgcrm neo4j stop && kgcrm neo4j start`) so Browser may load the guide.[/yellow]"
        )


def one_click_url(browser_url: str, bolt_uri: str, server: GuideServer) -> str:
    """Browser with the connect form filled in (Bolt URL and user) and the guide playing."""
    scheme, _, address = bolt_uri.partition("://")
    connect = urllib.parse.quote(f"{scheme}://{USER}@{address}", safe="")
    return f"{browser_url}?connectURL={connect}&cmd=play&arg={server.guide_url}"


def _allows_guides(server: LocalNeo4jServer) -> bool:
    """False when the running local server's neo4j.conf predates the guide allow-list."""
    if not server.is_running():
        return True  # the next start writes it
    try:
        return BROWSER_ALLOWLIST_SETTING in server.conf_file.read_text(encoding="utf-8")
    except OSError:
        return True


@browser_app.command()
def reader(
    ctx: typer.Context,
    user: Annotated[str, typer.Option(help="Name of the read-only user.")] = DEFAULT_READER,
) -> None:
    """Create a read-only Neo4j user for Browser (Enterprise); on Community, say why there is none."""
    settings = settings_of(ctx)
    driver = graph_driver(settings)
    try:
        access = ReadOnlyAccess(GraphGateway(driver, database="system", timeout_s=settings.neo4j_query_timeout_s))
        outcome = access.create_reader(user)
    finally:
        driver.close()
    if not outcome.created:
        console.print(f"[yellow]Neo4j {outcome.edition}:[/yellow] {outcome.advice}")
        raise typer.Exit(1)
    password_file = pack_dir(settings) / f"{user}.password"
    write_private(password_file, outcome.password or "")
    console.print(f"[green]created read-only user '{user}'[/green] (password in {password_file})")
    console.print(outcome.advice)
