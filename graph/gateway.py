"""The one gateway to Neo4j.

Every query kgcrm runs goes through :class:`GraphGateway`: it names the query in
the logs (never its parameters: they may hold customer data), applies the
timeout and read/write routing, and turns driver errors into kgcrm's own
errors. The driver is built once by the caller and passed in.

With a :class:`~kgcrm.core.breaker.CircuitBreaker` (the API passes one), a query that
finds Neo4j unreachable opens the circuit: the queries of the next seconds fail
at once with :class:`Neo4jUnavailable` instead of each waiting for a connection.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import neo4j
from neo4j import Driver, ManagedTransaction, Query, RoutingControl
from neo4j.exceptions import (
    AuthError,
    DatabaseUnavailable,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from kgcrm.core.breaker import CircuitBreaker
from kgcrm.core.errors import GraphQueryError, KgcrmError, Neo4jUnavailable, SchemaError
from kgcrm.graph.credentials import Neo4jCredentials

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How to fix a graph without its schema (every sync applies it; ``graph init`` is the explicit command).
SCHEMA_FIX = "run `kgcrm graph init` (or `kgcrm sync`, which applies the graph schema first)"
_MISSING_INDEX = re.compile(r"no such (\w+) schema index: ?['`\"]?([\w.-]+)", re.IGNORECASE)
_INDEX_NOT_READY = re.compile(r"index\b.*\b(?:is not online|still populating|is populating)", re.IGNORECASE)

#: A retried read waits this long first, then twice as long each time (with this much jitter either way).
FIRST_RETRY_DELAY_S = 0.1
RETRY_JITTER = 0.2

#: How the driver says that no pooled connection became free within its acquisition timeout.
_POOL_EXHAUSTED = "failed to obtain a connection from the pool"


def make_driver(credentials: Neo4jCredentials, **config: Any) -> Driver:
    """Build a driver (no I/O: the first query connects)."""
    return neo4j.GraphDatabase.driver(
        credentials.uri,
        auth=credentials.auth,
        user_agent="kgcrm",
        notifications_min_severity="OFF",  # schema hints on an empty graph are noise in the logs
        **config,
    )


class GraphGateway:
    """Named, timed, routed queries against one Neo4j database."""

    def __init__(
        self,
        driver: Driver,
        *,
        database: str = "neo4j",
        timeout_s: float = 30.0,
        breaker: CircuitBreaker | None = None,
        read_retry_s: float = 0.0,
    ) -> None:
        if read_retry_s < 0:
            raise ValueError(f"read_retry_s must not be negative, got {read_retry_s}")
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s
        self.breaker = breaker
        self.read_retry_s = read_retry_s

    def read(
        self, name: str, cypher: str, params: Mapping[str, Any] | None = None, *, plain: bool = False
    ) -> list[dict[str, Any]]:
        """Run a read-only query on a read-routed session; rows as dicts.

        ``plain``: the query returns values only (no node, relationship or path, at any depth), so its rows
        are taken as the driver decoded them, without the driver's record export (``Record.data()`` walks
        every nested value in Python: most of the decoding cost of large nested rows).

        A read runs as one auto-commit transaction in read access mode (Neo4j refuses a write in it):
        one round trip, where a managed transaction takes two (its COMMIT is a second) and costs the
        server a transaction's bookkeeping more: half the CPU of a small query, both sides together
        (``bench/RESULTS.md``, ``resolve_load_s8``). It shares the driver's bookmarks with
        :meth:`write`, so a read follows the writes before it on a cluster too. A read is idempotent:
        a retryable failure (a connection lost, a leader switch, a transient error) is run again, with
        the driver's backoff, for up to ``read_retry_s`` seconds (the driver's
        ``max_transaction_retry_time`` applies to :meth:`write`)."""
        records = self._call(name, "query", lambda: self._read_retried(cypher, params))
        return _rows(records, plain=plain)

    def write(self, name: str, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query that writes, in its own transaction (managed: the driver retries it); rows as dicts."""
        records = self._call(
            name,
            "query",
            lambda: (
                self.driver.execute_query(
                    Query(cypher, timeout=self.timeout_s),
                    dict(params or {}),
                    routing_=RoutingControl.WRITE,
                    database_=self.database,
                ).records
            ),
        )
        return _rows(records, plain=False)

    def write_transaction(self, name: str, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed (retried) write transaction."""

        def run() -> T:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self._call(name, "transaction", run)

    def _call(self, name: str, kind: str, work: Callable[[], T]) -> T:
        """``work()`` behind the circuit breaker, timed in the log (``neo4j <kind> <name> took …``), with the
        driver's errors turned into kgcrm's."""
        started = time.perf_counter()
        self._allow()
        try:
            result = work()
        except Neo4jError as exc:
            raise self._translate(name, exc) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._unavailable(name, exc) from exc
        finally:
            log.debug("neo4j %s %s took %.1f ms", kind, name, (time.perf_counter() - started) * 1e3)
        self._answered()
        return result

    def _read_retried(self, cypher: str, params: Mapping[str, Any] | None) -> list[neo4j.Record]:
        query = Query(cypher, timeout=self.timeout_s)
        parameters = dict(params or {})
        delays = _retry_delays()
        deadline = time.monotonic() + self.read_retry_s
        while True:
            try:
                with self.driver.session(
                    database=self.database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    return list(session.run(query, parameters))
            except (Neo4jError, DriverError) as exc:
                delay = next(delays)
                if not exc.is_retryable() or time.monotonic() + delay > deadline:
                    raise
                log.warning("a Neo4j read failed and is retried in %.2f s: %s", delay, type(exc).__name__)
                time.sleep(delay)

    # --- the circuit breaker -----------------------------------------------------------------

    def _allow(self) -> None:
        if self.breaker is not None:
            self.breaker.allow()

    def _answered(self) -> None:
        if self.breaker is not None:
            self.breaker.record_success()

    def _unavailable(self, name: str, exc: BaseException, reason: str | None = None) -> Neo4jUnavailable:
        if self.breaker is not None:
            self.breaker.record_failure()
        return Neo4jUnavailable(f"{reason or 'Neo4j is unavailable'} (while running '{name}'): {exc}")

    def _translate(self, name: str, error: Neo4jError) -> KgcrmError:
        if isinstance(error, AuthError):
            return self._unavailable(name, error, "Neo4j refused the credentials")
        if isinstance(error, DatabaseUnavailable):  # the server answers, its database does not (stopping, starting)
            return self._unavailable(name, error)
        if error.code is None and str(error.message or "").startswith(_POOL_EXHAUSTED):
            # no connection within connection_acquisition_timeout: a server that accepts and never answers
            # (a hung Neo4j), or every connection busy. Either way the next requests should not wait too.
            return self._unavailable(name, error, "Neo4j gave no connection in time")
        self._answered()  # Neo4j answered (a syntax error, a constraint, a timeout): it is up
        message = error.message or ""
        if missing := _MISSING_INDEX.search(message):
            kind, index = missing.groups()
            return SchemaError(f"the graph has no {kind.lower()} index '{index}' (query '{name}'): {SCHEMA_FIX}")
        if _INDEX_NOT_READY.search(message):
            return SchemaError(f"a graph index is still being built (query '{name}'): retry shortly")
        return GraphQueryError(name, error.code, error.message)


def _rows(records: list[neo4j.Record], *, plain: bool) -> list[dict[str, Any]]:
    if plain:
        return [dict(zip(record.keys(), record.values(), strict=True)) for record in records]
    return [record.data() for record in records]


def _retry_delays() -> Iterator[float]:
    """The driver's backoff between attempts: 0.1 s, doubling, ±20 % jitter."""
    delay = FIRST_RETRY_DELAY_S
    while True:
        yield delay * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)
        delay *= 2
