"""The graph schema: constraints, range, fulltext and vector indexes.

The statements live in ``cypher/schema.cypher`` and ``cypher/vector_index.cypher``;
:func:`apply_schema` runs them (all idempotent) and waits until every index is
online, so that the first query after ``kgcrm graph init`` is served by them.

:func:`ensure_schema` is what every sync runs first: it reads ``SHOW CONSTRAINTS`` and
``SHOW INDEXES`` once, applies only the statements whose constraint or index is
missing, and waits for the indexes that are not online yet; on a graph that has its
schema it costs those two reads. :func:`schema_state` is the same check without any
change (``/readyz``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

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
    _create_vector_index(gateway, dimensions)
    return await_indexes(gateway, timeout_s=timeout_s)


#: The name each schema statement creates: ``CREATE CONSTRAINT tenant_id IF NOT EXISTS …``.
_CREATES = re.compile(r"\bCREATE\s+(?:CONSTRAINT|(?:[A-Z]+\s+)?INDEX)\s+(\w+)\s+IF\s+NOT\s+EXISTS", re.IGNORECASE)
#: The vector index, created by ``cypher/vector_index*.cypher`` (it needs the model's dimensions).
VECTOR_INDEX = "entity"


@dataclass(frozen=True)
class SchemaState:
    """What of the schema is in the graph: names missing, indexes populating or failed."""

    missing: tuple[str, ...] = ()
    populating: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    applied: tuple[str, ...] = field(default=(), compare=False)  # what ensure_schema created

    @property
    def ok(self) -> bool:
        return not (self.missing or self.populating or self.failed)

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append("missing: " + ", ".join(self.missing))
        if self.populating:
            parts.append("populating: " + ", ".join(self.populating))
        if self.failed:
            parts.append("failed: " + ", ".join(self.failed))
        return "; ".join(parts) or "ok"


def schema_statements() -> dict[str, str]:
    """Every schema statement of ``cypher/schema.cypher`` by the name it creates."""
    named: dict[str, str] = {}
    for statement in cypher.statements("schema"):
        match = _CREATES.search(statement)
        if match is None:
            raise SchemaError(f"cypher/schema.cypher: a statement creates nothing with a name: {statement[:80]}")
        named[match.group(1)] = statement
    return named


def schema_state(gateway: GraphGateway) -> SchemaState:
    """Which constraints and indexes of the schema are missing, populating or failed (reads only)."""
    constraints = {r["name"] for r in gateway.read("show_constraints", "SHOW CONSTRAINTS YIELD name RETURN name")}
    indexes = {s.name: s.state for s in index_states(gateway)}
    wanted = [*schema_statements(), VECTOR_INDEX]
    missing = tuple(name for name in wanted if name not in constraints and name not in indexes)
    populating = tuple(sorted(n for n, state in indexes.items() if state == "POPULATING"))
    failed = tuple(sorted(n for n, state in indexes.items() if state not in ("ONLINE", "POPULATING")))
    return SchemaState(missing=missing, populating=populating, failed=failed)


def ensure_schema(gateway: GraphGateway, *, dimensions: int, timeout_s: int = 300) -> SchemaState:
    """Apply what of the schema is missing, then wait until every index is online.

    Cheap when the schema is there (two reads). Raises :class:`SchemaError` when an
    index failed or did not come online within ``timeout_s``.
    """
    state = schema_state(gateway)
    if state.ok:
        return state
    statements = schema_statements()
    for name in state.missing:
        if name == VECTOR_INDEX:
            _create_vector_index(gateway, dimensions)
        else:
            gateway.write(f"schema:{name}", statements[name])
    await_indexes(gateway, timeout_s=timeout_s)
    return SchemaState(applied=state.missing)


def _create_vector_index(gateway: GraphGateway, dimensions: int) -> None:
    name = "vector_index_filtered" if supports_filtered_vector_index(server_version(gateway)) else "vector_index"
    gateway.write(name, cypher.load(name).strip().rstrip(";"), {"dimensions": dimensions})


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


def await_indexes(gateway: GraphGateway, *, timeout_s: float = 300, poll_s: float = 1.0) -> list[IndexState]:
    """Wait until every index is ONLINE; raise SchemaError naming any that failed or is not online after
    ``timeout_s``. It asks for the indexes' states every ``poll_s``: each ask is a short query, so a wait
    longer than the gateway's query timeout works (one ``db.awaitIndexes`` call was cut off by it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = index_states(gateway)
        failed = [s for s in states if s.state == "FAILED"]
        if failed:
            raise SchemaError(f"indexes failed: {', '.join(s.name for s in failed)}")
        waiting = [s for s in states if s.state != "ONLINE"]
        if not waiting:
            return states
        left = deadline - time.monotonic()
        if left <= 0:
            names = ", ".join(f"{s.name} ({s.state}, {s.population_percent:.0f} %)" for s in waiting)
            raise SchemaError(f"indexes not online after {timeout_s:g}s: {names}")
        time.sleep(min(poll_s, left))


def index_states(gateway: GraphGateway) -> list[IndexState]:
    rows = gateway.read(
        "show_indexes",
        "SHOW INDEXES YIELD name, type, state, populationPercent "
        "RETURN name, type, state, populationPercent ORDER BY name",
    )
    return [IndexState(r["name"], r["type"], r["state"], float(r["populationPercent"] or 0.0)) for r in rows]
