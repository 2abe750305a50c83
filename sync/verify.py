"""``kgcrm sync verify``: reconcile the relational CRM and the graph.

Per label (and per mirrored relationship type) both sides are read in id order
and merged: a row missing from the graph, a node whose row is gone, and a node
whose properties differ from what its row would give (compared by per-row
checksums) are each listed as drift. Rows the sync refuses (see
``kgcrm.sync.transform``) are listed as rejected, not as drift. Reference relationships
are compared by count.

Compared one by one, each recomputed from SQL with queries of its own (not through
the sync's code):

- ``ABOUT``: each task's and note's link to its subject (``subject_type``/``subject_id``),
  expected when the subject row exists in the same tenant;
- ``WORKS_AT``: one per contact with an organization, with its title, dates and ``current``;
- ``INTERACTED``: one per pair of people who took part in the same interaction, with the
  count of interactions, the first and last time and the kinds;
- ``embedding`` (when a model name is given): every entity whose text (the text the
  pipeline would embed now, ``cypher/embedding_text.cypher``) is not empty and not over
  ``max_chars`` has an embedding whose hash is ``content_hash(model, text)``; the others
  have none.

Drift is reported per kind: ``missing``, ``extra`` or ``different``, per label or type.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import EDGES, NODES, SUBJECT_TYPES, EdgeMapping, NodeMapping
from kgcrm.sync import extract
from kgcrm.sync.embeddings import DEFAULT_MAX_CHARS, content_hash, entity_id_pages
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

#: The relationships and properties compared one by one besides the mirrored rows.
ABOUT, WORKS_AT, INTERACTED, EMBEDDING = "ABOUT", "WORKS_AT", "INTERACTED", "embedding"
_EMBEDDING_PAGE = 1000

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

    def drift_by_kind(self) -> dict[str, Counter[str]]:
        """label/type → {missing, extra, different} → count."""
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        for item in self.drift:
            kinds[item.what][item.kind] += 1
        return dict(kinds)


_DIFFERENT = {
    ABOUT: "links to another subject than its row names",
    WORKS_AT: "differs from its contact row",
    INTERACTED: "differs from the pair's interactions",
    EMBEDDING: "made from another text than the entity's now (stale)",
}


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


def _day(value: Any) -> str | None:
    """A date column's value (a date, a datetime or ISO text) as ``YYYY-MM-DD``."""
    if value is None or value == "":
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


def _instant(value: Any) -> str | None:
    if hasattr(value, "to_native"):
        value = value.to_native()
    parsed = parse_timestamp(value)
    return None if parsed is None else parsed.isoformat()


def _values_digest(values: list[Any]) -> str:
    return checksum({"values": values})


