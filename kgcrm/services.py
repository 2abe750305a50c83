"""The composition root: the backing services, built from the settings, for the CLI and the API alike.

Library code never builds these itself: it takes an engine, a driver or a gateway as an
argument. Everything is built here, from :class:`~kgcrm.core.settings.Settings`, and every
setting that concerns it is honoured:

- :func:`database_engine`: the relational CRM's engine (``database_url``);
- :func:`graph_driver`: **the one place the Neo4j driver is built** (``neo4j_uri``,
  credentials, ``neo4j_retry_s``; a server's short ``api_neo4j_*`` timeouts and retry), and
  :func:`gateway_over` the gateway over it (``neo4j_database``, ``neo4j_query_timeout_s``, the same retry
  time for its reads);
- a server's circuit breakers (``api_breaker_open_s``): on its gateway and on its engine's
  connections (``api_database_*`` timeouts), so that a request during an outage is refused
  at once with a 503 and ``Retry-After``, whatever the concurrency;
- :func:`query_embedder`: the query-embedding function over a loaded model
  (``embedding_model``, loaded by :func:`kgcrm.core.embedding.load_embedding_model`);
- :func:`retrieval_stack` (a command) and :func:`build_services` (the API's lifespan, the
  MCP server): the retrieval stack, with the chat model the settings configure.

Nothing connects while building: the first query does. A command uses
:func:`graph_gateway` (a gateway whose driver closes on exit) and :func:`retrieval_stack`;
a server builds :class:`Services` once and closes them at shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from neo4j import Driver

from kgcrm.core.breaker import CircuitBreaker
from kgcrm.core.errors import ConfigurationError, DatabaseUnavailable, Neo4jUnavailable
from kgcrm.core.settings import Settings
from kgcrm.crm.database import guard_engine, make_engine
from kgcrm.graph.gateway import FIRST_RETRY_DELAY_S, GraphGateway, make_driver
from kgcrm.graph.server import neo4j_credentials
from kgcrm.retrieval.cache import AnswerCache, GraphVersion
from kgcrm.retrieval.connections import ConnectionFinder, SearchLimits
from kgcrm.retrieval.semantic_layer.parser import warm_up as warm_up_question_parser
from kgcrm.retrieval.stack import RetrievalStack, build_stack, utc_now
from kgcrm.retrieval.suggestions import SuggestionEngine, SuggestionSettings

log = logging.getLogger(__name__)


def database_engine(settings: Settings, *, server: bool = False) -> sa.Engine:
    """The relational CRM's engine (no connection is made until first use).

    ``server``: short connect and pool timeouts (``api_database_*``), so that a request fails fast.
    """
    if not server:
        return make_engine(settings.sqlalchemy_url)
    return make_engine(
        settings.sqlalchemy_url,
        connect_timeout_s=settings.api_database_connect_timeout_s,
        pool_timeout_s=settings.api_database_pool_timeout_s,
    )


def server_driver_config(settings: Settings) -> dict[str, float]:
    """The Neo4j driver's options for a server: short timeouts and retries (a request fails in about a second)."""
    retry_s = settings.api_neo4j_retry_s
    return {
        "connection_timeout": settings.api_neo4j_connect_timeout_s,
        "connection_acquisition_timeout": settings.api_neo4j_acquisition_timeout_s,
        "max_transaction_retry_time": retry_s,
        # the gateway's first pause for writes too (the driver's default, 1 s, would outlast a server's retry time)
        "initial_retry_delay": min(FIRST_RETRY_DELAY_S, retry_s) if retry_s else FIRST_RETRY_DELAY_S,
    }


def graph_driver(settings: Settings, *, server: bool = False) -> Driver:
    """The Neo4j driver of the settings (no I/O: the first query connects).

    ``server``: for the API and the MCP server, which answer 503 quickly rather than wait for
    Neo4j (:func:`server_driver_config`); a command waits ``neo4j_retry_s``.
    """
    if server:
        return make_driver(neo4j_credentials(settings), **server_driver_config(settings))
    return make_driver(neo4j_credentials(settings), max_transaction_retry_time=settings.neo4j_retry_s)


def gateway_over(
    driver: Driver, settings: Settings, breaker: CircuitBreaker | None = None, *, server: bool = False
) -> GraphGateway:
    """The gateway over ``driver``, with the settings' database, query timeout and read retry time (and a
    server's breaker); ``server`` as for :func:`graph_driver`."""
    return GraphGateway(
        driver,
        database=settings.neo4j_database,
        timeout_s=settings.neo4j_query_timeout_s,
        breaker=breaker,
        read_retry_s=settings.api_neo4j_retry_s if server else settings.neo4j_retry_s,
    )


@contextmanager
def graph_gateway(settings: Settings) -> Iterator[GraphGateway]:
    """A command's gateway, over a driver that is closed on exit."""
    driver = graph_driver(settings)
    try:
        yield gateway_over(driver, settings)
    finally:
        driver.close()


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


def _chat_model(settings: Settings) -> Any | None:
    from kgcrm.retrieval.llm import chat_model_from_settings

    return chat_model_from_settings(settings)


def retrieval_stack(settings: Settings, gateway: GraphGateway, *, semantic: bool = True) -> RetrievalStack:
    """A command's retrieval stack over ``gateway``; ``semantic=False`` skips loading the embedding model."""
    embed = None
    if semantic:
        from kgcrm.core.embedding import load_embedding_model

        embed = query_embedder(SerializedModel(load_embedding_model(settings)))
    return build_stack(
        gateway,
        embed=embed,
        chat_model=_chat_model(settings),
        values_refresh_s=settings.ask_values_refresh_s,
        context_tokenizer=settings.context_tokenizer,
    )


