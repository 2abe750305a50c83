"""The composition root: build the backing services from the settings, once.

Library code never builds these itself: it takes an engine, a driver or a
gateway as an argument. The CLI (and later the API's lifespan) calls these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from crm.database import make_engine
from graph.gateway import GraphGateway, make_driver
from graph.server import neo4j_credentials
from kgcrm.settings import Settings


def database_engine(settings: Settings) -> sa.Engine:
    """The relational CRM's engine (no connection is made until first use)."""
    return make_engine(settings.sqlalchemy_url)


@contextmanager
def graph_gateway(settings: Settings) -> Iterator[GraphGateway]:
    """A gateway over a driver that is closed on exit."""
    driver = make_driver(neo4j_credentials(settings))
    try:
        yield GraphGateway(driver, database=settings.neo4j_database, timeout_s=settings.neo4j_query_timeout_s)
    finally:
        driver.close()
