"""The sync: full and incremental mirroring of the relational CRM into Neo4j.

Every run first applies what is missing of the graph schema (:meth:`GraphSync.ensure_schema`).

Full sync (:meth:`GraphSync.full`) first removes what is in the graph but not in SQL
(cleanup, reported per label and tenant; without a tenant, Tenant nodes too), so that
nothing stale collides with what it writes; then reads every table in batches
(get → transform → load), recomputes the derived relationships, and moves the
checkpoint to the change_log position it started from, so that changes written
meanwhile are applied by the next incremental run.

Incremental sync (:meth:`GraphSync.incremental`) reads ``change_log`` in ``seq``
order and, for each batch, makes the graph match the *current* rows of the
entities it names (upsert when the row exists, delete when it does not). Applying
a change is therefore idempotent, and the checkpoint (the last applied ``seq``) is
written in the same Neo4j transaction as the batch: a crash at any point neither
loses nor double-applies a change.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from neo4j import ManagedTransaction

from kgcrm import cypher
from kgcrm.core.errors import GraphConflictError, ServiceError
from kgcrm.crm import tenants
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import EDGES, EDGES_BY_TABLE, NODES, NODES_BY_TABLE, SUBTYPE_PARENT, NodeMapping
from kgcrm.graph.schema import SchemaState, ensure_schema
from kgcrm.sync import extract, load
from kgcrm.sync.changes import CHANGE_LOG, Change, ChangeLogReader
from kgcrm.sync.transform import EdgeRecord, NodeRecord, RejectedRow, transform_edge, transform_node

log = logging.getLogger(__name__)

CHECKPOINT_SOURCE = "change_log"
#: The embeddings' own checkpoint (sync.embedding_progress): every change up to it has its embeddings.
EMBEDDINGS_SOURCE = "embeddings"
EMBED_ALL = -1  # that checkpoint after a full sync, until its embeddings are written: embed every entity
DEFAULT_VECTOR_DIMENSIONS = 384  # the default embedding model's (Settings.embedding_dimensions)

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
    # What a full sync removed because it is not in SQL: (label or type, tenant id) → count,
    # and each such tenant's slug as the graph had it (the SQL may not have that tenant).
    removed: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    tenant_slugs: dict[str | None, str | None] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)
    changes_applied: int = 0
    last_seq: int | None = None

    def removals(self) -> list[tuple[str, str, int]]:
        """What the full sync removed (or, dry run, would remove): (label or type, "slug (tenant id)", count)."""
        rows = []
        for (what, tenant_id), count in sorted(self.removed.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            slug = self.tenant_slugs.get(tenant_id)
            tenant = f"{slug or '?'} ({tenant_id})" if tenant_id else "(no tenant)"
            rows.append((what, tenant, count))
        return rows

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
        vector_dimensions: int = DEFAULT_VECTOR_DIMENSIONS,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.batch_size = batch_size
        self.vector_dimensions = vector_dimensions
        self.schema: SchemaState | None = None  # what ensure_schema found (once per instance)
        self.changes = ChangeLogReader(engine)
        self._on_entities_written = on_entities_written
        self._progress = progress or (lambda what, n: None)
        self._warned_ahead = False
        #: The change-log checkpoint as this instance last read or wrote it (``incremental(reuse_checkpoint=True)``).
        self._checkpoint_seen: int | None = None

    # --- schema ----------------------------------------------------------------------------

    def ensure_schema(self) -> SchemaState:
        """Apply what of the graph schema is missing and wait for its indexes (checked once per instance).

        Every run calls it first: the sync owns the schema it writes into and that retrieval reads
        with (``kgcrm graph init`` is the same, explicitly). A follower checks again after an outage.
        """
        if self.schema is None:
            self.schema = ensure_schema(self.gateway, dimensions=self.vector_dimensions)
            if self.schema.applied:
                log.warning("graph schema: created %s", ", ".join(self.schema.applied))
        return self.schema

    # --- checkpoint ------------------------------------------------------------------------

    def checkpoint(self, source: str = CHECKPOINT_SOURCE) -> int | None:
        rows = self.gateway.read("sync_checkpoint_read", cypher.load("sync_checkpoint_read"), {"source": source})
        return rows[0]["last_seq"] if rows else None

    def last_run_at(self) -> datetime | None:
        rows = self.gateway.read(
            "sync_checkpoint_read", cypher.load("sync_checkpoint_read"), {"source": CHECKPOINT_SOURCE}
        )
        value = rows[0]["last_run_at"] if rows else None
        return value.to_native() if value is not None else None

    # --- full ------------------------------------------------------------------------------

    def full(self, tenant_slug: str | None = None, *, dry_run: bool = False) -> SyncReport:
        """Make the graph equal to SQL (of one tenant), whatever it held before.

        First what is in the graph but not in SQL is removed (and reported per label and
        tenant in :attr:`SyncReport.removed`): nodes and mirrored relationships whose rows are
        gone, and, without a tenant, the tenants that are not in SQL (a CRM re-created or
        restored, a graph left by another CRM), before they can collide with the rows written
        next. A tenant-scoped run touches only that tenant's nodes; when the graph holds
        another tenant with the same slug it refuses (:class:`GraphConflictError`) and names the
        unscoped run that fixes it. ``dry_run``: report what would be removed, change nothing.
        """
        report = SyncReport(mode="full (dry run)" if dry_run else "full")
        if not dry_run:
            self.ensure_schema()
            # Until the caller has embedded what this run writes (sync.embedding_progress), every entity is due.
            self._write_checkpoint_only(EMBED_ALL, source=EMBEDDINGS_SOURCE)
        with self.engine.connect() as conn:
            tenant_id = None
            if tenant_slug is not None:
                tenant_id = tenants.tenant_id(conn, tenant_slug)
                self._refuse_slug_conflict(tenant_slug, tenant_id)
            start_seq = self.changes.safe_high_water_mark(conn)
            # Removed first, so that nothing stale collides with what is written next (a tenant's slug).
            # A row deleted from now on is in the change log after start_seq: the next run removes it.
            self._cleanup(conn, tenant_id, report, self._labels_and_types_present(), dry_run=dry_run)
            if dry_run:
                return report
            for mapping in NODES:
                self._full_nodes(conn, mapping, tenant_id, report)
            for edge_mapping in EDGES:
                for rows in extract.iter_batches(conn, edge_mapping, batch_size=self.batch_size, tenant_id=tenant_id):
                    batch = _Batch()
                    batch.add_edges(edge_mapping.table, rows, report)
                    self._write(batch, report, derive=False)  # _derive_all below derives everything once
                    self._progress(edge_mapping.table, len(rows))
        self._derive_all(tenant_id)
        if tenant_id is None:
            # start_seq even when the checkpoint is further: re-applying a change is harmless, while a
            # checkpoint ahead of the change log (a CRM restored from a backup) would skip changes for ever.
            self._write_checkpoint_only(start_seq)
            report.last_seq = start_seq
        return report

    def _refuse_slug_conflict(self, slug: str, tenant_id: str) -> None:
        rows = self.gateway.read(
            "tenant_by_slug",
            "MATCH (t:Tenant {slug: $slug}) WHERE t.id <> $id RETURN t.id AS id",
            {"slug": slug, "id": tenant_id},
        )
        if rows:
            raise GraphConflictError(  # not naming the other tenant's id: the caller may be an API client
                f"the graph holds another tenant with slug '{slug}' than this CRM's: a full sync of one tenant never "
                "removes another's nodes; run `kgcrm sync --full` without --tenant (`--dry-run` first shows what it "
                "removes)"
            )

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
                self.gateway.write_transaction(f"links:{mapping.table}", _bound(_write_batch_links, batch))

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

    def _cleanup(
        self, conn: sa.Connection, tenant_id: str | None, report: SyncReport, candidates: set[str], *, dry_run: bool
    ) -> None:
        """Remove mirrored relationships and nodes whose rows are not in SQL (of the labels/types in candidates).

        Counted per label/type and tenant in ``report.removed`` (and per label/type in ``report.deleted``);
        with ``dry_run`` only counted. Without a tenant, a Tenant node not in SQL goes too (with it, every
        node of that tenant: their rows are not in SQL either).
        """
        for edge in EDGES:
            if edge.type in candidates:
                self._remove_stale(
                    conn,
                    edge.table,
                    edge.type,
                    f"MATCH ()-[n:`{edge.type}`]->()",
                    tenant_id,
                    True,
                    report,
                    dry_run,
                    _deleting(load.delete_edges, edge.type),
                )
        for mapping in reversed(NODES):  # the tenants last: a report names them by their slug in the graph
            if mapping.label in candidates:
                self._remove_stale(
                    conn,
                    mapping.table,
                    mapping.label,
                    f"MATCH (n:`{mapping.label}`)",
                    tenant_id,
                    mapping.tenant_scoped,
                    report,
                    dry_run,
                    _deleting(load.delete_nodes, mapping.label),
                )

    def _remove_stale(
        self,
        conn: sa.Connection,
        table: str,
        what: str,
        match: str,
        tenant_id: str | None,
        scoped: bool,
        report: SyncReport,
        dry_run: bool,
        delete: Callable[[ManagedTransaction, list[str]], None],
    ) -> None:
        for page in self._graph_pages(match, "n", tenant_id, scoped):
            ids = [row["id"] for row in page]
            present = extract.existing_ids(conn, table, ids)
            gone = [row for row in page if row["id"] not in present]
            if not gone:
                continue
            for row in gone:
                report.removed[(what, row["tenant"])] += 1
                if row["tenant"] not in report.tenant_slugs:
                    report.tenant_slugs[row["tenant"]] = self._graph_tenant_slug(row["tenant"])
            report.deleted[what] += len(gone)
            if not dry_run:
                gone_ids = sorted(row["id"] for row in gone)
                self.gateway.write_transaction(f"cleanup:{what}", _bound(delete, gone_ids))

    def _graph_tenant_slug(self, tenant_id: str | None) -> str | None:
        if tenant_id is None:
            return None
        rows = self.gateway.read("tenant_slug", "MATCH (t:Tenant {id: $id}) RETURN t.slug AS slug", {"id": tenant_id})
        return rows[0]["slug"] if rows else None

    def _graph_pages(self, match: str, var: str, tenant_id: str | None, scoped: bool) -> Iterable[list[dict[str, Any]]]:
        """The graph's (id, tenant) under a MATCH, in pages (labels/types come from the mapping)."""
        where = f" WHERE {var}.id > $after"
        if tenant_id is not None:
            where += f" AND {var}.tenant_id = $tenant" if scoped else f" AND {var}.id = $tenant"
        tenant = f"{var}.tenant_id" if scoped else f"{var}.id"
        query = f"{match}{where} RETURN {var}.id AS id, {tenant} AS tenant ORDER BY id LIMIT $limit"
        after = ""
        while True:
            rows = self.gateway.read("graph_ids", query, {"after": after, "tenant": tenant_id, "limit": 5000})
            if not rows:
                return
            yield rows
            after = rows[-1]["id"]

    def _graph_ids(self, match: str, var: str, tenant_id: str | None, scoped: bool) -> Iterable[list[str]]:
        """The graph's ids under a MATCH, in pages."""
        for rows in self._graph_pages(match, var, tenant_id, scoped):
            yield [row["id"] for row in rows]

    def _derive_all(self, tenant_id: str | None) -> None:
        """Recompute WORKS_AT and INTERACTED for every contact and person (of one tenant), and SAME_AS."""
        for label, refresh in (("Contact", self._derive_contacts), ("Person", self._derive_people)):
            for ids in self._graph_ids(f"MATCH (n:`{label}`)", "n", tenant_id, True):
                self.gateway.write_transaction(f"derive:{label}", _bound(refresh, ids))
                self._progress(f"derive {label}", len(ids))
        # feedback (issue 14): SAME_AS of every decision, and none for a decision that is gone
        for ids in self._graph_ids("MATCH (n:Feedback)", "n", tenant_id, True):
            self.gateway.write_transaction("derive:Feedback", _bound(self._derive_same_as, ids))
        stale = self.gateway.read("derive_same_as_stale", cypher.load("derive_same_as_stale"), {"tenant": tenant_id})
        if stale:
            self.gateway.write_transaction("derive:Feedback", _bound(self._derive_same_as, [r["id"] for r in stale]))

    # --- incremental ---------------------------------------------------------------------------

    def incremental(self, *, max_changes: int | None = None, reuse_checkpoint: bool = False) -> SyncReport:
        """Apply every change_log entry after the checkpoint, batch by batch.

        ``reuse_checkpoint`` (a follower woken by a notification): start from the checkpoint this
        instance last read or wrote instead of reading it from the graph. Each batch's transaction
        checks that the graph's checkpoint is still that one (another run, a full sync, may have moved
        it); when it is not, the batch is rolled back and the run goes on from the graph's checkpoint."""
        report = SyncReport(mode="incremental")
        try:
            self.ensure_schema()
            return self._incremental(report, max_changes, reuse_checkpoint)
        except (ServiceError, sa.exc.OperationalError):
            self.schema = None  # Neo4j (or the CRM) went away: check the schema again when it is back
            self._checkpoint_seen = None
            raise

    def _incremental(self, report: SyncReport, max_changes: int | None, reuse_checkpoint: bool) -> SyncReport:
        applied = 0
        if reuse_checkpoint and self._checkpoint_seen is not None:
            checkpoint = self._checkpoint_seen
        else:
            checkpoint = self._checkpoint_seen = self.checkpoint() or 0
        while max_changes is None or applied < max_changes:
            limit = self.batch_size if max_changes is None else min(self.batch_size, max_changes - applied)
            rows = SyncReport(mode="incremental")  # this batch's skipped rows, kept if it commits

            def fetch(
                conn: sa.Connection, changes: list[Change], rows: SyncReport = rows, after: int = checkpoint
            ) -> _Batch | None:
                if changes:
                    return self._batch_for(conn, changes, rows)
                if report.changes_applied == 0:
                    self._warn_if_ahead(conn, after)
                return None

            # One connection (on PostgreSQL one REPEATABLE READ transaction) for the change log and the rows.
            changes, batch = self.changes.read_and_fetch(after=checkpoint, limit=limit, fetch=fetch)
            if batch is None:
                break
            last_seq = changes[-1].seq
            rejected_before = len(report.rejected)
            try:
                self._write(batch, report, checkpoint=last_seq, checkpoint_before=checkpoint)
            except _CheckpointMoved as moved:  # rolled back: go on from the graph's checkpoint
                log.info("the checkpoint moved to %s meanwhile (not %s): reading from there", moved.seq, checkpoint)
                checkpoint = self._checkpoint_seen = moved.seq
                continue
            report.rejected[rejected_before:rejected_before] = rows.rejected  # the rows' own first, as before
            applied += len(changes)
            report.changes_applied += len(changes)
            report.last_seq = checkpoint = self._checkpoint_seen = last_seq
            self._progress("changes", len(changes))
            if len(changes) < limit:  # all there was (or all before a gap): no need to ask again
                break
        return report

    def warm_up(self) -> int:
        """Run the incremental path's queries once, writing nothing; the number of rows rehearsed.

        Neo4j plans a query the first time it runs it: on a server that has not run the sync's
        incremental queries yet (after a start) that is 0.1-0.2 s a query and up to a second or more for
        each of the first batches, which the first changes a follower applies would wait for. This
        rehearses a batch of one row of each mirrored table (as a change: upserted) and one id of each
        that is not there (as a deleted row), checkpoint included, in one transaction that is rolled
        back. A follower calls it before it waits for changes."""
        self.ensure_schema()
        changes = []
        with self.engine.connect() as conn:
            for table in [*NODES_BY_TABLE, *EDGES_BY_TABLE]:
                row = conn.execute(sa.select(sa.text("*")).select_from(sa.table(table)).limit(1)).first()
                if row is None:
                    continue
                values = row._mapping
                tenant_id = values["id"] if table == "tenant" else values.get("tenant_id")
                changes.append(Change(0, tenant_id, table, str(values["id"]), "update", None))
                changes.append(Change(0, tenant_id, table, f"warm-up-{uuid.uuid4()}", "delete", None))
            if not changes:
                return 0
            batch = self._batch_for(conn, changes, SyncReport(mode="warm-up"))
        try:
            self._write(batch, SyncReport(mode="warm-up"), checkpoint=self.checkpoint() or 0, rehearse=True)
        except _Rehearsed:
            pass
        except GraphConflictError as exc:  # the first incremental step reports it
            log.warning("warm-up skipped: %s", exc)
        return len(changes) // 2

    @staticmethod
    def _refuse_tenant_collisions(tx: ManagedTransaction, records: Sequence[NodeRecord]) -> None:
        """A tenant of SQL whose slug another Tenant node holds (a tenant re-created): only a full sync fixes that.

        The first query of the batch's transaction: raising rolls the transaction back, nothing written."""
        pairs = [{"id": r.id, "slug": r.properties["slug"]} for r in records if r.properties.get("slug")]
        if not pairs:
            return
        rows = list(
            tx.run(
                "UNWIND $pairs AS pair MATCH (t:Tenant {slug: pair.slug}) WHERE t.id <> pair.id "
                "RETURN pair.slug AS slug, t.id AS theirs, pair.id AS mine LIMIT 1",
                pairs=pairs,
            )
        )
        if rows:
            raise GraphConflictError(  # not naming the other tenant's id: the caller may be an API client
                f"the graph holds another tenant with slug '{rows[0]['slug']}' than this CRM's: the tenant was "
                "re-created, or the graph holds another CRM's data; run `kgcrm sync --full`, which removes what is "
                "not in SQL (`--dry-run` first shows what)"
            )

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
        checkpoint_before: int | None = None,
        rehearse: bool = False,
    ) -> None:
        """Write one batch in one transaction; ``derive=False`` leaves WORKS_AT/INTERACTED to the caller.

        ``rehearse``: run every query of the batch, then roll the transaction back (:meth:`warm_up`).

        ``checkpoint``: moved there in the same transaction, which is rolled back (:class:`_CheckpointMoved`)
        unless the graph's checkpoint was ``checkpoint_before`` (the one the batch's changes were read after).
        With a checkpoint, the batch's Tenant records are first checked for a slug another tenant holds."""

        def work(tx: ManagedTransaction) -> set[str]:
            if checkpoint is not None:
                self._refuse_tenant_collisions(tx, batch.nodes.get("tenant", []))
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
            decisions = [r.id for r in batch.nodes.get("feedback", [])] + batch.deleted_nodes.get("Feedback", [])
            if derive and decisions:  # feedback (issue 14): confirmed duplicates become SAME_AS
                self._derive_same_as(tx, sorted(decisions))
            if checkpoint is not None:
                record = tx.run(
                    cypher.load("sync_checkpoint_write"), source=CHECKPOINT_SOURCE, last_seq=checkpoint
                ).single(strict=True)
                before = record["before"] or 0
                if checkpoint_before is not None and before != checkpoint_before:
                    raise _CheckpointMoved(before)
            if rehearse:
                raise _Rehearsed
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

    def _write_checkpoint_only(self, seq: int, *, source: str = CHECKPOINT_SOURCE) -> None:
        if source == CHECKPOINT_SOURCE:
            self._checkpoint_seen = None  # read it again before the next incremental batch
        self.gateway.write(
            "sync_checkpoint_write", cypher.load("sync_checkpoint_write"), {"source": source, "last_seq": seq}
        )

    def mark_embedded(self, seq: int) -> None:
        """Every change up to ``seq`` has its embeddings written (or ``EMBED_ALL``: every entity is due)."""
        self._write_checkpoint_only(seq, source=EMBEDDINGS_SOURCE)

    def changed_entities(self, after: int, through: int) -> Iterator[list[str]]:
        """The ids of the entity rows the change log names in ``(after, through]``, in pages."""
        entity_tables = [m.table for m in NODES if m.entity] + list(SUBTYPE_PARENT)
        while after < through:
            with self.engine.connect() as conn:
                query = (
                    sa.select(CHANGE_LOG.c.seq, CHANGE_LOG.c.entity_id)
                    .where(CHANGE_LOG.c.seq > after, CHANGE_LOG.c.seq <= through)
                    .where(CHANGE_LOG.c.entity_type.in_(entity_tables))
                    .order_by(CHANGE_LOG.c.seq)
                    .limit(self.batch_size)
                )
                rows = conn.execute(query).all()
            if not rows:
                return
            yield sorted({str(row.entity_id) for row in rows})
            after = int(rows[-1].seq)

    # --- repair --------------------------------------------------------------------------------

    def resync(
        self,
        ids_by_table: dict[str, set[str]],
        *,
        contacts: Iterable[str] = (),
        people: Iterable[str] = (),
    ) -> SyncReport:
        """Make these rows' nodes and relationships equal to SQL (upsert, or delete when the row is gone),
        and derive WORKS_AT for these contacts and INTERACTED for these people again."""
        report = SyncReport(mode="repair")
        self.ensure_schema()
        changes = [
            Change(0, None, table, entity_id, "repair", None)
            for table, ids in ids_by_table.items()
            for entity_id in sorted(ids)
        ]
        for start in range(0, len(changes), self.batch_size):
            with self.engine.connect() as conn:
                batch = self._batch_for(conn, changes[start : start + self.batch_size], report)
            self._write(batch, report)
        for label, ids, refresh in (
            ("Contact", sorted(contacts), self._derive_contacts),
            ("Person", sorted(people), self._derive_people),
        ):
            for start in range(0, len(ids), self.batch_size):
                chunk = ids[start : start + self.batch_size]
                self.gateway.write_transaction(f"repair:{label}", _bound(refresh, chunk))
        return report

    @staticmethod
    def _derive_contacts(tx: ManagedTransaction, ids: Sequence[str]) -> None:
        tx.run(cypher.load("derive_works_at"), ids=list(ids)).consume()

    @staticmethod
    def _derive_same_as(tx: ManagedTransaction, ids: Sequence[str]) -> None:
        tx.run(cypher.load("derive_same_as"), ids=list(ids)).consume()

    @staticmethod
    def _derive_people(tx: ManagedTransaction, ids: Sequence[str]) -> None:
        tx.run(cypher.load("derive_interacted_clear"), ids=list(ids)).consume()
        tx.run(cypher.load("derive_interacted"), ids=list(ids)).consume()