@dataclass
class Services:
    """What a server (the API, the MCP server) uses; ``close`` releases what :func:`build_services` opened."""

    settings: Settings
    engine: sa.Engine
    gateway: GraphGateway
    stack: RetrievalStack
    cache: AnswerCache | None = None  # resolutions and paths, while the graph is unchanged
    neo4j_breaker: CircuitBreaker | None = None  # on the gateway built here
    database_breaker: CircuitBreaker | None = None  # on the engine's connections
    embedding_model: Any | None = None  # a SerializedModel, for the sync's embedding pipeline
    embedding_error: str | None = None  # why there is no model (None: loaded, or not wanted)
    sync_lock: threading.Lock = field(default_factory=threading.Lock)  # one sync at a time in this process
    closers: list[Callable[[], None]] = field(default_factory=list)
    # threads for the queries one request runs side by side (suggestions), shared by the requests; shut down last
    workers: Executor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=16, thread_name_prefix="side"))

    def close(self) -> None:
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception as exc:  # closing must go on: report and continue
                log.warning("closing a service failed: %s", exc)
        self.workers.shutdown()


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
    """A server's services: built (or taken) once; what is built here is closed by ``Services.close``.

    Building makes no connection (the first request does): a server starts while Neo4j
    or the database is down, and its readiness says so. The embedding model is optional
    at run time: when it cannot be loaded (the ``embeddings`` extra is not installed),
    search and resolution use their fulltext half and ``embedding_error`` says why.

    ``embedding_model``: an already-loaded model (tests load one per module);
    ``load_embeddings=False``: no model (fulltext-only search, no entity embeddings).
    ``chat_model``: the LLM of text-to-Cypher; by default the one the settings
    configure (``KGCRM_LLM_BASE_URL``/``KGCRM_LLM_MODEL``), or none.
    """
    closers: list[Callable[[], None]] = []
    warm_up_question_parser()  # the question parser's word lists, loaded once here rather than by the first question
    if engine is None:
        engine = database_engine(settings, server=True)
        closers.append(engine.dispose)
    database_breaker = CircuitBreaker(
        "the relational database", open_s=settings.api_breaker_open_s, unavailable=DatabaseUnavailable
    )
    closers.append(guard_engine(engine, database_breaker))  # (a given engine too; taken off at close)
    neo4j_breaker = None
    if gateway is None:
        driver = graph_driver(settings, server=True)
        closers.append(driver.close)
        neo4j_breaker = CircuitBreaker("Neo4j", open_s=settings.api_breaker_open_s, unavailable=Neo4jUnavailable)
        gateway = gateway_over(driver, settings, neo4j_breaker, server=True)
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
        chat_model = _chat_model(settings)
    stack = build_stack(
        gateway,
        embed=query_embedder(model) if model is not None else None,
        clock=clock,
        chat_model=chat_model,
        values_refresh_s=settings.ask_values_refresh_s,
        connections_strategy=settings.connections_strategy,
        context_tokenizer=settings.context_tokenizer,
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
        neo4j_breaker=neo4j_breaker,
        database_breaker=database_breaker,
        embedding_model=model,
        embedding_error=error,
        closers=closers,
    )


# --- suggestions (issue 14) ----------------------------------------------------------------------


def suggestion_engine(
    settings: Settings, gateway: GraphGateway, stack: RetrievalStack, workers: Executor | None = None
) -> SuggestionEngine:
    """The suggestions of ``GET /v1/suggestions`` and ``kgcrm suggest``, with the settings' thresholds
    (no I/O: cheap enough to build per request); ``workers``: a server's shared threads (``Services.workers``)."""
    # warm intros: a narrower search than /v1/connections' (a suggestion needs one good path, fast)
    # and the stack's cache of the team's side of a search (the same computation, per tenant, team and day, while
    # the sync's checkpoint stands still): without it every warm-intro candidate walked a user's whole 2-hop network
    paths = ConnectionFinder(
        gateway, clock=stack.connections.clock, limits=SUGGESTION_SEARCH, team_ties=stack.connections.team_ties
    )
    return SuggestionEngine(
        gateway,
        paths=paths,
        settings=suggestion_settings(settings),
        clock=stack.connections.clock,
        workers=workers,
    )


#: The warm-intro search's bounds (kgcrm.retrieval.connections.SearchLimits; defaults 40/25/10/300/300).
SUGGESTION_SEARCH = SearchLimits(beam_width=8, per_kind=8, per_coworkers=5, org_people=50, bridge_width=50)


def suggestion_settings(settings: Settings) -> SuggestionSettings:
    """The suggestions' thresholds, from the settings ``suggest_*``."""
    return SuggestionSettings(
        deal_silent_days=settings.suggest_deal_silent_days,
        deal_stale_days=settings.suggest_deal_stale_days,
        cooling_window_days=settings.suggest_cooling_window_days,
        cooling_min_previous=settings.suggest_cooling_min_previous,
        meeting_followup_days=settings.suggest_meeting_followup_days,
        review_band_low=settings.suggest_review_band_low,
        review_band_high=settings.suggest_review_band_high,
        warm_intro_candidates=settings.suggest_warm_intro_candidates,
    )
