"""The graph schema: constraints, range, fulltext and vector indexes.

The statements live in ``cypher/schema.cypher`` and ``cypher/vector_index.cypher``;
:func:`apply_schema` runs them (all idempotent) and waits until every index is
online, so that the first query after ``kgcrm graph init`` is served by them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kgcrm import cypher
from kgcrm.core.errors import SchemaError
from kgcrm.graph.gateway import GraphGateway


@dataclass(frozen=True)
class IndexState:
    name: str
    type: str
    state: str
    population_percent: float


def apply_schema(gateway: GraphGateway, *, dimensions: int, timeout_s: int = 300) -> list[IndexState]:
    """Create every constraint and index (idempotent), then wait until all are online."""
    for number, statement in enumerate(cypher.statements("schema"), start=1):
        gateway.write(f"schema#{number}", statement)
    name = "vector_index_filtered" if supports_filtered_vector_index(server_version(gateway)) else "vector_index"
    gateway.write(name, cypher.load(name).strip().rstrip(";"), {"dimensions": dimensions})
    return await_indexes(gateway, timeout_s=timeout_s)


def server_version(gateway: GraphGateway) -> tuple[int, ...]:
    """The Neo4j kernel version as numbers, e.g. (5, 26, 0) or (2026, 9, 0)."""
    rows = gateway.read(
        "server_version",
        "CALL dbms.components() YIELD name, versions WHERE name = 'Neo4j Kernel' RETURN versions[0] AS version",
    )
    text = rows[0]["version"] if rows else "0"
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def supports_filtered_vector_index(version: tuple[int, ...]) -> bool:
    """In-index filter properties (``WITH [m.tenant_id]``) came with the 2026.01 line."""
    return version >= (2026, 1)


def await_indexes(gateway: GraphGateway, *, timeout_s: int = 300) -> list[IndexState]:
    """Wait until every index is ONLINE; raise SchemaError naming any that failed."""
    gateway.write("await_indexes", "CALL db.awaitIndexes($timeout)", {"timeout": timeout_s})
    states = index_states(gateway)
    failed = [s for s in states if s.state != "ONLINE"]
    if failed:
        names = ", ".join(f"{s.name} ({s.state})" for s in failed)
        raise SchemaError(f"indexes not online after {timeout_s}s: {names}")
    return states


def index_states(gateway: GraphGateway) -> list[IndexState]:
    rows = gateway.read(
        "show_indexes",
        "SHOW INDEXES YIELD name, type, state, populationPercent "
        "RETURN name, type, state, populationPercent ORDER BY name",
    )
    return [IndexState(r["name"], r["type"], r["state"], float(r["populationPercent"] or 0.0)) for r in rows]
