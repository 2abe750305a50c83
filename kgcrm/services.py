"""The composition root: build the backing services from the settings, once.

Library code never builds these itself: it takes an engine, a driver or a
gateway as an argument. The CLI (and later the API's lifespan) calls these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from kgcrm.core.errors import NotFoundError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.crm.models import AppUser, Tenant
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import neo4j_credentials
from kgcrm.retrieval.stack import RetrievalStack, build_stack


def database_engine(settings: Settings) -> sa.Engine:
    """The relational CRM's engine (no connection is made until first use)."""
    return make_engine(settings.sqlalchemy_url)


@contextmanager
def graph_gateway(settings: Settings) -> Iterator[GraphGateway]:
    """A gateway over a driver that is closed on exit."""
    driver = make_driver(neo4j_credentials(settings), max_transaction_retry_time=settings.neo4j_retry_s)
    try:
        yield GraphGateway(driver, database=settings.neo4j_database, timeout_s=settings.neo4j_query_timeout_s)
    finally:
        driver.close()


def query_embedder(settings: Settings) -> Callable[[str], list[float]]:
    """Embeds query text with the configured model (loaded here, once per call of this function)."""
    from kgcrm.core.embedding import load_embedding_model

    model = load_embedding_model(settings)

    def embed(text: str) -> list[float]:
        return [float(x) for x in model.encode(text, normalize_embeddings=True, convert_to_numpy=True)]

    return embed


def retrieval_stack(settings: Settings, gateway: GraphGateway, *, semantic: bool = True) -> RetrievalStack:
    """The retrieval stack over ``gateway``; ``semantic=False`` skips loading the embedding model."""
    from kgcrm.retrieval.llm import chat_model_from_settings

    embed = query_embedder(settings) if semantic else None
    return build_stack(gateway, embed=embed, chat_model=chat_model_from_settings(settings))


def tenant_and_user(engine: sa.Engine, slug: str, email: str | None) -> tuple[str, str | None]:
    """The tenant's id and the user's (by e-mail, any case)."""
    tenants, users = Tenant.__table__, AppUser.__table__
    with engine.connect() as conn:
        tenant_id = conn.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).scalar_one_or_none()
        if tenant_id is None:
            raise NotFoundError(f"tenant '{slug}' does not exist")
        if email is None:
            return str(tenant_id), None
        user_id = conn.execute(
            sa.select(users.c.id).where(
                users.c.tenant_id == tenant_id, sa.func.lower(users.c.email) == email.strip().lower()
            )
        ).scalar_one_or_none()
    if user_id is None:
        raise NotFoundError(f"tenant '{slug}' has no user with e-mail '{email}'")
    return str(tenant_id), str(user_id)
