"""Neo4j Browser itself, driven by a real headless Chromium (Debian's, no browser download).

Opens the test server's Browser, logs in with the credentials of the test server, applies
kgcrm's style, imports the favourites file kgcrm writes (dropped onto Browser), runs saved
queries from the Favorites drawer on a seeded two-tenant demo graph, and checks what the
graph view draws: nodes whose captions are the people's names, in the style's colours.
Then plays the guide and runs its one-click blocks.
Screenshots go to ``$KGCRM_TEST_ARTIFACTS`` (default ``test-artifacts/`` in the repository).

Needs Chromium (``apt-get install chromium``), Python's playwright (the ``test`` extra; its
own browser download is never used) and the Browser's HTTP URL (kgcrm's own test server,
or ``NEO4J_HTTP_URL`` with ``NEO4J_URI``). Missing ones skip the tests, except in CI
(``KGCRM_REQUIRE_SERVICES=1``), where they fail.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
import sqlalchemy as sa

from kgcrm.core.settings import Settings
from kgcrm.graph.browser.guide_server import GuideServer
from kgcrm.graph.browser.queries import FAVORITES_FOLDER, QUERIES, SETUP_TITLE, favorites_zip
from kgcrm.graph.browser.style import grass, node_style, style_command
from tests.support.browser_fixtures import SeededGraph
from tests.support.chromium import CHROMIUM_FLAGS, TIMEOUT_MS, artifacts_dir, chromium_path, unavailable
from tests.support.neo4j_fixtures import Neo4jTestServer

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


class BrowserSession:
    """One Neo4j Browser tab, logged in."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def frames(self) -> Any:
        return self.page.locator("[data-testid=frame]")

    def run(self, text: str, *, frames: int = 1) -> Any:
        """Type ``text`` into the editor, run it, wait for ``frames`` new result frames; the newest."""
        before = self.frames().count()
        self.page.click("#monaco-main-editor")
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Control+Enter")
        return self.wait_for_new_frames(before, frames, text)

    def wait_for_new_frames(self, before: int, frames: int = 1, what: str = "") -> Any:
        """Wait until ``frames`` frames were added to the ``before`` ones; the newest, pinned.

        Browser adds frames at the top, so a frame keeps its position counted from the end.
        """
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while (count := self.frames().count()) < before + frames:
            assert time.monotonic() < deadline, f"no result frame for {what[:60]!r}"
            time.sleep(0.1)
        return self.frames().nth(-count)

    def import_favorites(self, archive: bytes) -> None:
        """Drop the favourites .zip onto Browser, as a person drags the file kgcrm wrote."""
        transfer = self.page.evaluate_handle(
            """b64 => {
                const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], 'kgcrm-favorites.zip', {type: 'application/zip'}));
                return transfer;
            }""",
            base64.b64encode(archive).decode(),
        )
        self.page.locator(".filedrop").first.dispatch_event("drop", {"dataTransfer": transfer})

    def toggle_favorites_drawer(self) -> None:
        self.page.click("[data-testid=navigationFavorites]")

    def open_favorites_folder(self, folder: str) -> None:
        self.page.click(f'[data-testid="expandFolder-{folder}"]')

    def run_favorite(self, name: str) -> Any:
        """Click the run button of the saved query ``name`` in the Favorites drawer."""
        title = self.page.locator(f'[data-testid="scriptTitle-{name}"]')
        item = self.page.locator("[data-testid=savedScriptListItem]", has=title)
        before = self.frames().count()
        item.hover()
        item.locator("[data-testid=savedScriptsButton-Run]").click()
        return self.wait_for_new_frames(before, 1, name)

    def node_captions(self, frame: Any) -> list[tuple[str, str]]:
        """(caption, fill colour) of every node the frame's graph view draws."""
        frame.locator("svg g.node").first.wait_for(timeout=TIMEOUT_MS)
        time.sleep(1.0)  # the force layout settles; captions are drawn with the nodes
        return frame.locator("svg g.node").evaluate_all(
            """nodes => nodes.map(n => [
                Array.from(n.querySelectorAll('text.caption')).map(t => t.textContent.trim()).join(' '),
                (n.querySelector('circle.b-outline') || {getAttribute: () => ''}).getAttribute('fill')])"""
        )

    def screenshot(self, name: str) -> Path:
        path = artifacts_dir() / name
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture(scope="module")
def browser_session(
    neo4j_test_server: Neo4jTestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserSession]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    chromium = chromium_path()
    if chromium is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    http_url = neo4j_test_server.http_url
    if not http_url:
        unavailable("the Browser's URL of this Neo4j is unknown: set NEO4J_HTTP_URL with NEO4J_URI")
    credentials = neo4j_test_server.credentials
    bolt = urllib.parse.urlsplit(credentials.uri)
    connect_url = f"{bolt.scheme}://{urllib.parse.quote(credentials.user)}@{bolt.netloc}"
    browser_url = f"{http_url.rstrip('/')}/browser/?connectURL={urllib.parse.quote(connect_url, safe='')}"

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh profile: no state from earlier runs
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 950},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(browser_url)
            page.fill("[data-testid=boltaddress]", bolt.netloc)
            page.fill("[data-testid=username]", credentials.user)
            page.fill("[data-testid=password]", credentials.password.get_secret_value())
            page.click("[data-testid=connect]")
            page.wait_for_selector("text=You are connected as user")
            yield BrowserSession(page)
        finally:
            context.close()