class _Rehearsed(Exception):
    """A rehearsed batch ran every query: its transaction is rolled back (:meth:`GraphSync.warm_up`)."""


class _CheckpointMoved(Exception):
    """The graph's checkpoint is not the one a batch was read after: its transaction is rolled back."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"the checkpoint is at {seq}")
        self.seq = seq


A = TypeVar("A")
R = TypeVar("R")


def _bound(work: Callable[[ManagedTransaction, A], R], arg: A) -> Callable[[ManagedTransaction], R]:
    """``work`` with its second argument fixed now (a loop's current value), as a transaction function."""
    return lambda tx: work(tx, arg)


def _deleting(
    delete: Callable[[ManagedTransaction, str, Sequence[str]], None], name: str
) -> Callable[[ManagedTransaction, list[str]], None]:
    """``delete(tx, name, ids)`` with the label or relationship type fixed now."""
    return lambda tx, ids: delete(tx, name, ids)


def _write_batch_links(tx: ManagedTransaction, batch: _Batch) -> None:
    for table, records in batch.nodes.items():
        load.write_links(tx, records, NODES_BY_TABLE[table])


def _ids(tx: ManagedTransaction, name: str, params: dict[str, Any]) -> set[str]:
    return {record["id"] for record in tx.run(cypher.load(name), **params)}


def _affected_people(tx: ManagedTransaction, interactions: Sequence[str], participants: Sequence[str]) -> set[str]:
    if not interactions and not participants:
        return set()
    return _ids(
        tx, "derive_affected_people", {"interaction_ids": list(interactions), "participant_ids": list(participants)}
    )
