"""The compact world a tenant is built from (organizations, roles, people, users, leads) and its deal book."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.helpers import quarter_of


@dataclass(slots=True, eq=False)
class Org:
    id: str
    name: str
    short: str  # the name without legal suffix: "Cobalt Robotics"
    base: str  # the brand people say: "Cobalt"
    domain: str | None
    industry: vocab.Industry
    kind: str
    product: str
    city: vocab.City
    weight: float  # relative head count
    email_pattern: str
    created_at: datetime
    created_by: str | None
    parent: Org | None = None
    isolated: bool = False  # targets of planted paths take part in nothing random
    employees: list[Person] = field(default_factory=list)  # current roles
    open_employees: list[Person] = field(default_factory=list)  # current, not isolated
    account_id: str | None = None


@dataclass(slots=True, eq=False)
class Role:
    id: str
    org: Org | None
    title: str
    email: str | None
    started_on: date
    ended_on: date | None
    owner_id: str | None


@dataclass(slots=True, eq=False)
class Person:
    id: str
    first: str
    last: str
    email: str | None
    phone: str | None
    city: vocab.City
    created_at: datetime
    created_by: str | None
    roles: list[Role] = field(default_factory=list)
    isolated: bool = False
    linkedin: bool = False
    bio: bool = False
    duplicate_of: Person | None = None

    @property
    def current(self) -> Role | None:
        for role in self.roles:
            if role.ended_on is None:
                return role
        return None

    @property
    def org(self) -> Org | None:
        role = self.current
        return role.org if role else None

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(slots=True, eq=False)
class User:
    id: str
    person: Person
    joined: datetime
    left: datetime | None
    activity: float
    network: list[Person] = field(default_factory=list)
    network_cum: list[float] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.left is None


@dataclass(slots=True, eq=False)
class Lead:
    id: str
    lead_type: str
    title: str
    org: Org | None
    person: Person | None
    owner: User
    created_at: datetime


class DealBook:
    """Opportunity counts and sums, by stage and by quarter, as the truth reports them."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.by_stage: dict[str, dict[str, Any]] = {
            name: {"count": 0, "amount": {}} for name, *_ in vocab.STATUSES["opportunity"]
        }
        self.won: dict[str, dict[str, Any]] = {}
        self.lost: dict[str, dict[str, Any]] = {}
        self.open: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _add(bucket: dict[str, Any], currency: str, amount: Decimal) -> None:
        bucket["count"] += 1
        bucket["amount"][currency] = bucket["amount"].get(currency, Decimal(0)) + amount

    def add(
        self, stage: str, currency: str, amount: Decimal, closed_at: datetime | None, expected: date, outcome: str
    ) -> None:
        self._add(self.by_stage[stage], currency, amount)
        if outcome == "open":
            key, book = quarter_of(expected), self.open
        else:
            assert closed_at is not None
            key, book = quarter_of(closed_at), self.won if outcome == "won" else self.lost
        self._add(book.setdefault(key, {"count": 0, "amount": {}}), currency, amount)

    def truth(self) -> dict[str, Any]:
        def dump(buckets: dict[str, dict[str, Any]]) -> dict[str, Any]:
            return {
                k: {"count": v["count"], "amount": {c: str(a) for c, a in sorted(v["amount"].items())}}
                for k, v in sorted(buckets.items())
            }

        return {
            "current_quarter": quarter_of(self.today),
            "amounts": "exact decimal strings, summed per currency",
            "by_stage": dump(self.by_stage),
            "won_by_quarter": dump(self.won),
            "lost_by_quarter": dump(self.lost),
            "open_by_expected_close_quarter": dump(self.open),
        }