@pytest.fixture(scope="module")
def guide_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    httpd = GuideServer(Settings(data_dir=tmp_path_factory.mktemp("guide"), browser_guide_port=0)).bind()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}/kgcrm-guide.html"
    httpd.shutdown()
    httpd.server_close()


def _best_known_person(graph: SeededGraph, tenant_id: str) -> str:
    """The full name (from the CRM, in SQL) of the tenant's person with the most KNOWS ties."""
    engine = sa.create_engine(f"sqlite:///{graph.crm}")
    try:
        with engine.connect() as connection:
            first, last = connection.execute(
                sa.text(
                    "SELECT i.first_name, i.last_name FROM individual i "
                    "JOIN relationship r ON i.id IN (r.from_individual_id, r.to_individual_id) "
                    "WHERE i.tenant_id = :t GROUP BY i.id ORDER BY count(*) DESC, i.id LIMIT 1"
                ),
                {"t": tenant_id},
            ).one()
    finally:
        engine.dispose()
    return f"{first} {last}"


def test_saved_query_draws_people_with_styled_captions(
    browser_session: BrowserSession, seeded_graph: SeededGraph
) -> None:
    tenant = seeded_graph.tenants[0]  # "00 Set the parameters" picks the first tenant by name
    person = _best_known_person(seeded_graph, tenant.id)

    browser_session.run(style_command(grass()))
    browser_session.import_favorites(favorites_zip())
    browser_session.toggle_favorites_drawer()
    browser_session.open_favorites_folder(FAVORITES_FOLDER)
    browser_session.run_favorite(f"00 {SETUP_TITLE}")  # several statements: they run one after another
    deadline = time.monotonic() + 10
    while tenant.id not in browser_session.run(":params").inner_text():
        assert time.monotonic() < deadline, f"'00 {SETUP_TITLE}' did not set $tenant_id"
        time.sleep(0.5)
    browser_session.run(f":param person => {json.dumps(person)}")  # a Cypher string, quotes escaped
    frame = browser_session.run_favorite("02 A person's network")
    browser_session.toggle_favorites_drawer()
    drawn = browser_session.node_captions(frame)
    shot = browser_session.screenshot("browser-person-network.png")

    captions = {caption for caption, _ in drawn}
    assert person in captions, f"{person!r} not among the captions {sorted(captions)}"
    person_fill = node_style("Person").color
    organization_fill = node_style("Organization").color
    assert {fill.upper() for caption, fill in drawn if caption == person} == {person_fill}
    assert organization_fill in {fill.upper() for _, fill in drawn}  # where the network works now
    assert len(drawn) > 3 and shot.stat().st_size > 10_000


def test_guide_plays_and_runs_its_blocks_in_one_click(
    browser_session: BrowserSession, seeded_graph: SeededGraph, guide_url: str, neo4j_driver: neo4j.Driver
) -> None:
    guide = browser_session.run(f":play {guide_url}")
    guide.get_by_text(f"1 / {3 + len(QUERIES) + 1}").wait_for()

    def click_block(slide: int, starts_with: str) -> Any:
        guide.locator(f'[data-testid=carousel] li[aria-label="{slide}"]').click()
        block = guide.locator("pre.runnable", has_text=starts_with).first
        before = browser_session.frames().count()
        block.locator("i").first.click()  # the play icon Browser puts before each block
        return browser_session.wait_for_new_frames(before, 1, starts_with)

    click_block(1, ":style http")
    click_block(2, ":param tenant_id")
    pipeline_slide = 4 + [q.name for q in QUERIES].index("browser_pipeline")
    result = click_block(pipeline_slide, "MATCH (d:Opportunity)")
    tenant = seeded_graph.tenants[0]
    records, _, _ = neo4j_driver.execute_query(
        next(q for q in QUERIES if q.name == "browser_pipeline").cypher, {"tenant_id": tenant.id}
    )
    result.get_by_text(f'"{records[0]["stage"]}"').first.wait_for()  # the table shows strings quoted
    network_slide = 4 + [q.name for q in QUERIES].index("browser_person_network")
    graph = click_block(network_slide, "MATCH (p:Person)")
    drawn = browser_session.node_captions(graph)
    guide.locator('[data-testid=carousel] li[aria-label="2"]').click()
    guide.scroll_into_view_if_needed()
    browser_session.screenshot("browser-guide.png")

    assert any(fill.upper() == node_style("Person").color for _, fill in drawn)
    assert all(caption for caption, _ in drawn)
