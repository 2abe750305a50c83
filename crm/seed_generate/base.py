"""A tenant builder's state and primitives."""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.config import HISTORY_DAYS, Row, tenant_identity
from kgcrm.crm.seed_generate.helpers import CITY_CUM, pick
from kgcrm.crm.seed_generate.records import DealBook, Lead, Org, Person, User


class TenantBase:
    """One tenant's state and the primitives every part of its builder uses (times, ids, audit columns, names).

    The parts of the builder (:mod:`~kgcrm.crm.seed_generate.world`, :mod:`~kgcrm.crm.seed_generate.duplicates`,
    :mod:`~kgcrm.crm.seed_generate.deals`, :mod:`~kgcrm.crm.seed_generate.activity`,
    :mod:`~kgcrm.crm.seed_generate.planted`)
    are mixins of this class; :class:`~kgcrm.crm.seed_generate.tenant.TenantBuilder` puts them together.
    Every random choice goes through ``self.rng`` in a fixed order: moving code between the parts
    must not reorder the calls, or the rows of a seed change.
    """

    # set while building: plan_sizes, items, make_team, make_world
    n_users: int
    n_targets: int
    n_people: int
    n_orgs: int
    n_leads: int
    own: Org
    user_cum: list[float]
    active_users: list[User]
    employers: list[Org]
    employer_cum: list[float]

    def __init__(self, index: int, rng: random.Random, now: datetime, budget: int) -> None:
        self.index = index
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.budget = budget
        self.counts: Counter[str] = Counter()
        self.name, self.slug, self.domain = tenant_identity(index)
        self.tenant_id = self.uuid()
        # last week = the calendar week (Monday to Sunday, UTC) before the current one
        self.this_week_start = self.today - timedelta(days=self.today.weekday())
        self.last_week_start = self.this_week_start - timedelta(days=7)
        self.quiet_meetings_from = datetime.combine(self.last_week_start, datetime.min.time(), UTC)

        self.users: list[User] = []
        self.orgs: list[Org] = []
        self.people: list[Person] = []
        self.status: dict[tuple[str, str], str] = {}
        self.emails: set[str] = set()
        self.org_names: set[str] = set()
        self.domains: set[str] = set()
        self.reserved_names: set[str] = set()  # lower-case full names no random person may take
        self.anchor_orgs: dict[str, Org] = {}
        self.anchor_people: list[Person] = []
        self.duplicates: list[dict[str, Any]] = []
        self.dup_partners: defaultdict[str, list[str]] = defaultdict(list)
        self.paths: list[dict[str, Any]] = []
        self.time_mentions: list[dict[str, Any]] = []
        self.note_mentions: list[dict[str, Any]] = []
        self.job_changes: list[dict[str, Any]] = []
        self.accounts: list[tuple[str, Org]] = []
        self.leads: list[Lead] = []
        self.deals = DealBook(self.today)
        self.mentions: list[dict[str, Any]] = []
        self.ordinary_orgs: list[Org] = []
        self.target_orgs: list[Org] = []
        self.plans: list[tuple[Org, Person, Person, list[Person]]] = []

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def row(self, table: str, row: Row) -> tuple[str, Row]:
        self.counts[table] += 1
        row["tenant_id"] = self.tenant_id
        return table, row

    def between(self, lo: datetime, hi: datetime) -> datetime:
        """A random second between lo and hi (hi if the range is empty)."""
        span = int((hi - lo).total_seconds())
        if span <= 0:
            return hi
        return lo + timedelta(seconds=self.rng.randrange(span))

    def created(self, after: datetime | None = None) -> datetime:
        """A creation time, denser towards now (the CRM grows)."""
        lo = max(after or self.start, self.start)
        return (lo + (self.now - lo) * (self.rng.random() ** 0.8)).replace(microsecond=0)

    def recent(self, mean_days: float, after: datetime | None = None) -> datetime:
        """A time in the past, exponentially more likely near now, not before ``after``."""
        t = self.now - timedelta(days=self.rng.expovariate(1.0 / mean_days))
        lo = max(after or self.start, self.start)
        if t < lo:
            t = self.between(lo, self.now)
        return t.replace(microsecond=0)

    def working_hours(self, t: datetime, *, meeting: bool = False) -> datetime:
        """``t``'s day (weekends mostly moved to Friday) at a North-American working hour, not after now."""
        rng = self.rng
        day = t.date()
        if day.weekday() >= 5 and rng.random() < 0.9:
            day -= timedelta(days=day.weekday() - 4)
        minute = rng.choice((0, 30)) if meeting else rng.randrange(0, 60, 5)
        out = datetime.combine(day, time(rng.randint(13, 22), minute), UTC)
        if out > self.now:
            out = self.now - timedelta(minutes=rng.randrange(30, 600, 30 if meeting else 5))
        return out

    def user_at(self, t: datetime) -> User:
        """A team member (weighted by activity) who was on the team at ``t``."""
        for _ in range(4):
            user = pick(self.rng, self.users, self.user_cum)
            if user.joined <= t and (user.left is None or t <= user.left):
                return user
        return self.users[0]

    def audit(self, created_at: datetime, created_by: str | None, edit: float = 0.3) -> Row:
        rng = self.rng
        updated_at, updated_by, via_agent = created_at, created_by, False
        if rng.random() < edit:
            updated_at = self.between(created_at, self.now)
            if created_by is not None:
                updated_by = self.user_at(updated_at).id
                via_agent = rng.random() < 0.05
        return {
            "created_at": created_at,
            "updated_at": updated_at,
            "created_by": created_by,
            "updated_by": updated_by,
            "via_agent": via_agent,
        }

    def unique_email(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        n = 2
        while email in self.emails:
            email = f"{local}{n}@{domain}"
            n += 1
        self.emails.add(email)
        return email

    def work_email(self, first: str, last: str, org: Org) -> str | None:
        if org.domain is None:
            return None
        f, la = vocab.ascii_slug(first), vocab.ascii_slug(last)
        local = org.email_pattern.format(first=f, last=la, f=f[:1], l=la[:1])
        return self.unique_email(local, org.domain)

    def phone(self, city: vocab.City) -> str:
        rng = self.rng
        if city.phone_prefix.startswith("+1 "):
            return f"{city.phone_prefix}-555-{rng.randrange(100, 10_000):04d}"
        return f"{city.phone_prefix} {rng.randrange(1000, 10_000)} {rng.randrange(1000, 10_000)}"

    def random_name(self) -> tuple[str, str]:
        rng = self.rng
        pools = vocab.name_pools()
        pool = rng.choices(pools, weights=[p.weight for p in pools])[0]
        while True:
            first = pool.firsts[bisect_left(pool.first_cum, rng.random() * pool.first_cum[-1])]
            last = pool.lasts[bisect_left(pool.last_cum, rng.random() * pool.last_cum[-1])]
            if f"{first} {last}".lower() not in self.reserved_names:
                return first, last

    def random_city(self) -> vocab.City:
        return pick(self.rng, vocab.CITIES, CITY_CUM)

    def title(self, first_at_org: bool) -> str:
        rng = self.rng
        r = rng.random()
        if (first_at_org and r < 0.35) or r < 0.06:
            return rng.choice(vocab.EXECUTIVE_TITLES)
        function = rng.choice(list(vocab.FUNCTIONS))
        if r < 0.25:
            return rng.choice(vocab.LEADER_PATTERNS).format(f=function)
        return rng.choice(vocab.FUNCTIONS[function])

    def plan_sizes(self) -> None:
        budget = self.budget
        self.n_users = max(3, min(150, round(3 + math.sqrt(budget) / 12)))
        self.n_targets = max(2, min(20, budget // 400))
        fixed = 45 + 5 * self.n_users + 30 + 80 * self.n_targets + 20
        rest = max(budget - fixed, 100)
        unit = rest / 10.0  # rows per random individual, all tables together (measured)
        self.n_people = max(20, round(unit))
        self.n_orgs = max(8, round(unit * 0.25))
        self.n_leads = max(8, round(unit * 0.3))
