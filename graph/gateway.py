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
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import neo4j
from neo4j import Driver, ManagedTransaction, Query, RoutingControl
from neo4j.exceptions import AuthError, DatabaseUnavailable, Neo4jError, ServiceUnavailable, SessionExpired

from kgcrm.core.breaker import CircuitBreaker
from kgcrm.core.errors import GraphQueryError, KgcrmError, Neo4jUnavailable, SchemaError
from kgcrm.graph.credentials import Neo4jCredentials

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How to fix a graph without its schema (every sync applies it; ``graph init`` is the explicit command).
SCHEMA_FIX = "run `kgcrm graph init` (or `kgcrm sync`, which applies the graph schema first)"
_MISSING_INDEX = re.compile(r"no such (\w+) schema index: ?['`\"]?([\w.-]+)", re.IGNORECASE)
_INDEX_NOT_READY = re.compile(r"index\b.*\b(?:is not online|still populating|is populating)", re.IGNORECASE)

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
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s
        self.breaker = breaker

    def read(
        self, name: str, cypher: str, params: Mapping[str, Any] | None = None, *, plain: bool = False
    ) -> list[dict[str, Any]]:
        """Run a read-only query on a read-routed session; rows as dicts.

        ``plain``: the query returns values only (no node, relationship or path, at any depth), so its rows
        are taken as the driver decoded them, without the driver's record export (``Record.data()`` walks
        every nested value in Python: most of the decoding cost of large nested rows)."""
        return self._run(name, cypher, params, RoutingControl.READ, plain=plain)

    def write(self, name: str, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query that writes, in its own transaction; rows as dicts."""
        return self._run(name, cypher, params, RoutingControl.WRITE)

    def write_transaction(self, name: str, work: Callable[[ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed (retried) write transaction."""
        started = time.perf_counter()
        self._allow()
        try:
            with self.driver.session(database=self.database) as session:
                result = session.execute_write(work)
        except Neo4jError as exc:
            raise self._translate(name, exc) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._unavailable(name, exc) from exc
        finally:
            log.debug("neo4j transaction %s took %.1f ms", name, (time.perf_counter() - started) * 1e3)
        self._answered()
        return result

    def _run(
        self,
        name: str,
        cypher: str,
        params: Mapping[str, Any] | None,
        routing: RoutingControl,
        *,
        plain: bool = False,
    ) -> list[dict[str, Any]]:
        started = time.perf_counter()
        self._allow()
        try:
            records, _, _ = self.driver.execute_query(
                Query(cypher, timeout=self.timeout_s),
                dict(params or {}),
                routing_=routing,
                database_=self.database,
            )
        except Neo4jError as exc:
            raise self._translate(name, exc) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise self._unavailable(name, exc) from exc
        finally:
            log.debug("neo4j query %s took %.1f ms", name, (time.perf_counter() - started) * 1e3)
        self._answered()
        if plain:
            return [dict(zip(record.keys(), record.values(), strict=True)) for record in records]
        return [record.data() for record in records]

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