class SyncVerifier:
    """Compares the graph with SQL; ``model_name``: also check embeddings (made with that model)."""

    def __init__(
        self,
        engine: sa.Engine,
        gateway: GraphGateway,
        *,
        batch_size: int = 5000,
        model_name: str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.batch_size = batch_size
        self.model_name = model_name
        self.max_chars = max_chars

    def verify(self, tenant_id: str | None = None, *, max_listed: int | None = 1000) -> VerifyReport:
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
            skipped = {(r.table, r.id) for r in report.rejected}
            self._compare_maps(
                report, ABOUT, self._sql_about(conn, tenant_id, skipped), self._graph_about(tenant_id), max_listed
            )
            self._compare_maps(
                report,
                WORKS_AT,
                self._sql_works_at(conn, tenant_id, skipped),
                self._graph_works_at(tenant_id),
                max_listed,
            )
            self._compare_maps(
                report,
                INTERACTED,
                self._sql_interacted(conn, tenant_id, skipped),
                self._graph_interacted(tenant_id),
                max_listed,
            )
        if self.model_name is not None:
            self._check_embeddings(report, tenant_id, max_listed)
        report.counts += self._count_checks(tenant_id)
        return report

    # --- ABOUT, WORKS_AT, INTERACTED: recomputed from SQL -------------------------------------------

    @staticmethod
    def _scope(alias: str, tenant_id: str | None) -> str:
        return "" if tenant_id is None else f" AND {alias}.tenant_id = :tenant"

    def _sql_about(
        self, conn: sa.Connection, tenant_id: str | None, skipped: set[tuple[str, str | None]]
    ) -> dict[str, str]:
        """Task or note id → its subject's id, when the subject row is in the same tenant (and mirrored)."""
        expected: dict[str, str] = {}
        for table in ("task", "note"):
            for subject_type, subject_table in SUBJECT_TYPES.items():  # table names: code constants
                query = (
                    f"SELECT n.id, n.subject_id FROM {table} n JOIN {subject_table} s "  # noqa: S608
                    "ON s.id = n.subject_id AND s.tenant_id = n.tenant_id "
                    f"WHERE n.subject_type = :type{self._scope('n', tenant_id)}"
                )
                for row_id, subject_id in conn.execute(sa.text(query), {"type": subject_type, "tenant": tenant_id}):
                    if (table, str(row_id)) not in skipped and (subject_table, str(subject_id)) not in skipped:
                        expected[str(row_id)] = str(subject_id)
        return expected

    def _graph_about(self, tenant_id: str | None) -> dict[str, str]:
        scope = "" if tenant_id is None else " WHERE n.tenant_id = $tenant"
        rows = self.gateway.read(
            "verify:ABOUT",
            f"MATCH (n:Task|Note)-[:ABOUT]->(s){scope} RETURN n.id AS id, collect(s.id) AS subjects",
            {"tenant": tenant_id},
        )
        return {r["id"]: ",".join(sorted(r["subjects"])) for r in rows}

    def _sql_works_at(
        self, conn: sa.Connection, tenant_id: str | None, skipped: set[tuple[str, str | None]]
    ) -> dict[str, str]:
        """Contact id → (person, organization, title, since, until, current) of its WORKS_AT."""
        query = (
            "SELECT c.id, c.individual_id, c.organization_id, c.title, c.started_on, c.ended_on FROM contact c "  # noqa: S608
            "JOIN individual i ON i.id = c.individual_id AND i.tenant_id = c.tenant_id "
            "JOIN organization o ON o.id = c.organization_id AND o.tenant_id = c.tenant_id "
            f"WHERE 1 = 1{self._scope('c', tenant_id)}"
        )
        expected = {}
        for contact, person, org, title, since, until in conn.execute(sa.text(query), {"tenant": tenant_id}):
            ends = {("contact", str(contact)), ("individual", str(person)), ("organization", str(org))}
            if not ends & skipped:
                expected[str(contact)] = _values_digest(
                    [str(person), str(org), title, _day(since), _day(until), until is None]
                )
        return expected

    def _graph_works_at(self, tenant_id: str | None) -> dict[str, str]:
        scope = "" if tenant_id is None else " WHERE w.tenant_id = $tenant"
        rows = self.gateway.read(
            "verify:WORKS_AT",
            f"MATCH (p)-[w:WORKS_AT]->(o){scope} "
            "RETURN w.contact_id AS id, p.id AS person, o.id AS org, w.title AS title, w.since AS since, "
            "w.until AS until, w.current AS current",
            {"tenant": tenant_id},
        )
        found: dict[str, str] = {}
        for r in rows:
            digest = _values_digest(
                [r["person"], r["org"], r["title"], _day(r["since"]), _day(r["until"]), r["current"]]
            )
            found[r["id"]] = digest if r["id"] not in found else "(more than one WORKS_AT)"
        return found

    def _sql_interacted(
        self, conn: sa.Connection, tenant_id: str | None, skipped: set[tuple[str, str | None]]
    ) -> dict[str, str]:
        """ "smaller id>larger id" → (interactions, first, last, kinds) of each pair of people who met."""
        query = (
            "SELECT a.individual_id, b.individual_id, i.id, i.kind, i.occurred_at, a.id, b.id "  # noqa: S608
            "FROM interaction_participant a "
            "JOIN interaction_participant b ON b.interaction_id = a.interaction_id AND b.tenant_id = a.tenant_id "
            "JOIN interaction i ON i.id = a.interaction_id AND i.tenant_id = a.tenant_id "
            "JOIN individual x ON x.id = a.individual_id AND x.tenant_id = a.tenant_id "
            "JOIN individual y ON y.id = b.individual_id AND y.tenant_id = a.tenant_id "
            f"WHERE a.individual_id < b.individual_id{self._scope('a', tenant_id)}"
        )
        pairs: dict[str, dict[str, Any]] = {}
        for x, y, interaction, kind, occurred, row_a, row_b in conn.execute(sa.text(query), {"tenant": tenant_id}):
            rows = {
                ("interaction_participant", str(row_a)),
                ("interaction_participant", str(row_b)),
                ("individual", str(x)),
                ("individual", str(y)),
                ("interaction", str(interaction)),
            }
            if rows & skipped:
                continue
            low, high = sorted((str(x), str(y)))  # the graph's order (binary), whatever the database's collation
            pair = pairs.setdefault(f"{low}>{high}", {"ids": set(), "times": [], "kinds": set()})
            pair["ids"].add(str(interaction))
            if occurred is not None:
                pair["times"].append(_instant(occurred))
            if kind is not None:
                pair["kinds"].add(kind)
        return {
            key: _values_digest(
                [len(p["ids"]), min(p["times"], default=None), max(p["times"], default=None), sorted(p["kinds"])]
            )
            for key, p in pairs.items()
        }

    def _graph_interacted(self, tenant_id: str | None) -> dict[str, str]:
        scope = "" if tenant_id is None else " WHERE r.tenant_id = $tenant"
        rows = self.gateway.read(
            "verify:INTERACTED",
            f"MATCH (x)-[r:INTERACTED]->(y){scope} "
            "RETURN x.id + '>' + y.id AS id, r.count AS n, r.first_at AS first, r.last_at AS last, r.kinds AS kinds",
            {"tenant": tenant_id},
        )
        found: dict[str, str] = {}
        for r in rows:
            digest = _values_digest([r["n"], _instant(r["first"]), _instant(r["last"]), sorted(r["kinds"] or [])])
            found[r["id"]] = digest if r["id"] not in found else "(more than one INTERACTED)"
        return found

    # --- embeddings -----------------------------------------------------------------------------

    def _check_embeddings(self, report: VerifyReport, tenant_id: str | None, max_listed: int | None) -> None:
        assert self.model_name is not None
        expected: dict[str, str] = {}
        actual: dict[str, str] = {}
        for ids in self._entity_pages(tenant_id):
            rows = self.gateway.read("verify:embedding", cypher.load("embedding_text"), {"ids": ids, "expand": []})
            for row in rows:
                text = row["text"]
                if text and len(text) <= self.max_chars:
                    expected[row["id"]] = content_hash(self.model_name, text)
                if row["has_embedding"]:
                    actual[row["id"]] = row["stored_hash"] or "(no hash)"
        self._compare_maps(report, EMBEDDING, expected, actual, max_listed)

    def _entity_pages(self, tenant_id: str | None) -> Iterable[list[str]]:
        return entity_id_pages(self.gateway, tenant_id, page_size=_EMBEDDING_PAGE, query_name="verify:entity_ids")

    @classmethod
    def _compare_maps(
        cls,
        report: VerifyReport,
        what: str,
        expected: dict[str, str],
        actual: dict[str, str],
        max_listed: int | None,
    ) -> None:
        cls._compare(report, what, iter(sorted(expected.items())), iter(sorted(actual.items())), max_listed)

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
        max_listed: int | None,
    ) -> None:
        """Merge two id-sorted streams of (id, digest)."""
        count = 0

        def note(kind: str, key: str, detail: str = "") -> None:
            if max_listed is None or len(report.drift) < max_listed:
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
                    note("different", exp[0], _DIFFERENT.get(what, "properties differ from the row"))
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
        return checks

    def _count(self, query: str, tenant_id: str | None) -> int:
        return int(self.gateway.read("verify_count", query, {"tenant": tenant_id})[0]["c"])
