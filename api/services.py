"""The backing services of the API, built once (by the app's lifespan) and shared by every request.

:func:`build_services` is the API's composition root: the SQL engine, the Neo4j driver
and its gateway, the embedding model and the retrieval stack. Nothing here runs at
import time, and building makes no connection (the first request does): the API starts
while Neo4j or the database is down, and ``/readyz`` says so.

The embedding model is optional at run time: when it cannot be loaded (the
``embeddings`` extra is not installed), search and resolution fall back to their
fulltext half and ``/readyz`` reports the model as an error, without failing readiness.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from kgcrm.core.errors import ConfigurationError
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import neo4j_credentials
from kgcrm.retrieval.cache import AnswerCache, GraphVersion
from kgcrm.retrieval.stack import RetrievalStack, build_stack, utc_now
from kgcrm.services import database_engine

log = logging.getLogger(__name__)

#: How long the driver retries a query while Neo4j does not answer: a request fails fast (503), not after 30 s.
NEO4J_RETRY_S = 5.0


class SerializedModel:
    """A sentence-transformers model whose ``encode`` runs one call at a time.

    Its fast tokenizer must not be used by two threads at once ("Already borrowed"):
    the request threads (query embeddings) and the sync's embedding pipeline share
    this one wrapper. A query is a few milliseconds of CPU, so waiting is short.
    """

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self._model.encode(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def query_embedder(model: Any) -> Callable[[str], Sequence[float]]:
    """The query-embedding function of the retrievers: normalised, like the sync's entity embeddings."""

    def embed(text: str) -> Sequence[float]:
        vectors = model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return [float(x) for x in vectors[0]]

    return embed


@dataclass
class Services:
    """What the routes use; ``close`` releases what :func:`build_services` opened."""

    settings: Settings
    engine: sa.Engine
    gateway: GraphGateway
    stack: RetrievalStack
    cache: AnswerCache | None = None  # resolutions and paths, while the graph is unchanged
    embedding_model: Any | None = None  # a SerializedModel, for the sync's embedding pipeline
    embedding_error: str | None = None  # why there is no model (None: loaded, or not wanted)
    sync_lock: threading.Lock = field(default_factory=threading.Lock)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as exc:  # closing must go on: report and continue
                log.warning("closing a service failed: %s", exc)


def build_services(
    settings: Settings,
    *,
    engine: sa.Engine | None = None,
    gateway: GraphGateway | None = None,
    load_embeddings: bool = True,
    embedding_model: Any | None = None,
    clock: Callable[[], datetime] = utc_now,
    chat_model: Any | None = None,
    chat_from_settings: bool = True,
) -> Services:
    """Build (or take) every service; what is built here is closed by ``Services.close``.

    ``embedding_model``: an already-loaded model (tests load one per module);
    ``load_embeddings=False``: no model (fulltext-only search, no entity embeddings).
    ``chat_model``: the LLM of text-to-Cypher; by default the one the environment
    configures (``KGCRM_LLM_BASE_URL``/``KGCRM_LLM_MODEL``), or none.
    """
    closers: list[Callable[[], None]] = []
    if engine is None:
        engine = database_engine(settings)
        closers.append(engine.dispose)
    if gateway is None:
        driver = make_driver(neo4j_credentials(settings), max_transaction_retry_time=NEO4J_RETRY_S)
        closers.append(driver.close)
        gateway = GraphGateway(driver, database=settings.neo4j_database, timeout_s=settings.neo4j_query_timeout_s)
    error = None
    if embedding_model is None and load_embeddings:
        from kgcrm.core.embedding import load_embedding_model

        try:
            embedding_model = load_embedding_model(settings)
        except ConfigurationError as exc:
            error = str(exc)
            log.warning("no embedding model: search and resolution use fulltext only (%s)", exc)
    model = SerializedModel(embedding_model) if embedding_model is not None else None
    if chat_model is None and chat_from_settings:
        from kgcrm.retrieval.llm import chat_model_from_settings

        chat_model = chat_model_from_settings(settings)
    stack = build_stack(
        gateway, embed=query_embedder(model) if model is not None else None, clock=clock, chat_model=chat_model
    )
    cache = None
    if settings.api_cache_entries:
        cache = AnswerCache(
            GraphVersion(gateway), max_entries=settings.api_cache_entries, max_age_s=settings.api_cache_max_age_s
        )
    return Services(
        settings=settings,
        engine=engine,
        gateway=gateway,
        stack=stack,
        cache=cache,
        embedding_model=model,
        embedding_error=error,
        closers=closers,
    )
