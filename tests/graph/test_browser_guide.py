"""The Browser guide, its queries, the favourites, the guide server and the read-only user.

The queries run on a seeded demo graph of two tenants: each one, with only its declared
parameters, returns rows of the chosen tenant and nothing of the other.
"""

from __future__ import annotations

import io
import re
import socket
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import neo4j
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kgcrm.cli.browser import browser_app
from kgcrm.core.errors import ConfigurationError
from kgcrm.core.settings import Settings
from kgcrm.graph.browser.guide import FAVORITES_PATH, GUIDE_PATH, SCHEMA_QUERY, STYLE_PATH, guide_html
from kgcrm.graph.browser.guide_server import GuideServer, is_loopback
from kgcrm.graph.browser.queries import (
    ALL_QUERIES,
    FAVORITES_FOLDER,
    QUERIES,
    TENANTS,
    favorites,
    favorites_zip,
    params_setup_commands,
)
from kgcrm.graph.browser.reader import COMMUNITY_ADVICE, ReadOnlyAccess
from kgcrm.graph.browser.style import grass
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.server import BROWSER_ALLOWLIST_SETTING, LocalNeo4jServer
from tests.support.browser_fixtures import SeededGraph

runner = CliRunner()
BASE = "http://localhost:7478/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Guide(HTMLParser):
    """The parts of the guide Browser acts on: slides, runnable blocks, inputs, value spans."""

    def __init__(self) -> None:
        super().__init__()
        self.slides = 0
        self.runnables: list[dict[str, Any]] = []
        self.inputs: list[str] = []
        self.value_keys: list[str] = []
        self.links: list[str] = []
        self._pre: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "slide":
            self.slides += 1
        elif tag == "pre" and "runnable" in (a.get("class") or ""):
            self._pre = {"text": "", "query": a.get("data-kgcrm-query"), "slide": self.slides}
        elif tag == "input" and a.get("value-for"):
            self.inputs.append(a["value-for"] or "")
        elif tag == "span" and a.get("value-key"):
            self.value_keys.append(a["value-key"] or "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre is not None:
            self._pre["text"] = self._pre["text"].strip()
            self.runnables.append(self._pre)
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._pre is not None:
            self._pre["text"] += data


def parse_guide(html: str) -> _Guide:
    guide = _Guide()
    guide.feed(html)
    guide.close()
    return guide


def _cypher_runnables(guide: _Guide) -> list[dict[str, Any]]:
    return [r for r in guide.runnables if not r["text"].startswith(":")]


# --- the guide page -----------------------------------------------------------------------------


def test_guide_is_slides_with_every_query_runnable() -> None:
    guide = parse_guide(guide_html(BASE))

    assert guide.slides == 3 + len(QUERIES) + 1
    by_query = {r["query"]: r["text"] for r in guide.runnables if r["query"]}
    assert set(by_query) == {q.name for q in ALL_QUERIES}
    for q in ALL_QUERIES:
        assert by_query[q.name] == q.body.strip()
    assert SCHEMA_QUERY in [r["text"] for r in guide.runnables]


def test_guide_sets_parameters_in_one_click_and_takes_names() -> None:
    guide = parse_guide(guide_html(BASE))
    commands = [r["text"] for r in guide.runnables if r["text"].startswith(":")]

    assert f":style {BASE}{STYLE_PATH}" in commands
    assert ";\n".join(params_setup_commands()) in commands
    assert set(guide.inputs) == set(guide.value_keys) == {"slug", "person", "organization"}
    assert f"{BASE}{FAVORITES_PATH}" in guide.links
    for command in commands:  # Browser evaluates `:param x => expr` only when expr has no '$'
        assert "$" not in command


def test_guide_holds_no_data() -> None:
    html = guide_html(BASE)

    assert not UUID.search(html)
    assert "tenant_id" in html


def test_every_query_filters_by_tenant_and_declares_its_parameters() -> None:
    for q in QUERIES:
        used = set(re.findall(r"\$([a-z_]+)", q.cypher))
        assert used == set(q.params), q.name
        assert "tenant_id" in used, q.name
        assert q.cypher.startswith(f"// kgcrm: {q.title[0].lower()}{q.title[1:]}\n"), q.name  # the favourite's name
    assert TENANTS.params == () and not TENANTS.tenant_scoped


# --- favourites ---------------------------------------------------------------------------------


def test_favorites_zip_holds_every_query_named_by_its_first_line() -> None:
    with zipfile.ZipFile(io.BytesIO(favorites_zip())) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}

    assert files == favorites()
    assert all(name.startswith(f"{FAVORITES_FOLDER}/") and name.endswith(".cypher") for name in files)
    assert len(files) == 1 + len(ALL_QUERIES)
    for name, content in files.items():  # named (first line) and listed in the guide's order
        number, title = name.removeprefix(f"{FAVORITES_FOLDER}/").removesuffix(".cypher").split(" ", 1)
        assert content.startswith(f"// {number} {title}\n"), name
    setup = files[f"{FAVORITES_FOLDER}/00 Set the parameters.cypher"]
    assert ":param tenant_id => " in setup and ":param person => '';" in setup
    assert sorted(files) == list(files)
    bodies = "\n".join(files.values())
    assert all(q.body.strip() in bodies for q in ALL_QUERIES)
    assert favorites_zip() == favorites_zip()  # the same queries, the same bytes


