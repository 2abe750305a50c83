"""The API reference works offline: /docs (Swagger UI) and /redoc, in headless Chromium, with no network.

A real uvicorn on 127.0.0.1 with ``kgcrm serve``'s options serves the app; Debian's Chromium
(driven by playwright, as the Neo4j Browser test does) loads the pages with every request
outside loopback refused twice over: the browser's proxy is a dead loopback port (Chromium
never proxies loopback), and every request the page makes is intercepted, recorded and, unless
its host is loopback, aborted. FastAPI's default pages load Swagger UI and ReDoc from a CDN:
with them, nothing would render here. Neo4j is not needed (the pages, the schema and /healthz
touch no database).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from bench.outage import free_port, serve
from kgcrm.api.app import create_app
from kgcrm.api.protocol import UVICORN_OPTIONS
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.services import build_services
from tests.support.chromium import CHROMIUM_FLAGS, TIMEOUT_MS, artifacts_dir, chromium_path, unavailable

pytestmark = pytest.mark.slow

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: The one outside request ReDoc makes: its "API docs by Redocly" logo, refused here (the page renders without it).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
METHODS = {"get", "put", "post", "delete", "patch"}


@dataclass
class Api:
    url: str
    schema: dict[str, Any]


@pytest.fixture(scope="module")
def api(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("docs")
    path = directory / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    credentials = Neo4jCredentials(f"bolt://127.0.0.1:{free_port()}", "neo4j", SecretStr("unused-password"))
    driver = make_driver(credentials, max_transaction_retry_time=0, connection_timeout=1.0)
    settings = Settings(environment="test", data_dir=directory)
    services = build_services(
        settings, engine=engine, gateway=GraphGateway(driver), load_embeddings=False, chat_from_settings=False
    )
    app = create_app(settings, services=services)
    try:
        with serve(app, **UVICORN_OPTIONS) as url:
            yield Api(url, app.openapi())
    finally:
        services.close()
        driver.close()
        engine.dispose()


@dataclass
class Offline:
    """A Chromium page whose every request outside loopback is refused (and recorded)."""

    page: Any
    loaded: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    chromium = chromium_path()
    if chromium is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            # no network but loopback: a dead proxy for everything else (loopback is never proxied)
            args=[*CHROMIUM_FLAGS, "--proxy-server=http://127.0.0.1:9"],
            viewport={"width": 1400, "height": 950},
        )
        state = Offline(page=None)

        def guard(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).hostname in LOOPBACK:
                state.loaded.append(url)
                route.continue_()
            else:
                state.refused.append(url)
                route.abort("internetdisconnected")

        try:
            context.route("**/*", guard)
            state.page = context.new_page()
            state.page.set_default_timeout(TIMEOUT_MS)
            yield state
        finally:
            context.close()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(tag, operationId, path) of every operation of the schema."""
    return [
        (operation["tags"][0], operation["operationId"], path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_swagger_ui_lists_the_operations_and_runs_healthz_offline(api, offline):
    page = offline.page
    page.goto(f"{api.url}/docs")
    page.wait_for_selector(".opblock")

    shown = page.eval_on_selector_all(".opblock", "blocks => blocks.map(b => b.id)")
    expected = [f"operations-{tag}-{operation_id}" for tag, operation_id, _ in operations(api.schema)]
    assert sorted(shown) == sorted(expected)
    assert len(expected) >= 17
    assert page.locator(".info .title").inner_text().startswith("kgcrm")

    healthz = page.locator("#operations-health-healthz_healthz_get")
    healthz.locator(".opblock-summary").first.click()
    healthz.locator("button.try-out__btn").click()
    healthz.locator("button.execute").click()
    status = healthz.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    body = healthz.locator(".live-responses-table tbody .response-col_description pre").first.inner_text()
    assert json.loads(body) == {"status": "ok"}
    page.screenshot(path=str(artifacts_dir() / "api-docs-swagger.png"))

    assert f"{api.url}/healthz" in offline.loaded  # the page itself called the API
    assert any(url.endswith("/static-offline-docs/swagger-ui-bundle.js") for url in offline.loaded)
    assert offline.refused == []  # nothing outside loopback was even asked for


def test_redoc_renders_every_operation_offline(api, offline):
    page = offline.page
    page.goto(f"{api.url}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']")

    sections = page.eval_on_selector_all(
        "[data-section-id^='operation/']", "sections => sections.map(s => s.getAttribute('data-section-id'))"
    )
    expected = {f"operation/{operation_id}" for _, operation_id, _ in operations(api.schema)}
    assert set(sections) == expected
    for _, operation_id, path in operations(api.schema):  # each operation drawn with its path
        section = page.locator(f"[data-section-id='operation/{operation_id}']")
        assert path in section.inner_text(), operation_id
    healthz = page.locator("[data-section-id='operation/healthz_healthz_get']")
    assert "Liveness: the process answers (no I/O)" in healthz.inner_text()
    assert healthz.is_visible()
    page.screenshot(path=str(artifacts_dir() / "api-docs-redoc.png"))

    assert any(url.endswith("/static-offline-docs/redoc.standalone.js") for url in offline.loaded)
    assert set(offline.refused) <= {REDOC_LOGO}  # only ReDoc's own logo, refused: the page works without it
