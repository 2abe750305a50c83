"""The sync: full and incremental mirroring of the relational CRM into Neo4j.

Full sync (:meth:`GraphSync.full`) reads every table in batches
(get → transform → load), removes graph nodes whose rows are gone (cleanup),
recomputes the derived relationships, and moves the checkpoint to the
change_log position it started from, so that changes written meanwhile are
applied by the next incremental run.

Incremental sync (:meth:`GraphSync.incremental`) reads ``change_log`` in ``seq``
order and, for each batch, makes the graph match the *current* rows of the
entities it names (upsert when the row exists, delete when it does not). Applying
a change is therefore idempotent, and the checkpoint (the last applied ``seq``) is
written in the same Neo4j transaction as the batch: a crash at any point neither
loses nor double-applies a change.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from neo4j import ManagedTransaction

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import EDGES, EDGES_BY_TABLE, NODES, NODES_BY_TABLE, SUBTYPE_PARENT, NodeMapping
from kgcrm.sync import extract, load
from kgcrm.sync.changes import CHANGE_LOG, ChangeLogReader
from kgcrm.sync.transform import EdgeRecord, NodeRecord, RejectedRow, transform_edge, transform_node

log = logging.getLogger(__name__)

CHECKPOINT_SOURCE = "change_log"

Progress = Callable[[str, int], None]  # (what, rows done in this step)

#: Why a link-table row was not written: one of its ends is not in the graph (``.format(e=edge_record)``).
MISSING_END = "{e.start_label} {e.start_id} or {e.end_label} {e.end_id} is not in the graph (a skipped row?)"


@dataclass
class SyncReport:
    """What a sync run did."""

    mode: str
    nodes_written: Counter[str] = field(default_factory=Counter)
    edges_written: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    rejected: list[RejectedRow] = field(default_factory=list)
    changes_applied: int = 0
    last_seq: int | None = None

    @property
    def rows_written(self) -> int:
        return sum(self.nodes_written.values()) + sum(self.edges_written.values())


@dataclass
class _Batch:
    """Records to write in one transaction."""

    nodes: dict[str, list[NodeRecord]] = field(default_factory=lambda: defaultdict(list))
    edges: list[EdgeRecord] = field(default_factory=list)
    deleted_nodes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # label → ids
    deleted_edges: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # type → ids
    tenants: list[NodeRecord] = field(default_factory=list)

    def add(self, mapping: NodeMapping, rows: Iterable[dict[str, Any]], report: SyncReport) -> None:
        for row in rows:
            record = transform_node(mapping, row)
            if isinstance(record, RejectedRow):
                _reject(report, record)
            else:
                self.nodes[mapping.table].append(record)

    def add_edges(self, table: str, rows: Iterable[dict[str, Any]], report: SyncReport) -> None:
        for row in rows:
            record = transform_edge(EDGES_BY_TABLE[table], row)
            if isinstance(record, RejectedRow):
                _reject(report, record)
            else:
                self.edges.append(record)


def _reject(report: SyncReport, row: RejectedRow) -> None:
    report.rejected.append(row)
    log.warning("skipped row: %s", row)


class GraphSync:
    """Mirrors one relational CRM (a SQLAlchemy engine) into one Neo4j database."""

    def __init__(
        self,
        engine: sa.Engine,
        gateway: GraphGateway,
        *,
        batch_size: int = 2000,
        on_entities_written: Callable[[Sequence[str]], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.batch_size = batch_size
        self.changes = ChangeLogReader(engine)
        self._on_entities_written = on_entities_written
        self._progress = progress or (lambda what, n: None)
        self._warned_ahead = False

    # --- checkpoint ------------------------------------------------------------------------

    def checkpoint(self) -> int | None:
        rows = self.gateway.read(
            "sync_checkpoint_read", cypher.load("sync_checkpoint_read"), {"source": CHECKPOINT_SOURCE}
        )
        return rows[0]["last_seq"] if rows else None

    def last_run_at(self) -> datetime | None:
        rows = self.gateway.read(
            "sync_checkpoint_read", cypher.load("sync_checkpoint_read"), {"source": CHECKPOINT_SOURCE}
        )
        value = rows[0]["last_run_at"] if rows else None
        return value.to_native() if value is not None else None

    # --- full ------------------------------------------------------------------------------

    def full(self, tenant_slug: str | None = None) -> SyncReport:
        report = SyncReport(mode="full")
        with self.engine.connect() as conn:
            tenant_id = None
            if tenant_slug is not None:
                tenant_id = extract.tenant_id_of(conn, tenant_slug)
                if tenant_id is None:
                    from kgcrm.core.errors import NotFoundError

                    raise NotFoundError(f"tenant '{tenant_slug}' does not exist")
            start_seq = self.changes.safe_high_water_mark(conn)
            # Only what is in the graph before this run can be stale: a node this run writes
            # comes from a row it read, and a row deleted since then is in the change log.
            stale_candidates = self._labels_and_types_present()
            for mapping in NODES:
                self._full_nodes(conn, mapping, tenant_id, report)
            for edge_mapping in EDGES:
                for rows in extract.iter_batches(conn, edge_mapping, batch_size=self.batch_size, tenant_id=tenant_id):
                    batch = _Batch()
                    batch.add_edges(edge_mapping.table, rows, report)
                    self._write(batch, report, derive=False)  # _derive_all below derives everything once
                    self._progress(edge_mapping.table, len(rows))
            self._cleanup(conn, tenant_id, report, stale_candidates)
        self._derive_all(tenant_id)
        if tenant_id is None:
            # start_seq even when the checkpoint is further: re-applying a change is harmless, while a
            # checkpoint ahead of the change log (a CRM restored from a backup) would skip changes for ever.
            self._write_checkpoint_only(start_seq)
            report.last_seq = start_seq
        return report

    def _full_nodes(self, conn: sa.Connection, mapping: NodeMapping, tenant_id: str | None, report: SyncReport) -> None:
        self_referencing = any(ref.target_table == mapping.table for ref in mapping.references)
        for rows in extract.iter_batches(conn, mapping, batch_size=self.batch_size, tenant_id=tenant_id):
            batch = _Batch()
            batch.add(mapping, rows, report)
            self._write(batch, report, links=not self_referencing, derive=False)
            self._progress(mapping.table, len(rows))
        if self_referencing:  # links to rows of the same table may point at later batches
            for rows in extract.iter_batches(conn, mapping, batch_size=self.batch_size, tenant_id=tenant_id):
                batch = _Batch()
                batch.add(mapping, rows, SyncReport(mode="links"))
                self.gateway.write_transaction(
                    f"links:{mapping.table}",
                    lambda tx, b=batch: [load.write_links(tx, recs, NODES_BY_TABLE[t]) for t, recs in b.nodes.items()],
                )

    def _labels_and_types_present(self) -> set[str]:
        """The mapping's labels and mirrored relationship types that have any node or relationship (count store)."""
        present = set()
        for mapping in NODES:
            if self.gateway.read("count_label", f"MATCH (n:`{mapping.label}`) RETURN count(n) AS c")[0]["c"]:
                present.add(mapping.label)
        for edge in EDGES:
            if self.gateway.read("count_type", f"MATCH ()-[r:`{edge.type}`]->() RETURN count(r) AS c")[0]["c"]:
                present.add(edge.type)
        return present

    def _cleanup(self, conn: sa.Connection, tenant_id: str | None, report: SyncReport, candidates: set[str]) -> None:
        """Remove nodes and mirrored relationships whose rows no longer exist (of the labels/types in candidates)."""
        for mapping in NODES:
            if mapping.label not in candidates:
                continue
            for ids in self._graph_ids(f"MATCH (n:`{mapping.label}`)", "n", tenant_id, mapping.tenant_scoped):
                gone = sorted(set(ids) - extract.existing_ids(conn, mapping.table, ids))
                if gone:
                    self.gateway.write_transaction(
                        f"cleanup:{mapping.label}", lambda tx, g=gone, m=mapping: load.delete_nodes(tx, m.label, g)
                    )
                    report.deleted[mapping.label] += len(gone)
        for edge in EDGES:
            if edge.type not in candidates:
                continue
            for ids in self._graph_ids(f"MATCH ()-[n:`{edge.type}`]->()", "n", tenant_id, True):
                gone = sorted(set(ids) - extract.existing_ids(conn, edge.table, ids))
                if gone:
                    self.gateway.write_transaction(
                        f"cleanup:{edge.type}", lambda tx, g=gone, e=edge: load.delete_edges(tx, e.type, g)
                    )
                    report.deleted[edge.type] += len(gone)

    def _graph_ids(self, match: str, var: str, tenant_id: str | None, scoped: bool) -> Iterable[list[str]]:
        """The graph's ids under a MATCH, in pages (labels/types come from the mapping)."""
        where = f" WHERE {var}.id > $after"
        if tenant_id is not None:
            where += f" AND {var}.tenant_id = $tenant" if scoped else f" AND {var}.id = $tenant"
        query = f"{match}{where} RETURN {var}.id AS id ORDER BY id LIMIT $limit"
        after = ""
        while True:
            rows = self.gateway.read("graph_ids", query, {"after": after, "tenant": tenant_id, "limit": 5000})
            if not rows:
                return
            ids = [r["id"] for r in rows]
            yield ids
            after = ids[-1]

    def _derive_all(self, tenant_id: str | None) -> None:
        """Recompute WORKS_AT and INTERACTED for every contact and person (of one tenant)."""
        for label, refresh in (("Contact", self._derive_contacts), ("Person", self._derive_people)):
            for ids in self._graph_ids(f"MATCH (n:`{label}`)", "n", tenant_id, True):
                self.gateway.write_transaction(f"derive:{label}", lambda tx, i=ids, f=refresh: f(tx, i))
                self._progress(f"derive {label}", len(ids))

    # --- incremental ---------------------------------------------------------------------------

    def incremental(self, *, max_changes: int | None = None) -> SyncReport:
        """Apply every change_log entry after the checkpoint, batch by batch."""
        report = SyncReport(mode="incremental")
        applied = 0
        checkpoint = self.checkpoint() or 0
        while max_changes is None or applied < max_changes:
            limit = self.batch_size if max_changes is None else min(self.batch_size, max_changes - applied)
            with self.engine.connect() as conn:
                changes = self.changes.read(conn, after=checkpoint, limit=limit)
                if not changes:
                    if applied == 0:
                        self._warn_if_ahead(conn, checkpoint)
                    break
                batch = self._batch_for(conn, changes, report)
            last_seq = changes[-1].seq
            self._write(batch, report, checkpoint=last_seq)
            applied += len(changes)
            report.changes_applied += len(changes)
            report.last_seq = checkpoint = last_seq
            self._progress("changes", len(changes))
            if len(changes) < limit:  # all there was (or all before a gap): no need to ask again
                break
        return report

    def _warn_if_ahead(self, conn: sa.Connection, checkpoint: int) -> None:
        """A checkpoint past the end of the change log: the CRM was restored or replaced (once per instance)."""
        if checkpoint and not self._warned_ahead:
            last = conn.execute(sa.select(sa.func.max(CHANGE_LOG.c.seq))).scalar() or 0
            if last < checkpoint:
                self._warned_ahead = True
                log.warning(
                    "the graph's checkpoint (change_log seq %d) is past the end of the change log (seq %d): "
                    "the CRM database was restored or replaced; run `kgcrm sync --full`",
                    checkpoint,
                    last,
                )

    def _batch_for(self, conn: sa.Connection, changes: Sequence[Any], report: SyncReport) -> _Batch:
        ids_by_table: dict[str, set[str]] = defaultdict(set)
        tenants: set[str] = set()
        for change in changes:
            table = SUBTYPE_PARENT.get(change.entity_type, change.entity_type)
            if table in NODES_BY_TABLE or table in EDGES_BY_TABLE:
                ids_by_table[table].add(change.entity_id)
                if change.tenant_id:
                    tenants.add(change.tenant_id)
        batch = _Batch()
        batch.add(
            NODES_BY_TABLE["tenant"], extract.fetch_by_ids(conn, NODES_BY_TABLE["tenant"], sorted(tenants)), report
        )
        for table, id_set in ids_by_table.items():
            ids = sorted(id_set)
            if table in NODES_BY_TABLE:
                mapping = NODES_BY_TABLE[table]
                rows = extract.fetch_by_ids(conn, mapping, ids)
                batch.add(mapping, rows, report)
                present = {r["id"] for r in rows}
                batch.deleted_nodes[mapping.label] += [i for i in ids if i not in present]
            else:
                rows = extract.fetch_by_ids(conn, EDGES_BY_TABLE[table], ids)
                batch.add_edges(table, rows, report)
                present = {r["id"] for r in rows}
                batch.deleted_edges[EDGES_BY_TABLE[table].type] += [i for i in ids if i not in present]
        return batch

    # --- writing -----------------------------------------------------------------------------

    def _write(
        self,
        batch: _Batch,
        report: SyncReport,
        *,
        links: bool = True,
        derive: bool = True,
        checkpoint: int | None = None,
    ) -> None:
        """Write one batch in one transaction; ``derive=False`` leaves WORKS_AT/INTERACTED to the caller."""

        def work(tx: ManagedTransaction) -> set[str]:
            changed_interactions = [r.id for r in batch.nodes.get("interaction", [])] + batch.deleted_nodes.get(
                "Interaction", []
            )
            changed_participants = [e.id for e in batch.edges if e.type == "PARTICIPATED_IN"] + batch.deleted_edges.get(
                "PARTICIPATED_IN", []
            )
            if not derive:
                changed_interactions, changed_participants = [], []
            people_before = _affected_people(tx, changed_interactions, changed_participants)
            for mapping in NODES:  # nodes first, in dependency order, then their links
                if batch.nodes.get(mapping.table):
                    load.write_node_properties(tx, batch.nodes[mapping.table], mapping)
            if links:
                for mapping in NODES:
                    if batch.nodes.get(mapping.table):
                        load.write_links(tx, batch.nodes[mapping.table], mapping)
            written_edges = load.write_edges(tx, batch.edges)
            for rel_type, ids in batch.deleted_edges.items():
                load.delete_edges(tx, rel_type, ids)
            people_or_orgs = (
                [r.id for t in ("individual", "organization") for r in batch.nodes.get(t, [])]
                + batch.deleted_nodes.get("Person", [])
                + batch.deleted_nodes.get("Organization", [])
            )
            contacts = {r.id for r in batch.nodes.get("contact", [])} | set(batch.deleted_nodes.get("Contact", []))
            if derive and people_or_orgs:
                contacts |= _ids(tx, "derive_affected_contacts", {"ids": people_or_orgs})
            for label, ids in batch.deleted_nodes.items():
                load.delete_nodes(tx, label, ids)
            people = people_before | _affected_people(tx, changed_interactions, changed_participants)
            people |= {e.start_id for e in batch.edges if e.type == "PARTICIPATED_IN"}
            if not derive:
                contacts, people = set(), set()
            if contacts:
                self._derive_contacts(tx, sorted(contacts))
            if people:
                self._derive_people(tx, sorted(people))
            if checkpoint is not None:
                tx.run(cypher.load("sync_checkpoint_write"), source=CHECKPOINT_SOURCE, last_seq=checkpoint).consume()
            return written_edges

        written_edges = self.gateway.write_transaction("sync_batch", work)
        for table, records in batch.nodes.items():
            report.nodes_written[NODES_BY_TABLE[table].label] += len(records)
        for edge in batch.edges:
            if edge.id in written_edges:
                report.edges_written[edge.type] += 1
            else:  # its person or interaction was skipped (or is missing from the graph)
                _reject(report, RejectedRow(edge.table, edge.id, MISSING_END.format(e=edge)))
        for label, ids in batch.deleted_nodes.items():
            report.deleted[label] += len(ids)
        for rel_type, ids in batch.deleted_edges.items():
            report.deleted[rel_type] += len(ids)
        if self._on_entities_written is not None:
            entity_ids = [r.id for recs in batch.nodes.values() for r in recs if "__Entity__" in r.labels]
            if entity_ids:
                self._on_entities_written(entity_ids)

    def _write_checkpoint_only(self, seq: int) -> None:
        self.gateway.write(
            "sync_checkpoint_write",
            cypher.load("sync_checkpoint_write"),
            {"source": CHECKPOINT_SOURCE, "last_seq": seq},
        )

    @staticmethod
    def _derive_contacts(tx: ManagedTransaction, ids: Sequence[str]) -> None:
        tx.run(cypher.load("derive_works_at"), ids=list(ids)).consume()

    @staticmethod
    def _derive_people(tx: ManagedTransaction, ids: Sequence[str]) -> None:
        tx.run(cypher.load("derive_interacted_clear"), ids=list(ids)).consume()
        tx.run(cypher.load("derive_interacted"), ids=list(ids)).consume()


def _ids(tx: ManagedTransaction, name: str, params: dict[str, Any]) -> set[str]:
    return {record["id"] for record in tx.run(cypher.load(name), **params)}


def _affected_people(tx: ManagedTransaction, interactions: Sequence[str], participants: Sequence[str]) -> set[str]:
    if not interactions and not participants:
        return set()
    return _ids(
        tx, "derive_affected_people", {"interaction_ids": list(interactions), "participant_ids": list(participants)}
    )
