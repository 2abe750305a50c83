"""The values a family is instantiated with, read from the CRM under test by SQL.

A family names them by kind and rank (``[status, opportunity, open, 1]``: the open opportunity stage
with the most deals); the same family thus instantiates on any CRM with that CRM's own stages,
industries, tiers, currencies, sources and users. Ties are broken by name, so a CRM gives the same
values every time. :class:`Param` renders a value the ways people write it (``{t|k}`` → "50k").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kgcrm.crm.models import Base

T = Base.metadata.tables

CATEGORIES = ("open", "won", "lost", "active", "inactive", "done")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_CURRENCY_WORDS = {
    "USD": "dollars",
    "EUR": "euros",
    "GBP": "pounds",
    "CHF": "Swiss francs",
    "CAD": "Canadian dollars",
}
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for a whole number below a billion: 150000 → "one hundred fifty thousand"."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else f"-{_ONES[n % 10]}")
    if n < 1000:
        return f"{_ONES[n // 100]} hundred" + ("" if n % 100 == 0 else f" {number_words(n % 100)}")
    for size, word in ((1_000_000, "million"), (1_000, "thousand")):
        if n >= size:
            rest = n % size
            return f"{number_words(n // size)} {word}" + ("" if rest == 0 else f" {number_words(rest)}")
    raise ValueError(n)


def typo(text: str) -> str:
    """A deterministic typo: two inner letters of the first word of 5+ letters swapped."""
    m = re.search(r"[A-Za-zÀ-ÿ]{5,}", text)
    if not m:
        return text
    word = m.group(0)
    i = 2 if word[2] != word[3] else 3
    wrong = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return text[: m.start()] + wrong + text[m.end() :]


@dataclass(frozen=True)
class Param:
    """One instantiated value: what filters use (``value``), how the question writes it (``text``)."""

    value: Any
    display: str
    currency: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def text(self, how: str | None) -> str:
        if how is None:
            return self.display
        if how == "lower":
            return self.display.lower()
        if how == "typo":
            return typo(self.display)
        if how in self.extra:
            return self.extra[how]
        if isinstance(self.value, Decimal):
            n = int(self.value)
            plain = f"{n:,}"
            if how == "num":
                return plain
            if how == "k":
                return f"{n // 1000}k" if n % 1000 == 0 else plain
            if how == "words":
                return number_words(n)
            if how == "money":
                symbol = _SYMBOLS.get(self.currency or "")
                return f"{symbol}{plain}" if symbol else f"{plain} {self.currency}"
            if how == "code":
                return f"{plain} {self.currency}"
            thousands = n // 1000 if n % 1000 == 0 else None  # dev2's renderings: "50 thousand", "fifty grand", "$50k"
            if how == "thousand":
                return f"{thousands:,} thousand" if thousands else plain
            if how == "grand":
                return f"{number_words(thousands)} grand" if thousands else plain
            if how == "money_k":
                symbol = _SYMBOLS.get(self.currency or "")
                short = f"{thousands:,}k" if thousands else plain
                return f"{symbol}{short}" if symbol else f"{short} {self.currency}"
            if how == "code_only":
                return self.currency or ""
            # dev5's renderings: "75K", "75 grand", "0.075M" (digits, as typed into a search box)
            if how == "k_upper":
                return f"{thousands:,}K" if thousands else plain
            if how == "grand_num":
                return f"{thousands:,} grand" if thousands else plain
            if how == "millions":
                return f"{(Decimal(n) / 1_000_000).normalize():f}M"
            if how == "cur_word":
                return _CURRENCY_WORDS.get(self.currency or "", self.currency or "")
        if how == "cur_word":
            return _CURRENCY_WORDS.get(self.display, self.display)
        raise ValueError(f"no rendering {how!r} for {self.display!r}")


def nice(value: Decimal) -> Decimal:
    """A round threshold near ``value``: 47,300 → 50,000; 152,000 → 150,000; 21,500 → 20,000."""
    n = max(int(value), 1)
    digits = len(str(n))
    step = 10 ** (digits - 1) if str(n)[0] != "1" else 10 ** max(digits - 2, 0) * 5
    return Decimal(max(round(n / step), 1) * step)


class Params:
    """Per tenant: the asker ("me"), the main currency and the ranked values of each kind."""

    def __init__(self, conn: sa.Connection, tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.me = self._asker()
        self.main = self._ranked(
            sa.select(T["opportunity"].c.currency, sa.func.count())
            .where(T["opportunity"].c.tenant_id == tenant_id, T["opportunity"].c.currency.is_not(None))
            .group_by(T["opportunity"].c.currency)
        )[0]

    # --- the asker and the team -------------------------------------------------------------------

    def _users_by_leads(self) -> list[dict[str, Any]]:
        u, lead = T["app_user"], T["lead"]
        owned = sa.select(sa.func.count()).where(lead.c.owner_id == u.c.id, lead.c.tenant_id == u.c.tenant_id)
        rows = self.conn.execute(
            sa.select(u.c.id, u.c.full_name, u.c.email, owned.scalar_subquery().label("n"))
            .where(u.c.tenant_id == self.tenant_id, u.c.is_active.is_(True))
            .order_by(sa.desc("n"), u.c.email)
        ).mappings()
        return [dict(r) for r in rows]

    def _asker(self) -> dict[str, Any]:
        users = self._users_by_leads()
        if not users:
            raise LookupError(f"tenant {self.tenant_id} has no active user to ask as")
        return users[0]

    def user(self, rank: int) -> Param:
        users = [r for r in self._users_by_leads() if r["id"] != self.me["id"]]
        firsts = [r["full_name"].split()[0].lower() for r in users]
        unique = [r for r in users if firsts.count(r["full_name"].split()[0].lower()) == 1] or users
        r = unique[min(rank, len(unique)) - 1]
        return Param(r["id"], r["full_name"], extra={"first": r["full_name"].split()[0]})

    # --- ranked values ---------------------------------------------------------------------------

    def _ranked(self, query: sa.Select[Any]) -> list[str]:
        rows = [(r[0], r[1]) for r in self.conn.execute(query) if r[0] is not None and r[1]]
        rows.sort(key=lambda r: (-r[1], str(r[0])))
        if not rows:
            raise LookupError("no value of this kind in the CRM")
        return [r[0] for r in rows]

    def _pick(self, values: list[str], rank: int) -> str:
        return values[min(rank, len(values)) - 1]

    def status(self, entity_type: str, category: str | None, rank: int) -> Param:
        s = T["status"]
        if entity_type in ("opportunity", "job", "partnership"):
            rows_table, fk = T["lead"], T["lead"].c.status_id
            extra_where = [T["lead"].c.lead_type == entity_type]
        else:
            rows_table = T[entity_type]
            fk, extra_where = rows_table.c.status_id, []
        q = (
            sa.select(s.c.name, sa.func.count())
            .select_from(rows_table.join(s, s.c.id == fk))
            .where(rows_table.c.tenant_id == self.tenant_id, s.c.entity_type == entity_type, *extra_where)
            .group_by(s.c.name)
        )
        if category is not None:
            q = q.where(s.c.category == category)
        # A status named like a category ("Active", "Done") would make "active accounts" ambiguous: skip it.
        q = q.where(sa.func.lower(s.c.name).not_in(CATEGORIES))
        name = self._pick(self._ranked(q), rank)
        return Param(name, name)

    def _column_values(self, table: str, column: str, rank: int, **where: Any) -> str:
        t = T[table]
        conds = [t.c.tenant_id == self.tenant_id] + [t.c[k] == v for k, v in where.items()]
        return self._pick(
            self._ranked(sa.select(t.c[column], sa.func.count()).where(*conds).group_by(t.c[column])), rank
        )

    def industry(self, rank: int) -> Param:
        v = self._column_values("organization", "industry", rank)
        return Param(v, v)

    def tier(self, rank: int) -> Param:
        v = self._column_values("account", "tier", rank)
        return Param(v, v)

    def org_city(self, rank: int) -> Param:
        v = self._column_values("organization", "location", rank)
        return Param(v, v.split(",")[0].strip(), extra={"full": v})

    def person_city(self, rank: int) -> Param:
        v = self._column_values("individual", "location", rank)
        return Param(v, v.split(",")[0].strip(), extra={"full": v})

    def currency(self, rank: int) -> Param:
        o = T["opportunity"]
        q = (
            sa.select(o.c.currency, sa.func.count())
            .where(o.c.tenant_id == self.tenant_id, o.c.currency != self.main)
            .group_by(o.c.currency)
        )
        v = self._pick(self._ranked(q), rank)
        return Param(v, v)

    def source(self, rank: int) -> Param:
        v = self._column_values("lead", "source", rank, lead_type="opportunity")
        return Param(v, v)

    def interaction_source(self, rank: int) -> Param:
        v = self._column_values("interaction", "source", rank)
        return Param(v, v)

    def job_location(self, rank: int) -> Param:
        """A city jobs are in (not "Remote")."""
        t = T["job"]
        q = sa.select(t.c.location, sa.func.count()).where(t.c.tenant_id == self.tenant_id).group_by(t.c.location)
        v = self._pick([c for c in self._ranked(q) if "," in c] or self._ranked(q), rank)
        return Param(v, v.split(",")[0].strip(), extra={"full": v})

    def partnership_type(self, rank: int) -> Param:
        v = self._column_values("partnership", "partnership_type", rank)
        return Param(v, v)

    def employment_type(self, rank: int) -> Param:
        v = self._column_values("job", "employment_type", rank)
        return Param(v, v)

    def org(self, rank: int) -> Param:
        """Organizations with the most deals (then current contacts), skipping our own and look-alike names."""
        o, lead, c, u = T["organization"], T["lead"], T["contact"], T["app_user"]
        ours = sa.select(c.c.organization_id).where(
            c.c.tenant_id == self.tenant_id,
            c.c.individual_id.in_(sa.select(u.c.individual_id).where(u.c.tenant_id == self.tenant_id)),
        )
        deals = sa.select(sa.func.count()).where(lead.c.organization_id == o.c.id, lead.c.lead_type == "opportunity")
        people = sa.select(sa.func.count()).where(c.c.organization_id == o.c.id, c.c.ended_on.is_(None))
        rows = list(
            self.conn.execute(
                sa.select(o.c.id, o.c.name, deals.scalar_subquery(), people.scalar_subquery()).where(
                    o.c.tenant_id == self.tenant_id, o.c.id.not_in(ours)
                )
            )
        )
        first = [re.split(r"\W+", r[1].lower())[0] for r in rows]
        unique = [r for r, f in zip(rows, first, strict=True) if first.count(f) == 1 and r[2] + r[3] > 0]
        unique.sort(key=lambda r: (-r[2], -r[3], r[1]))
        r = unique[min(rank, len(unique)) - 1]
        return Param(r[0], r[1])

    def threshold(self, quantile: float) -> Param:
        """A round amount near the ``quantile`` of the deals' amounts in the main currency."""
        o = T["opportunity"]
        amounts = sorted(
            Decimal(str(a))
            for (a,) in self.conn.execute(
                sa.select(o.c.amount).where(
                    o.c.tenant_id == self.tenant_id, o.c.currency == self.main, o.c.amount.is_not(None)
                )
            )
        )
        if not amounts:
            raise LookupError("no deal amounts in the main currency")
        return Param(nice(amounts[min(int(quantile * len(amounts)), len(amounts) - 1)]), "", currency=self.main)

    # --- a family's params -------------------------------------------------------------------------

    def resolve(self, spec: list[Any]) -> Param:
        kind, *args = spec
        method: Callable[..., Param] = getattr(self, kind)
        return method(*args)

    def builtins(self, now_year: int) -> dict[str, Param]:
        me = self.me
        return {
            "main": Param(self.main, self.main),
            "year": Param(now_year, str(now_year)),
            "me": Param(me["id"], me["full_name"]),
        }
