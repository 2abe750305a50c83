"""Writing signals into the relational CRM, one transaction per chunk.

Per chunk of :attr:`CrmWriter.chunk_size` signals: one query finds the interactions
already ingested (``tenant_id, source, external_id``: the index
``ix_interaction_tenant_id_source_external_id``), one their participants; people are
matched in memory (:class:`~kgcrm.ingest.directory.Directory`); then new rows are inserted
in bulk and changed ones updated. The database's triggers log every row into
``change_log``, so the sync carries the run into the graph like any other write.

Idempotent: an interaction already there is updated only where the input says more
(a newer last message, a subject or excerpt it lacked, a participant it did not have,
a stronger role); participants are never removed (a partial export must not undo a
fuller one). Re-ingesting the same input writes nothing.

A chunk the database refuses is retried signal by signal, each in its own
transaction; a signal still refused is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kgcrm.core.errors import DataError, TenantIsolationError
from kgcrm.crm.database import data_error_from
from kgcrm.crm.models import (
    AppUser,
    Contact,
    Individual,
    Interaction,
    InteractionParticipant,
    InteractionSource,
    Organization,
    new_id,
)
from kgcrm.ingest.addresses import is_free_mail, organization_name, split_name
from kgcrm.ingest.directory import Directory, Match, NameCandidates, registrable
from kgcrm.ingest.records import ROLE_RANK, Address, IngestReport, Problem, Signal

Tick = Callable[[int], None]

_MATCH_LABELS = {"team": "team member", "email": "by e-mail", "name_domain": "by name + domain"}


class _Chunk:
    """The rows one chunk inserts and updates."""

    def __init__(self) -> None:
        self.inserts: dict[str, list[dict[str, Any]]] = {
            "individual": [],
            "organization": [],
            "contact": [],
            "interaction": [],
            "interaction_participant": [],
        }
        self.interaction_updates: list[dict[str, Any]] = []
        self.role_updates: list[dict[str, Any]] = []
        self.user_links: list[dict[str, Any]] = []


class CrmWriter:
    """Writes :class:`~kgcrm.ingest.records.Signal`\\ s of one tenant into the CRM (see the module docstring).

    ``user_id`` (an ``app_user`` id) goes into ``created_by``/``updated_by``; ``names`` is an
    optional extra source of name candidates (the graph's entity resolver).
    """

    def __init__(
        self,
        engine: sa.Engine,
        tenant_id: str,
        *,
        user_id: str | None = None,
        names: NameCandidates | None = None,
        chunk_size: int = 500,
    ) -> None:
        self.engine = engine
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.names = names
        self.chunk_size = chunk_size
        self._directory: Directory | None = None
        self._seen: set[str] = set()  # addresses counted in report.matched / created this run

    def directory(self) -> Directory:
        if self._directory is None:
            with self.engine.connect() as conn:
                self._directory = Directory.load(conn, self.tenant_id)
        return self._directory

    # --- the run ------------------------------------------------------------------------------------

    def write(self, signals: Iterable[Signal], report: IngestReport, *, tick: Tick | None = None) -> None:
        chunk: list[Signal] = []
        for signal in signals:
            chunk.append(signal)
            if len(chunk) >= self.chunk_size:
                self._write_chunk(chunk, report, tick)
                chunk = []
        if chunk:
            self._write_chunk(chunk, report, tick)

    def _write_chunk(self, signals: list[Signal], report: IngestReport, tick: Tick | None) -> None:
        trial = IngestReport()
        try:
            with self.engine.begin() as conn:
                self._apply(conn, signals, trial)
        except (IntegrityError, DataError) as exc:
            self._directory = None  # it may hold rows that were rolled back
            self._seen.clear()
            if len(signals) > 1:
                for signal in signals:
                    self._write_chunk([signal], report, None)
            else:
                error = data_error_from(exc) if isinstance(exc, IntegrityError) else exc
                where = f"{signals[0].source} {signals[0].external_id}"
                column = ".".join(p for p in (error.table, error.field) if p) or "row"
                isolation = "tenant isolation: " if isinstance(error, TenantIsolationError) else ""
                report.problem(Problem(where, column, f"{isolation}{error.reason}"), "refused by the CRM")
        else:
            report.merge(trial)
        if tick is not None:
            tick(len(signals))

    # --- one chunk ------------------------------------------------------------------------------------

    def _apply(self, conn: sa.Connection, signals: list[Signal], report: IngestReport) -> None:
        directory = self.directory()
        chunk = _Chunk()
        existing = self._existing(conn, signals)
        for signal in signals:
            people = {
                email: self._person(address, signal.source, directory, chunk, report)
                for email, (address, _) in signal.participants.items()
            }
            roles: dict[str, str] = {}
            for email, (_, role) in signal.participants.items():
                pid = people[email]
                if pid not in roles or ROLE_RANK[role] > ROLE_RANK[roles[pid]]:
                    roles[pid] = role
            found = existing.get((signal.source, signal.external_id))
            if found is None:
                interaction_id = new_id()
                chunk.inserts["interaction"].append(
                    self._audited(
                        id=interaction_id,
                        kind=signal.kind,
                        subject=signal.subject,
                        summary=signal.summary,
                        occurred_at=signal.occurred_at,
                        source=signal.source,
                        external_id=signal.external_id,
                    )
                )
                report.created["interaction"] += 1
                have: dict[str, tuple[str, str | None]] = {}
                existing[(signal.source, signal.external_id)] = {  # a later signal with this key updates it
                    "id": interaction_id,
                    "subject": signal.subject,
                    "summary": signal.summary,
                    "occurred_at": signal.occurred_at,
                    "participants": have,
                }
            else:
                interaction_id = found["id"]
                have = found["participants"]
                changes = self._interaction_changes(found, signal)
                if changes:
                    chunk.interaction_updates.append({"b_id": interaction_id, **changes, "updated_by": self.user_id})
                    found.update(changes)
                    report.updated["interaction"] += 1
                else:
                    report.unchanged["interaction"] += 1
            for pid, role in roles.items():
                known = have.get(pid)
                if known is None:
                    participant_id = new_id()
                    chunk.inserts["interaction_participant"].append(
                        self._audited(id=participant_id, interaction_id=interaction_id, individual_id=pid, role=role)
                    )
                    have[pid] = (participant_id, role)
                    report.created["interaction_participant"] += 1
                elif ROLE_RANK.get(role, 0) > ROLE_RANK.get(known[1] or "", 0):
                    chunk.role_updates.append({"b_id": known[0], "role": role, "updated_by": self.user_id})
                    have[pid] = (known[0], role)
                    report.updated["interaction_participant"] += 1
        self._flush(conn, chunk)

    def _existing(self, conn: sa.Connection, signals: Sequence[Signal]) -> dict[tuple[str, str], dict[str, Any]]:
        table, parts = Interaction.__table__, InteractionParticipant.__table__
        found: dict[tuple[str, str], dict[str, Any]] = {}
        by_source: dict[str, list[str]] = {}
        for signal in signals:
            by_source.setdefault(signal.source, []).append(signal.external_id)
        for source, external_ids in by_source.items():
            rows = conn.execute(
                sa.select(table.c.id, table.c.external_id, table.c.subject, table.c.summary, table.c.occurred_at)
                .where(
                    table.c.tenant_id == self.tenant_id,
                    table.c.source == source,
                    table.c.external_id.in_(sorted(set(external_ids))),
                )
                .order_by(table.c.created_at, table.c.id)
            )
            for row in rows:
                found.setdefault(
                    (source, row.external_id),
                    {
                        "id": row.id,
                        "subject": row.subject,
                        "summary": row.summary,
                        "occurred_at": row.occurred_at,
                        "participants": {},
                    },
                )
        by_id = {value["id"]: value for value in found.values()}
        if by_id:
            rows = conn.execute(
                sa.select(parts.c.id, parts.c.interaction_id, parts.c.individual_id, parts.c.role).where(
                    parts.c.interaction_id.in_(sorted(by_id))
                )
            )
            for row in rows:
                by_id[row.interaction_id]["participants"].setdefault(row.individual_id, (row.id, row.role))
        return found

    @staticmethod
    def _interaction_changes(found: dict[str, Any], signal: Signal) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        when = found["occurred_at"]
        if signal.source == InteractionSource.CALENDAR.value:
            if when != signal.occurred_at:  # a moved meeting moves
                changes["occurred_at"] = signal.occurred_at
        elif when is None or signal.occurred_at > when:  # a thread's newest message only moves forward
            changes["occurred_at"] = signal.occurred_at
        if signal.subject and not found["subject"]:
            changes["subject"] = signal.subject
        if signal.summary and signal.summary != found["summary"]:
            changes["summary"] = signal.summary
        return changes

    # --- people ------------------------------------------------------------------------------------

    def _person(self, address: Address, source: str, directory: Directory, chunk: _Chunk, report: IngestReport) -> str:
        match = directory.match(address, self.names)
        first_time = address.email not in self._seen
        self._seen.add(address.email)
        if match.individual_id is not None:
            if match.link_user and match.user_id is not None:
                self._link_user(match.user_id, match.individual_id, directory, chunk, report)
            if match.rule == "name_domain":
                directory.add_alias(match.individual_id, address.email)
            if first_time and match.rule:
                report.matched[_MATCH_LABELS[match.rule]] += 1
                report.links[address.email] = match.individual_id
            return match.individual_id
        if match.ambiguous and first_time:
            report.notes["name + domain ambiguous (new person created)"] += 1
        created = self._create_person(address, source, match, directory, chunk, report)
        report.links[address.email] = created
        return created

    def _create_person(
        self, address: Address, source: str, match: Match, directory: Directory, chunk: _Chunk, report: IngestReport
    ) -> str:
        first, last = split_name(address.name, address.email)
        pid = new_id()
        chunk.inserts["individual"].append(
            self._audited(id=pid, first_name=first, last_name=last, email=address.email, source=source)
        )
        directory.add_person(pid, first, last, address.email)
        report.created["individual"] += 1
        if match.link_user and match.user_id is not None:
            self._link_user(match.user_id, pid, directory, chunk, report)
            return pid
        if is_free_mail(address.domain):
            return pid
        org_id = directory.organization_for(address.domain)
        if org_id is None:
            org_id = new_id()
            domain = registrable(address.domain)
            chunk.inserts["organization"].append(
                self._audited(id=org_id, name=organization_name(domain), domain=domain, source=source)
            )
            directory.add_organization(org_id, domain)
            report.created["organization"] += 1
        chunk.inserts["contact"].append(
            self._audited(id=new_id(), individual_id=pid, organization_id=org_id, email=address.email)
        )
        report.created["contact"] += 1
        return pid

    def _link_user(
        self, user_id: str, individual_id: str, directory: Directory, chunk: _Chunk, report: IngestReport
    ) -> None:
        """Set ``app_user.individual_id`` of a user who had no person record."""
        chunk.user_links.append({"b_id": user_id, "individual_id": individual_id, "updated_by": self.user_id})
        for email, (uid, _) in list(directory.users.items()):
            if uid == user_id:
                directory.link_user(email, individual_id)
        report.updated["app_user (linked to its person)"] += 1

    # --- SQL ------------------------------------------------------------------------------------------

    def _audited(self, **values: Any) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "created_by": self.user_id, "updated_by": self.user_id, **values}

    def _flush(self, conn: sa.Connection, chunk: _Chunk) -> None:
        tables = {
            "individual": _table(Individual),
            "organization": _table(Organization),
            "contact": _table(Contact),
            "interaction": _table(Interaction),
            "interaction_participant": _table(InteractionParticipant),
        }
        for name, rows in chunk.inserts.items():
            if rows:
                for group in _same_keys(rows):
                    conn.execute(sa.insert(tables[name]), group)
        if chunk.user_links:
            _update(conn, _table(AppUser), chunk.user_links)
        for group in _same_keys(chunk.interaction_updates):
            _update(conn, _table(Interaction), group)
        if chunk.role_updates:
            _update(conn, _table(InteractionParticipant), chunk.role_updates)


def _table(model: type[Any]) -> sa.Table:
    """A mapped class's table (SQLAlchemy types ``__table__`` as any FromClause; a declarative one is a Table)."""
    table = model.__table__
    if not isinstance(table, sa.Table):  # pragma: no cover - every CRM model is declared with __tablename__
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def _update(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``UPDATE table SET <the rows' columns> WHERE id = b_id``, executemany (every row has the same keys)."""
    columns = [k for k in rows[0] if k != "b_id"]
    statement = (
        sa.update(table).where(table.c.id == sa.bindparam("b_id")).values({k: sa.bindparam(f"b_{k}") for k in columns})
    )
    conn.execute(statement, [{"b_id": row["b_id"], **{f"b_{k}": row[k] for k in columns}} for row in rows])


def _same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their set of keys (an executemany needs the same columns in every row)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())