def test_cli_writes_the_favorites(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", neo4j_uri=None)

    default = runner.invoke(browser_app, ["favorites"], obj=settings)
    chosen = runner.invoke(browser_app, ["favorites", "--output", str(tmp_path / "f.zip")], obj=settings)

    assert default.exit_code == 0, default.output
    assert (tmp_path / "data" / "browser" / "kgcrm-favorites.zip").read_bytes() == favorites_zip()
    assert chosen.exit_code == 0 and (tmp_path / "f.zip").read_bytes() == favorites_zip()
    assert "drag the file onto Neo4j Browser" in default.output


# --- the guide server ---------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    server = GuideServer(Settings(data_dir=tmp_path, browser_guide_port=0))
    httpd = server.bind()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


def test_server_serves_guide_style_and_favorites_with_cors(served: str) -> None:
    status, headers, body = _get(served + GUIDE_PATH)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Content-Type"].startswith("text/html")
    assert parse_guide(body.decode()).slides > 5
    assert f":style {served}{STYLE_PATH}" in body.decode()  # links to where it really is served

    assert _get(served + STYLE_PATH)[2].decode() == grass()
    assert _get(served + FAVORITES_PATH)[2] == favorites_zip()
    assert _get(served + "nothing-here")[0] == 404


def test_server_answers_browsers_preflight(served: str) -> None:
    asked = "pragma,cache-control,sentry-trace,baggage"
    status, headers, _ = _get(
        served + GUIDE_PATH,
        "OPTIONS",
        {
            "Origin": "http://127.0.0.1:7474",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": asked,
        },
    )

    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Headers"] == "pragma, cache-control, sentry-trace, baggage"


def test_server_binds_loopback_only(tmp_path: Path) -> None:
    httpd = GuideServer(Settings(data_dir=tmp_path, browser_guide_port=0)).bind()
    try:
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.server_close()
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):  # noqa: S104 (refused, not bound)
        with pytest.raises(ConfigurationError, match="loopback"):
            GuideServer(Settings(data_dir=tmp_path, browser_guide_host=host)).bind()
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.1")


