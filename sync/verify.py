"""``kgcrm sync verify``: reconcile the relational CRM and the graph.

Per label (and per mirrored relationship type) both sides are read in id order
and merged: a row missing from the graph, a node whose row is gone, and a node
whose properties differ from what its row would give (compared by per-row
checksums) are each listed as drift. Rows the sync refuses (see
``kgcrm.sync.transform``) are listed as rejected, not as drift. Reference and derived
relationships are compared by count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import EDGES, NODES, EdgeMapping, NodeMapping
from kgcrm.sync import extract
from kgcrm.sync.engine import MISSING_END
from kgcrm.sync.transform import (
    EdgeRecord,
    NodeRecord,
    RejectedRow,
    checksum,
    parse_timestamp,
    transform_edge,
    transform_node,
)

_COMPUTED_IN_GRAPH = frozenset({"name", "embedding", "embedding_hash"})  # not mirrored from one row alone


@dataclass(frozen=True)
class Drift:
    kind: str  # "missing" (row not in graph) | "extra" (node without row) | "different"
    what: str  # label or relationship type
    id: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind:9} {self.what} {self.id}{': ' + self.detail if self.detail else ''}"


@dataclass(frozen=True)
class CountCheck:
    what: str
    expected: int
    actual: int

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class VerifyReport:
    checked: dict[str, int] = field(default_factory=dict)  # label/type → rows compared
    drift: list[Drift] = field(default_factory=list)
    counts: list[CountCheck] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drift and all(c.ok for c in self.counts)


def _canonical(value: Any) -> Any:
    """The same value whether it came from SQL via transform or back from Neo4j."""
    if hasattr(value, "to_native"):  # neo4j.time types
        value = value.to_native()
    if isinstance(value, datetime):
        return parse_timestamp(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _digest(props: dict[str, Any]) -> str:
    return checksum({k: _canonical(v) for k, v in props.items() if k not in _COMPUTED_IN_GRAPH})


class SyncVerifier:
    def __init__(self, engine: sa.Engine, gateway: GraphGateway, *, batch_size: int = 5000) -> None:
        self.engine = engine
        self.gateway = gateway
        self.batch_size = batch_size

    def verify(self, tenant_id: str | None = None, *, max_listed: int = 1000) -> VerifyReport:
        report = VerifyReport()
        with self.engine.connect() as conn:
            for mapping in NODES:
                self._compare(
                    report,
                    mapping.label,
                    self._sql_nodes(conn, mapping, tenant_id, report),
                    self._graph_nodes(mapping, tenant_id),
                    max_listed,
                )
            for edge in EDGES:
                self._compare(
                    report,
                    edge.type,
                    self._sql_edges(conn, edge, tenant_id, report),
                    self._graph_edges(edge, tenant_id),
                    max_listed,
                )
        report.counts += self._count_checks(tenant_id)
        return report

    # --- both sides, in id order -----------------------------------------------------------

    def _sql_nodes(
        self, conn: sa.Connection, mapping: NodeMapping, tenant_id: str | None, report: VerifyReport
    ) -> Iterator[tuple[str, str]]:
        for rows in extract.iter_batches(conn, mapping, batch_size=self.batch_size, tenant_id=tenant_id):
            for row in rows:
                record = transform_node(mapping, row)
                if isinstance(record, RejectedRow):
                    report.rejected.append(record)
                    continue
                assert isinstance(record, NodeRecord)
                yield record.id, _digest({**record.properties, "id": record.id})

    def _sql_edges(
        self, conn: sa.Connection, edge: EdgeMapping, tenant_id: str | None, report: VerifyReport
    ) -> Iterator[tuple[str, str]]:
        skipped = {(r.table, r.id) for r in report.rejected}  # the node rows rejected so far
        for rows in extract.iter_batches(conn, edge, batch_size=self.batch_size, tenant_id=tenant_id):
            for row in rows:
                record = transform_edge(edge, row)
                if isinstance(record, RejectedRow):
                    report.rejected.append(record)
                    continue
                assert isinstance(record, EdgeRecord)
                if {(edge.start.target_table, record.start_id), (edge.end.target_table, record.end_id)} & skipped:
                    # the sync skips it too: one of its ends is a row it could not mirror
                    report.rejected.append(RejectedRow(edge.table, record.id, MISSING_END.format(e=record)))
                    continue
                yield (
                    record.id,
                    _digest({**record.properties, "id": record.id, "_ends": f"{record.start_id}>{record.end_id}"}),
                )

    def _graph_nodes(self, mapping: NodeMapping, tenant_id: str | None) -> Iterator[tuple[str, str]]:
        scope = ""
        if tenant_id is not None:
            scope = " AND n.tenant_id = $tenant" if mapping.tenant_scoped else " AND n.id = $tenant"
        query = (
            f"MATCH (n:`{mapping.label}`) WHERE n.id > $after{scope} "
            "RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit"
        )
        for row in self._pages(f"verify:{mapping.label}", query, tenant_id):
            yield row["id"], _digest(row["props"])

    def _graph_edges(self, edge: EdgeMapping, tenant_id: str | None) -> Iterator[tuple[str, str]]:
        scope = " AND r.tenant_id = $tenant" if tenant_id is not None else ""
        query = (
            f"MATCH (a)-[r:`{edge.type}`]->(b) WHERE r.id > $after{scope} "
            "RETURN r.id AS id, properties(r) AS props, a.id + '>' + b.id AS ends ORDER BY r.id LIMIT $limit"
        )
        for row in self._pages(f"verify:{edge.type}", query, tenant_id):
            yield row["id"], _digest({**row["props"], "_ends": row["ends"]})

    def _pages(self, name: str, query: str, tenant_id: str | None) -> Iterator[dict[str, Any]]:
        after = ""
        while True:
            rows = self.gateway.read(name, query, {"after": after, "tenant": tenant_id, "limit": self.batch_size})
            yield from rows
            if len(rows) < self.batch_size:
                return
            after = rows[-1]["id"]

    @staticmethod
    def _compare(
        report: VerifyReport,
        what: str,
        expected: Iterator[tuple[str, str]],
        actual: Iterator[tuple[str, str]],
        max_listed: int,
    ) -> None:
        """Merge two id-sorted streams of (id, digest)."""
        count = 0

        def note(kind: str, key: str, detail: str = "") -> None:
            if len(report.drift) < max_listed:
                report.drift.append(Drift(kind, what, key, detail))

        exp, act = next(expected, None), next(actual, None)
        while exp is not None or act is not None:
            count += 1
            if act is None or (exp is not None and exp[0] < act[0]):
                note("missing", exp[0])  # type: ignore[index]
                exp = next(expected, None)
            elif exp is None or act[0] < exp[0]:
                note("extra", act[0])
                act = next(actual, None)
            else:
                if exp[1] != act[1]:
                    note("different", exp[0], "properties differ from the row")
                exp, act = next(expected, None), next(actual, None)
        report.checked[what] = count

    # --- relationships compared by count --------------------------------------------------------

    def _count_checks(self, tenant_id: str | None) -> list[CountCheck]:
        checks: list[CountCheck] = []
        scope = "" if tenant_id is None else " WHERE n.tenant_id = $tenant"
        for mapping in NODES:
            for ref in mapping.references:
                expected = self._count(
                    f"MATCH (n:`{mapping.label}`){scope} WITH n WHERE n.`{ref.column}` IS NOT NULL "
                    "RETURN count(n) AS c",
                    tenant_id,
                )
                actual = self._count(
                    f"MATCH (n:`{mapping.label}`)-[:`{ref.type}`]->(){scope} RETURN count(*) AS c", tenant_id
                )
                checks.append(CountCheck(f"{mapping.label}-{ref.type}", expected, actual))
        expected_works_at = self._count(
            f"MATCH (n:Contact){scope} WITH n WHERE n.organization_id IS NOT NULL RETURN count(n) AS c", tenant_id
        )
        actual_works_at = self._count("MATCH ()-[n:WORKS_AT]->()" + scope + " RETURN count(n) AS c", tenant_id)
        checks.append(CountCheck("WORKS_AT", expected_works_at, actual_works_at))
        return checks

    def _count(self, query: str, tenant_id: str | None) -> int:
        return int(self.gateway.read("verify_count", query, {"tenant": tenant_id})[0]["c"])
