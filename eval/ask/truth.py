"""The expected answer of every family, by SQL on the relational CRM (SQLAlchemy Core).

Never through the graph, the semantic layer or the parser. One small function per family kind;
``args`` come from the bank (``$name`` already replaced by the instantiated value). The readings
fixed here (the bank's meaning of each word):

- "deals"/"opportunities" are leads of type opportunity; "leads" are all leads; "open", "won", "lost",
  "active" are status categories; a stage or status is a status name;
- "my"/"me"/"I" is the asking user: the owner (deals, leads, contacts, accounts), the assignee
  (tasks), the author (``created_by``, notes), a participant through the user's own person
  (interactions);
- a deal's industry, location and organization are its organization's; its tier is its account's;
- "won/lost <when>" dates by ``closed_at``; "closing <when>" by ``expected_close_on``; "created",
  "added", "new" by ``created_at``; "overdue" is an open task due before now;
- "above X" is ``>``, "at least" ``≥``, "between" inclusive; money without a currency is per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kgcrm.crm.models import Base
from kgcrm.eval.ask.verdict import CENT, Accept, Groups, Rows, Top, Value
from kgcrm.eval.ask.windows import older_than, windows

T = Base.metadata.tables
lead, opp, job, part = T["lead"], T["opportunity"], T["job"], T["partnership"]
status, org, account, user = T["status"], T["organization"], T["account"], T["app_user"]
contact, person, task, note = T["contact"], T["individual"], T["task"], T["note"]
interaction, participant = T["interaction"], T["interaction_participant"]


@dataclass(frozen=True)
class Ctx:
    conn: sa.Connection
    tenant_id: str
    now: datetime
    me: Mapping[str, Any]
    reading: int = 0  # which reading of a window counted in days (eval.ask.windows)

    def window(self, name: str, *, past: bool = True) -> tuple[datetime | None, datetime | None]:
        """``past``: the field dates past events (created, closed, completed, occurred, started)."""
        options = windows(name, self.now, past=past)
        return options[min(self.reading, len(options) - 1)]

    def cutoff(self, days: int) -> datetime:
        options = older_than(self.now, days)
        return options[min(self.reading, len(options) - 1)]


def _between(column: Any, window: tuple[Any, Any], *, dates: bool = False) -> list[Any]:
    start, end = window
    if dates:
        start, end = (start.date() if start else None), (end.date() if end else None)
    conds = [column.is_not(None)]
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    return conds


def _status_by(table: sa.Table) -> Any:
    return table.join(status, status.c.id == table.c.status_id, isouter=True)


# --- leads (deals, jobs, partnerships) ------------------------------------------------------------


def _lead_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any], lead_type: str | None) -> sa.Select[Any]:
    source = lead.join(status, status.c.id == lead.c.status_id, isouter=True)
    if lead_type == "opportunity" or any(
        k in a
        for k in (
            "amount_gt",
            "amount_between",
            "currency",
            "probability_gte",
            "closed",
            "expected_close",
            "expected_close_before_today",
        )
    ):
        source = source.join(opp, opp.c.id == lead.c.id)
    if lead_type == "job" or "job_location" in a:
        source = source.join(job, job.c.id == lead.c.id)
    if lead_type == "partnership":
        source = source.join(part, part.c.id == lead.c.id)
    if any(k in a for k in ("industry", "org_location")):
        source = source.join(org, org.c.id == lead.c.organization_id)
    if "account_tier" in a:
        source = source.join(account, account.c.id == lead.c.account_id)
    where: list[Any] = [lead.c.tenant_id == ctx.tenant_id]
    if lead_type:
        where.append(lead.c.lead_type == lead_type)
    if "category" in a:
        where.append(status.c.category == a["category"])
    if "status" in a:
        where.append(status.c.name == a["status"])
    if "status_not" in a:
        where.append(sa.or_(status.c.name.is_(None), status.c.name != a["status_not"]))
    if "status_in" in a:
        where.append(status.c.name.in_(a["status_in"]))
    if a.get("no_account"):
        where.append(lead.c.account_id.is_(None))
    if "job_location" in a:
        where.append(job.c.location == a["job_location"])
    if "owner" in a:
        where.append(lead.c.owner_id == a["owner"])
    if "organization" in a:
        where.append(lead.c.organization_id == a["organization"])
    if "source" in a:
        where.append(lead.c.source == a["source"])
    if "industry" in a:
        where.append(org.c.industry == a["industry"])
    if "org_location" in a:
        where.append(org.c.location == a["org_location"])
    if "account_tier" in a:
        where.append(account.c.tier == a["account_tier"])
    if "currency" in a:
        where.append(opp.c.currency == a["currency"])
    if "amount_gt" in a:
        where.append(opp.c.amount > a["amount_gt"])
    if "amount_between" in a:
        lo, hi = a["amount_between"]
        where.append(opp.c.amount.between(lo, hi))
    if "probability_gte" in a:
        where.append(opp.c.probability >= a["probability_gte"])
    if "closed" in a:
        where += _between(opp.c.closed_at, ctx.window(a["closed"]))
    if "expected_close" in a:
        where += _between(opp.c.expected_close_on, ctx.window(a["expected_close"], past=False), dates=True)
    if a.get("expected_close_before_today"):
        where += [opp.c.expected_close_on.is_not(None), opp.c.expected_close_on < ctx.now.astimezone(UTC).date()]
    if "created" in a:
        where += _between(lead.c.created_at, ctx.window(a["created"]))
    if "updated_before_days" in a:
        where.append(lead.c.updated_at < ctx.cutoff(a["updated_before_days"]))
    if "employment_type" in a:
        where.append(job.c.employment_type == a["employment_type"])
    if "partnership_type" in a:
        where.append(part.c.partnership_type == a["partnership_type"])
    if "started" in a:
        where += _between(part.c.started_on, ctx.window(a["started"]), dates=True)
    return sa.select(*columns).select_from(source).where(*where)


def _count(ctx: Ctx, query: sa.Select[Any]) -> Value:
    return Value(ctx.conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one())


def deal_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _lead_query(ctx, a, [lead.c.id], "opportunity"))


def lead_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _lead_query(ctx, a, [lead.c.id], a.get("lead_type")))


def deal_rows(ctx: Ctx, a: Mapping[str, Any]) -> Rows:
    return Rows(frozenset(str(r[0]) for r in ctx.conn.execute(_lead_query(ctx, a, [lead.c.id], "opportunity"))))


def _money_groups(rows: list[tuple[Any, ...]], agg: str, dims: tuple[str, ...] = (), aliases: Any = None) -> Groups:
    """rows: (*dim values, currency, amount) → per (dims, currency) aggregate of the non-null amounts."""
    buckets: dict[tuple[Any, ...], list[Decimal]] = defaultdict(list)
    for *key, currency, amount in rows:
        if amount is not None:
            buckets[(*key, currency)].append(Decimal(str(amount)))
    values = {k: _agg(agg, v) for k, v in buckets.items()}
    return Groups(dims, values, money=True, aliases=aliases or {}, tolerance=CENT if agg == "avg" else Decimal(0))


def _agg(agg: str, values: list[Decimal]) -> Decimal:
    if agg == "sum":
        return sum(values, Decimal(0))
    if agg == "avg":
        return (sum(values, Decimal(0)) / len(values)).quantize(CENT)
    if agg == "min":
        return min(values)
    if agg == "max":
        return max(values)
    raise ValueError(agg)


def deal_sum(ctx: Ctx, a: Mapping[str, Any]) -> Value | Groups:
    return deal_agg(ctx, {**a, "agg": "sum", "field": "amount"})


def deal_agg(ctx: Ctx, a: Mapping[str, Any]) -> Value | Groups:
    agg, column = a["agg"], opp.c[a["field"]]
    rows = list(ctx.conn.execute(_lead_query(ctx, a, [opp.c.currency, column], "opportunity")))
    if a["field"] != "amount":  # probability: a plain number
        values = [Decimal(str(v)) for _, v in rows if v is not None]
        return Value(_agg(agg, values) if values else None, tolerance=CENT if agg == "avg" else Decimal(0))
    groups = _money_groups([tuple(r) for r in rows], agg)
    if "currency" in a:
        value = groups.values.get((a["currency"],))
        if value is None and agg == "sum":
            value = Decimal(0)
        return Value(value, currency=a["currency"], tolerance=groups.tolerance)
    return groups


def job_agg(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    rows = ctx.conn.execute(_lead_query(ctx, a, [job.c.currency, job.c[a["field"]]], "job"))
    return _money_groups([tuple(r) for r in rows], a["agg"])


def _user_aliases() -> Callable[[Ctx], dict[str, Any]]:
    def build(ctx: Ctx) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for uid, name, email in ctx.conn.execute(
            sa.select(user.c.id, user.c.full_name, user.c.email).where(user.c.tenant_id == ctx.tenant_id)
        ):
            for alias in (uid, name, email):
                if alias:
                    out[str(alias).strip().lower()] = str(uid)
        return out

    return build


def _status_aliases(ctx: Ctx) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sid, name in ctx.conn.execute(sa.select(status.c.id, status.c.name).where(status.c.tenant_id == ctx.tenant_id)):
        out[str(sid).lower()] = name
        out[name.strip().lower()] = name
    return out


_LEAD_TYPE_ALIASES = {
    "opportunity": "opportunity",
    "opportunities": "opportunity",
    "deal": "opportunity",
    "deals": "opportunity",
    "job": "job",
    "jobs": "job",
    "partnership": "partnership",
    "partnerships": "partnership",
}


def _dim(ctx: Ctx, by: str, owner_column: Any = None) -> tuple[Any, dict[str, Any]]:
    """The SQL column of a grouping dimension and the aliases its values may be given by."""
    if by == "status":
        return status.c.name, _status_aliases(ctx)
    if by == "status_category":
        return status.c.category, {}
    if by in ("owner", "assignee"):
        return owner_column, _user_aliases()(ctx)
    if by == "source":
        return lead.c.source, {}
    if by == "kind":
        return lead.c.lead_type, _LEAD_TYPE_ALIASES
    raise ValueError(by)


def _grouped(ctx: Ctx, query: sa.Select[Any], by: str, aliases: dict[str, Any]) -> Groups:
    sub = query.subquery()
    key = sub.c[sub.c.keys()[0]]
    rows = ctx.conn.execute(sa.select(key, sa.func.count()).group_by(key))
    return Groups((by,), {(k,): v for k, v in rows}, aliases={by: aliases} if aliases else {})


def deal_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    by = a["by"]
    column, aliases = _dim(ctx, by, lead.c.owner_id)
    if a.get("agg") == "sum":
        rows = ctx.conn.execute(_lead_query(ctx, a, [column, opp.c.currency, opp.c.amount], "opportunity"))
        return _money_groups([tuple(r) for r in rows], "sum", (by,), {by: aliases} if aliases else {})
    return _grouped(ctx, _lead_query(ctx, a, [column.label("k")], "opportunity"), by, aliases)


def lead_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    column, aliases = _dim(ctx, a["by"], lead.c.owner_id)
    return _grouped(ctx, _lead_query(ctx, a, [column.label("k")], a.get("lead_type")), a["by"], aliases)


def _top_groups(groups: Groups, n: int) -> Top:
    ordered = sorted(((k[0], v) for k, v in groups.values.items() if k[0] is not None), key=lambda kv: -kv[1])
    return Top(n, tuple(ordered), dims=groups.dims, aliases=groups.aliases)


def deal_top_group(ctx: Ctx, a: Mapping[str, Any]) -> Top:
    return _top_groups(deal_groups(ctx, a), a["n"])


def deal_top(ctx: Ctx, a: Mapping[str, Any]) -> Top:
    field = a.get("order", "amount")
    column = opp.c.amount if field == "amount" else lead.c.created_at
    rows = ctx.conn.execute(_lead_query(ctx, a, [lead.c.id, column], "opportunity").where(column.is_not(None)))
    ordered = sorted(((str(i), v) for i, v in rows), key=lambda kv: kv[1], reverse=True)
    return Top(a["n"], tuple(ordered))


def job_top(ctx: Ctx, a: Mapping[str, Any]) -> Top:
    column = job.c[a["field"]]
    rows = ctx.conn.execute(_lead_query(ctx, a, [lead.c.id, column], "job").where(column.is_not(None)))
    return Top(a["n"], tuple(sorted(((str(i), Decimal(str(v))) for i, v in rows), key=lambda kv: kv[1], reverse=True)))


# --- organizations, people, contacts, accounts ---------------------------------------------------


def _org_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any]) -> sa.Select[Any]:
    where = [org.c.tenant_id == ctx.tenant_id]
    if "industry" in a:
        where.append(org.c.industry == a["industry"])
    if "location" in a:
        where.append(org.c.location == a["location"])
    if "created" in a:
        where += _between(org.c.created_at, ctx.window(a["created"]))
    return sa.select(*columns).where(*where)


def org_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _org_query(ctx, a, [org.c.id]))


def org_rows(ctx: Ctx, a: Mapping[str, Any]) -> Rows:
    return Rows(frozenset(str(r[0]) for r in ctx.conn.execute(_org_query(ctx, a, [org.c.id]))))


def org_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    return _grouped(ctx, _org_query(ctx, a, [org.c[a["by"]].label("k")]), a["by"], {})


def org_top_group(ctx: Ctx, a: Mapping[str, Any]) -> Top:
    return _top_groups(org_groups(ctx, a), a["n"])


def _person_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any]) -> sa.Select[Any]:
    where = [person.c.tenant_id == ctx.tenant_id]
    if "location" in a:
        where.append(person.c.location == a["location"])
    if "created" in a:
        where += _between(person.c.created_at, ctx.window(a["created"]))
    return sa.select(*columns).where(*where)


def person_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _person_query(ctx, a, [person.c.id]))


def person_rows(ctx: Ctx, a: Mapping[str, Any]) -> Any:
    """People currently at an organization (a contact role without an end); their contact ids also accepted."""
    q = sa.select(contact.c.individual_id, contact.c.id).where(
        contact.c.tenant_id == ctx.tenant_id,
        contact.c.organization_id == a["current_employer"],
        contact.c.ended_on.is_(None),
    )
    rows = list(ctx.conn.execute(q))
    return Accept((Rows(frozenset(str(r[0]) for r in rows)), Rows(frozenset(str(r[1]) for r in rows))))


def _contact_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any]) -> sa.Select[Any]:
    where = [contact.c.tenant_id == ctx.tenant_id]
    if "status" in a:
        where.append(status.c.name == a["status"])
    if "owner" in a:
        where.append(contact.c.owner_id == a["owner"])
    if "title_contains" in a:
        where.append(sa.func.lower(contact.c.title).contains(a["title_contains"].lower(), autoescape=True))
    if a.get("current"):
        where.append(contact.c.ended_on.is_(None))
    return sa.select(*columns).select_from(_status_by(contact)).where(*where)


def contact_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _contact_query(ctx, a, [contact.c.id]))


def contact_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    column, aliases = _dim(ctx, a["by"], contact.c.owner_id)
    return _grouped(ctx, _contact_query(ctx, a, [column.label("k")]), a["by"], aliases)


def _account_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any]) -> sa.Select[Any]:
    source = _status_by(account)
    where = [account.c.tenant_id == ctx.tenant_id]
    if "industry" in a:
        source = source.join(org, org.c.id == account.c.organization_id)
        where.append(org.c.industry == a["industry"])
    if "tier" in a:
        where.append(account.c.tier == a["tier"])
    if "status" in a:
        where.append(status.c.name == a["status"])
    if "owner" in a:
        where.append(account.c.owner_id == a["owner"])
    return sa.select(*columns).select_from(source).where(*where)


def account_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _account_query(ctx, a, [account.c.id]))


def account_rows(ctx: Ctx, a: Mapping[str, Any]) -> Rows:
    return Rows(frozenset(str(r[0]) for r in ctx.conn.execute(_account_query(ctx, a, [account.c.id]))))


def account_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    if a["by"] == "tier":
        return _grouped(ctx, _account_query(ctx, a, [account.c.tier.label("k")]), "tier", {})
    column, aliases = _dim(ctx, a["by"], account.c.owner_id)
    return _grouped(ctx, _account_query(ctx, a, [column.label("k")]), a["by"], aliases)


# --- tasks, notes, interactions, team -----------------------------------------------------------


def _task_query(ctx: Ctx, a: Mapping[str, Any], columns: list[Any]) -> sa.Select[Any]:
    where = [task.c.tenant_id == ctx.tenant_id]
    if "category" in a:
        where.append(status.c.category == a["category"])
    if "status" in a:
        where.append(status.c.name == a["status"])
    if "assignee" in a:
        where.append(task.c.assignee_id == a["assignee"])
    if a.get("overdue"):
        where += [task.c.due_at.is_not(None), task.c.due_at < ctx.now]
    if "due" in a:
        where += _between(task.c.due_at, ctx.window(a["due"], past=False))
    if "completed" in a:
        where += _between(task.c.completed_at, ctx.window(a["completed"]))
    return sa.select(*columns).select_from(_status_by(task)).where(*where)


def task_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _task_query(ctx, a, [task.c.id]))


def task_rows(ctx: Ctx, a: Mapping[str, Any]) -> Rows:
    return Rows(frozenset(str(r[0]) for r in ctx.conn.execute(_task_query(ctx, a, [task.c.id]))))


def task_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    column, aliases = _dim(ctx, a["by"], task.c.assignee_id)
    return _grouped(ctx, _task_query(ctx, a, [column.label("k")]), a["by"], aliases)


def note_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    where = [note.c.tenant_id == ctx.tenant_id]
    if "created" in a:
        where += _between(note.c.created_at, ctx.window(a["created"]))
    if "author" in a:
        where.append(note.c.created_by == a["author"])
    return _count(ctx, sa.select(note.c.id).where(*where))


def _interaction_query(
    ctx: Ctx, a: Mapping[str, Any], columns: list[Any], *, past_roles: bool = False
) -> sa.Select[Any]:
    where = [interaction.c.tenant_id == ctx.tenant_id]
    if "kind" in a:
        where.append(interaction.c.kind == a["kind"])
    if "source" in a:
        where.append(interaction.c.source == a["source"])
    if "occurred" in a:
        where += _between(interaction.c.occurred_at, ctx.window(a["occurred"]))
    if "participant" in a:
        mine = sa.select(user.c.individual_id).where(user.c.id == a["participant"])
        where.append(
            interaction.c.id.in_(sa.select(participant.c.interaction_id).where(participant.c.individual_id.in_(mine)))
        )
    if "org" in a:
        roles = [contact.c.organization_id == a["org"]]
        if not past_roles:
            roles.append(contact.c.ended_on.is_(None))
        people = sa.select(contact.c.individual_id).where(*roles)
        where.append(
            interaction.c.id.in_(sa.select(participant.c.interaction_id).where(participant.c.individual_id.in_(people)))
        )
    return sa.select(*columns).where(*where)


def interaction_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    return _count(ctx, _interaction_query(ctx, a, [interaction.c.id]))


def interaction_org_count(ctx: Ctx, a: Mapping[str, Any]) -> Accept:
    """Interactions with anyone currently at the organization (or who ever was)."""
    return Accept(
        tuple(_count(ctx, _interaction_query(ctx, a, [interaction.c.id], past_roles=p)) for p in (False, True))
    )


def note_about(ctx: Ctx, a: Mapping[str, Any]) -> Accept:
    """Notes on the organization itself, or also on its leads, accounts, contacts and current people."""
    o = a["org"]
    direct = sa.and_(note.c.subject_type == "organization", note.c.subject_id == o)
    related = sa.or_(
        direct,
        sa.and_(
            note.c.subject_type == "lead",
            note.c.subject_id.in_(sa.select(lead.c.id).where(lead.c.organization_id == o)),
        ),
        sa.and_(
            note.c.subject_type == "account",
            note.c.subject_id.in_(sa.select(account.c.id).where(account.c.organization_id == o)),
        ),
        sa.and_(
            note.c.subject_type == "contact",
            note.c.subject_id.in_(sa.select(contact.c.id).where(contact.c.organization_id == o)),
        ),
        sa.and_(
            note.c.subject_type == "individual",
            note.c.subject_id.in_(
                sa.select(contact.c.individual_id).where(contact.c.organization_id == o, contact.c.ended_on.is_(None))
            ),
        ),
    )
    return Accept(
        tuple(_count(ctx, sa.select(note.c.id).where(note.c.tenant_id == ctx.tenant_id, w)) for w in (direct, related))
    )


def interaction_groups(ctx: Ctx, a: Mapping[str, Any]) -> Groups:
    return _grouped(ctx, _interaction_query(ctx, a, [interaction.c.kind.label("k")]), "kind", {})


def interaction_top(ctx: Ctx, a: Mapping[str, Any]) -> Any:
    """The latest interactions with anyone currently at the organization (or who ever was)."""
    options = []
    for past in (False, True):
        rows = ctx.conn.execute(
            _interaction_query(ctx, a, [interaction.c.id, interaction.c.occurred_at], past_roles=past)
        )
        ordered = sorted(((str(i), t) for i, t in rows if t is not None), key=lambda kv: kv[1], reverse=True)
        options.append(Top(a["n"], tuple(ordered)))
    return Accept(tuple(options))


def user_count(ctx: Ctx, a: Mapping[str, Any]) -> Value:
    where = [user.c.tenant_id == ctx.tenant_id]
    if a.get("active"):
        where.append(user.c.is_active.is_(True))
    return _count(ctx, sa.select(user.c.id).where(*where))


def user_rows(ctx: Ctx, a: Mapping[str, Any]) -> Rows:
    where = [user.c.tenant_id == ctx.tenant_id]
    if a.get("active"):
        where.append(user.c.is_active.is_(True))
    return Rows(frozenset(str(r[0]) for r in ctx.conn.execute(sa.select(user.c.id).where(*where))))


TRUTHS: dict[str, Callable[[Ctx, Mapping[str, Any]], Any]] = {
    name: fn
    for name, fn in globals().items()
    if callable(fn)
    and not name.startswith("_")
    and name.split("_")[0]
    in ("deal", "lead", "job", "org", "person", "contact", "account", "task", "note", "interaction", "user")
    and fn.__module__ == __name__
}