def test_guide_url_uses_localhost_which_browser_allows_by_default(tmp_path: Path) -> None:
    server = GuideServer(Settings(data_dir=tmp_path, browser_guide_port=7478))

    assert server.guide_url == f"http://localhost:7478/{GUIDE_PATH}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_starts_and_stops_a_detached_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", neo4j_uri=None, browser_guide_port=_free_port())
    server = GuideServer(settings)
    try:
        started = runner.invoke(browser_app, ["guide", "--start"], obj=settings)
        assert started.exit_code == 0, started.output
        assert server.answers() and server.running_pid() is not None
        assert f":play {server.guide_url}" in started.output
        assert f"/browser/?connectURL=bolt%3A%2F%2Fneo4j%40127.0.0.1%3A7687&cmd=play&arg={server.guide_url}" in (
            started.output
        )
        again = runner.invoke(browser_app, ["guide", "--start"], obj=settings)
        assert again.exit_code == 0 and str(server.running_pid()) in again.output
        assert (tmp_path / "data" / "browser" / "kgcrm.grass").read_text() == grass()
    finally:
        stopped = runner.invoke(browser_app, ["guide", "--stop"], obj=settings)
    assert stopped.exit_code == 0 and "stopped" in stopped.output
    assert not server.answers() and server.running_pid() is None


def test_cli_writes_the_guide_page(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, neo4j_uri=None, browser_guide_port=7478)

    result = runner.invoke(browser_app, ["guide", "--output", str(tmp_path / "g.html")], obj=settings)

    assert result.exit_code == 0
    assert (tmp_path / "g.html").read_text() == guide_html("http://localhost:7478/")


def test_local_neo4j_allows_guides_from_loopback_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", neo4j_uri=None)

    text = LocalNeo4jServer(settings).configure().read_text()

    assert f"\n{BROWSER_ALLOWLIST_SETTING}=127.0.0.1,localhost\n" in text
    assert "\nclient.allow_telemetry=false\n" in text


# --- the queries on a seeded graph ----------------------------------------------------------------


def _tenant_ids(value: Any, found: set[Any]) -> None:
    """Collect the tenant_id of every node and relationship in a result value."""
    if isinstance(value, neo4j.graph.Path):
        for node in value.nodes:
            found.add(node.get("tenant_id"))
        for rel in value.relationships:
            found.add(rel.get("tenant_id") if "tenant_id" in rel else rel.start_node.get("tenant_id"))
    elif isinstance(value, neo4j.graph.Node):
        found.add(value.get("tenant_id"))
    elif isinstance(value, neo4j.graph.Relationship):
        found.add(value.start_node.get("tenant_id"))
        found.add(value.end_node.get("tenant_id"))
    elif isinstance(value, list):
        for item in value:
            _tenant_ids(item, found)


def _run(driver: neo4j.Driver, cypher: str, params: dict[str, Any]) -> list[neo4j.Record]:
    records, _, _ = driver.execute_query(cypher, params)
    return records


@pytest.mark.neo4j
def test_every_guide_query_runs_inside_its_tenant(neo4j_driver: neo4j.Driver, seeded_graph: SeededGraph) -> None:
    runnables = _cypher_runnables(parse_guide(guide_html(BASE)))
    results: dict[str, dict[str, list[neo4j.Record]]] = {}
    for tenant in seeded_graph.tenants:
        params = {"tenant_id": tenant.id, "person": "", "organization": ""}
        for runnable in runnables:
            query = runnable["query"] or runnable["text"]
            wanted = {k: params[k] for k in re.findall(r"\$([a-z_]+)", runnable["text"])}
            records = _run(neo4j_driver, runnable["text"], wanted)
            results.setdefault(query, {})[tenant.id] = records
            if query in (TENANTS.name, SCHEMA_QUERY):
                continue  # the tenant picker and the schema picture: no tenant's records
            seen: set[Any] = set()
            for record in records:
                for value in record.values():
                    _tenant_ids(value, seen)
            assert seen <= {tenant.id}, (query, seen)
            assert records, f"{query} found nothing in tenant {tenant.slug}"
    a, b = seeded_graph.tenants
    assert {r["tenant_id"] for r in results[TENANTS.name][a.id]} == {a.id, b.id}
    pipeline_a = {(r["stage"], r["deals"]) for r in results["browser_pipeline"][a.id]}
    assert pipeline_a and pipeline_a != {(r["stage"], r["deals"]) for r in results["browser_pipeline"][b.id]}


@pytest.mark.neo4j
def test_parameter_setup_picks_the_first_tenant_as_browser_would(
    neo4j_driver: neo4j.Driver, seeded_graph: SeededGraph
) -> None:
    # Browser runs `:param name => expr` as `RETURN expr AS name`.
    values = {}
    for command in params_setup_commands():
        name, expression = re.fullmatch(r":param (\w+) => (.*)", command).groups()  # type: ignore[union-attr]
        values[name] = _run(neo4j_driver, f"RETURN {expression} AS {name}", {})[0][name]

    assert values == {"tenant_id": seeded_graph.tenants[0].id, "person": "", "organization": ""}


@pytest.mark.neo4j
def test_a_named_person_is_found_in_their_tenant_only(neo4j_driver: neo4j.Driver, seeded_graph: SeededGraph) -> None:
    a, b = seeded_graph.tenants
    engine = sa.create_engine(f"sqlite:///{seeded_graph.crm}")
    with engine.connect() as connection:
        first, last, person_id = connection.execute(
            sa.text(
                "SELECT i.first_name, i.last_name, i.id FROM individual i "
                "JOIN relationship r ON r.from_individual_id = i.id "
                "WHERE i.tenant_id = :t GROUP BY i.id ORDER BY count(*) DESC, i.id LIMIT 1"
            ),
            {"t": a.id},
        ).one()
    engine.dispose()
    network = next(q for q in QUERIES if q.name == "browser_person_network")

    mine = _run(neo4j_driver, network.cypher, {"tenant_id": a.id, "person": f"{first} {last}"})
    by_id = _run(neo4j_driver, network.cypher, {"tenant_id": a.id, "person": person_id})
    theirs = _run(neo4j_driver, network.cypher, {"tenant_id": b.id, "person": person_id})

    assert mine and {r["tie"].start_node["id"] for r in by_id} == {person_id}
    assert {r["tie"].start_node["name"] for r in mine} >= {f"{first} {last}"}
    assert theirs == []


# --- least privilege ----------------------------------------------------------------------------


class _Recording:
    def __init__(self, edition: str) -> None:
        self.edition = edition
        self.writes: list[tuple[str, dict[str, Any]]] = []

    def read(self, name: str, cypher: str, params: dict | None = None) -> list[dict]:
        return [{"edition": self.edition}]

    def write(self, name: str, cypher: str, params: dict | None = None) -> list[dict]:
        self.writes.append((cypher, dict(params or {})))
        return []


def test_enterprise_gets_a_reader_user_with_parameters_only() -> None:
    system = _Recording("enterprise")

    outcome = ReadOnlyAccess(system).create_reader("explorer")

    assert outcome.created and outcome.user == "explorer" and outcome.password
    assert [c for c, _ in system.writes] == [
        "CREATE OR REPLACE USER $user SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
        "GRANT ROLE reader TO $user",
    ]
    assert all(outcome.password not in c and "explorer" not in c for c, _ in system.writes)
    assert "every tenant" in outcome.advice


def test_community_says_plainly_there_is_no_reader() -> None:
    system = _Recording("community")

    outcome = ReadOnlyAccess(system).create_reader()

    assert not outcome.created and system.writes == []
    assert "Community" in outcome.advice and "only against the local server" in outcome.advice


@pytest.mark.neo4j
def test_the_real_server_is_asked_for_its_edition(neo4j_driver: neo4j.Driver) -> None:
    access = ReadOnlyAccess(GraphGateway(neo4j_driver, database="system"))

    edition = access.edition()

    assert edition in {"community", "enterprise"}
    if edition == "community":
        assert access.create_reader().advice == COMMUNITY_ADVICE
