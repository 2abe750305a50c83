"""Pure generation of a synthetic CRM: rows per table from one ``random.Random(seed)``.

:class:`SyntheticCrm` turns a :class:`SeedConfig` into a stream of
``(table, row)`` items (plus :class:`Mark` barriers) in foreign-key order, and,
once the stream is consumed, a ground truth describing what was planted. No
database, no clock, no global state: the same config (seed and ``now``
included) yields the same rows, ids included (UUIDs come from the RNG).

Each tenant is built by a :class:`_TenantBuilder` in three phases, because
``app_user`` and ``individual`` refer to each other (``app_user.individual_id``
and every row's ``created_by``):

1. ``tenant``, the tenant's own organization and its team's individuals
   (``created_by`` null: created at sign-up);
2. ``app_user`` rows (the first one, the admin, creates the others);
3. everything else, written by the team (``created_by`` = a team member).

A :data:`Mark.FLUSH` separates the phases (everything before it must be
written first); :data:`Mark.COMMIT` ends a tenant. Within phase 3 a child row
is always yielded after its parents, and :data:`TABLES` is a valid insert order,
so a loader may buffer rows per table and flush them in that order.

What is planted, per tenant (all recorded in the ground truth):

- look-alike anchors shared by every tenant (an "Acme", "Robert Smith" …) with
  tenant-specific ids and slightly different spellings;
- near-duplicate individuals (nickname, typo, missing e-mail, case/whitespace)
  and organizations ("Acme Corp." vs "ACME Corporation");
- warm-introduction paths: user → frequent recent interactions → connector →
  explicit relationship (strength 0.9) → target, beside weaker alternatives;
  targets and connectors take part in nothing random, so the planted path
  stays the strongest;
- meetings "yesterday" and "last week" and a call last week (no random meeting or
  call falls from the start of last week on, so "the company we met last week" and
  "the person we called last week" have one answer);
- opportunities over the last eight quarters and the current one, whose
  counts and sums by stage and quarter the truth records.
"""

from __future__ import annotations

import enum
import math
import random
import uuid
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.crm import seed_vocab as vocab

#: Insert order: every table after the tables it refers to (``app_user`` is
#: written in its own phase, see the module docstring).
TABLES: tuple[str, ...] = (
    "tenant",
    "app_user",
    "status",
    "organization",
    "individual",
    "contact",
    "account",
    "lead",
    "job",
    "opportunity",
    "partnership",
    "relationship",
    "interaction",
    "interaction_participant",
    "note",
    "task",
)

#: Smallest supported number of rows per tenant (the planted structures need room).
MIN_ROWS_PER_TENANT = 500
MAX_TENANTS = 100
HISTORY_DAYS = 3 * 365

Row = dict[str, Any]


class Mark(enum.Enum):
    """Barriers in the item stream."""

    FLUSH = "flush"  # everything yielded so far must be written before what follows
    COMMIT = "commit"  # a tenant is complete: flush and commit


Item = tuple[str, Row] | Mark


def default_now() -> datetime:
    """The current UTC time truncated to the hour (the default ``now`` of a seed)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SeedConfig:
    """What to generate. Same config → same rows."""

    tenants: int = 2
    scale: int = 10_000
    seed: int = 42
    now: datetime = field(default_factory=default_now)

    def __post_init__(self) -> None:
        if not 1 <= self.tenants <= MAX_TENANTS:
            raise DataError(f"must be between 1 and {MAX_TENANTS}, got {self.tenants}", field="tenants")
        if self.scale < MIN_ROWS_PER_TENANT * self.tenants:
            raise DataError(
                f"must be at least {MIN_ROWS_PER_TENANT} rows per tenant "
                f"({MIN_ROWS_PER_TENANT * self.tenants} for {self.tenants} tenants), got {self.scale}",
                field="scale",
            )
        now = self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)
        object.__setattr__(self, "now", now.astimezone(UTC))

    def budgets(self) -> list[int]:
        """Rows per tenant: ``scale`` split evenly."""
        base, extra = divmod(self.scale, self.tenants)
        return [base + (1 if i < extra else 0) for i in range(self.tenants)]


class SyntheticCrm:
    """A deterministic synthetic CRM: :meth:`items` streams the rows, :attr:`truth` describes them.

    One tenant's world is in memory at a time: once its rows are out, only its truth is kept.
    """

    def __init__(self, config: SeedConfig) -> None:
        self.config = config
        master = random.Random(config.seed)
        self._seeds = [master.getrandbits(64) for _ in range(config.tenants)]
        self._tenants: list[dict[str, Any]] = []
        self._anchors: list[dict[str, Any]] = []
        self._started = False

    def items(self) -> Iterator[Item]:
        """Every row of every tenant, in insert order, each tenant ending with :data:`Mark.COMMIT`.

        Single use: a second call raises (make a new :class:`SyntheticCrm`).
        """
        if self._started:
            raise RuntimeError("SyntheticCrm.items() was already called: make a new SyntheticCrm")
        self._started = True
        for index, (seed, budget) in enumerate(zip(self._seeds, self.config.budgets(), strict=True)):
            builder = _TenantBuilder(index, random.Random(seed), self.config.now, budget)
            yield from builder.items()
            self._tenants.append(builder.truth())
            self._anchors.append(builder.anchor_truth())
            yield Mark.COMMIT

    @property
    def truth(self) -> dict[str, Any]:
        """The ground truth (JSON-ready); available once :meth:`items` was consumed."""
        if len(self._tenants) < self.config.tenants:
            raise RuntimeError("SyntheticCrm.truth is known only after items() was consumed")
        config = self.config
        return {
            "format": "kgcrm-seed-truth/1",
            "parameters": {
                "tenants": config.tenants,
                "scale": config.scale,
                "seed": config.seed,
                "now": config.now.isoformat(),
            },
            "row_counts": _sum_counts(t["row_counts"] for t in self._tenants),
            "look_alikes": _look_alikes(self._tenants, self._anchors),
            "tenants": self._tenants,
        }


def tenant_identity(index: int) -> tuple[str, str, str]:
    """(name, slug, domain) of the ``index``-th tenant (its own company)."""
    name, slug, domain = vocab.TENANT_NAMES[index % len(vocab.TENANT_NAMES)]
    if index >= len(vocab.TENANT_NAMES):
        n = index // len(vocab.TENANT_NAMES) + 1
        name, slug, domain = f"{name} {n}", f"{slug}-{n}", f"{slug}{n}.{domain.split('.')[-1]}"
    return name, slug, domain


def generate_rows(config: SeedConfig) -> tuple[dict[str, list[Row]], dict[str, Any]]:
    """Every row in memory, by table, and the truth: for tests and small seeds."""
    crm = SyntheticCrm(config)
    tables: dict[str, list[Row]] = {t: [] for t in TABLES}
    for item in crm.items():
        if not isinstance(item, Mark):
            tables[item[0]].append(item[1])
    return tables, crm.truth


# --- the compact world a tenant is built from ---------------------------------


@dataclass(slots=True, eq=False)
class _Org:
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
    parent: _Org | None = None
    isolated: bool = False  # targets of planted paths take part in nothing random
    employees: list[_Person] = field(default_factory=list)  # current roles
    open_employees: list[_Person] = field(default_factory=list)  # current, not isolated
    account_id: str | None = None


@dataclass(slots=True, eq=False)
class _Role:
    id: str
    org: _Org | None
    title: str
    email: str | None
    started_on: date
    ended_on: date | None
    owner_id: str | None


@dataclass(slots=True, eq=False)
class _Person:
    id: str
    first: str
    last: str
    email: str | None
    phone: str | None
    city: vocab.City
    created_at: datetime
    created_by: str | None
    roles: list[_Role] = field(default_factory=list)
    isolated: bool = False
    linkedin: bool = False
    bio: bool = False
    duplicate_of: _Person | None = None

    @property
    def current(self) -> _Role | None:
        for role in self.roles:
            if role.ended_on is None:
                return role
        return None

    @property
    def org(self) -> _Org | None:
        role = self.current
        return role.org if role else None

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(slots=True, eq=False)
class _User:
    id: str
    person: _Person
    joined: datetime
    left: datetime | None
    activity: float
    network: list[_Person] = field(default_factory=list)
    network_cum: list[float] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.left is None


@dataclass(slots=True, eq=False)
class _Lead:
    id: str
    lead_type: str
    title: str
    org: _Org | None
    person: _Person | None
    owner: _User
    created_at: datetime


# --- helpers ------------------------------------------------------------------


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    """A random item, weighted by the cumulative weights ``cum``."""
    return items[bisect_left(cum, rng.random() * cum[-1])]


_CITY_CUM = _cumulative([c.weight for c in vocab.CITIES])


def _quarter(d: date | datetime) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _quarter_end(d: date) -> date:
    start = _quarter_start(d)
    month = start.month + 3
    nxt = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _typo(rng: random.Random, word: str) -> str:
    """A plausible typing mistake: swap, drop, double or replace one letter (never the first)."""
    if len(word) < 4:
        return word + word[-1]
    for _ in range(10):
        i = rng.randrange(1, len(word) - 1)
        op = rng.randrange(4)
        if op == 0:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == 1:
            out = word[:i] + word[i + 1 :]
        elif op == 2:
            out = word[:i] + word[i] + word[i:]
        else:
            vowels = "aeiou"
            out = word[:i] + rng.choice([v for v in vowels if v != word[i].lower()]) + word[i + 1 :]
        if out.lower() != word.lower():
            return out
    return word + word[-1]


def _strip_legal_suffix(name: str) -> str:
    """ "Acme Corp." → "Acme", "Northwind Traders Inc." → "Northwind Traders"."""
    words = name.replace(",", "").split()
    while len(words) > 1 and words[-1].rstrip(".").lower() in _LEGAL_WORDS:
        words.pop()
    return " ".join(words)


_LEGAL_WORDS = frozenset(
    ("inc", "corp", "corporation", "llc", "ltd", "co", "plc", "gmbh", "b.v", "sas", "incorporated", "company")
)


def _what(org: _Org) -> str:
    """What an organization is, as its description says: "robotics startup", "manufacturer"."""
    if org.kind in ("manufacturer", "retailer"):
        return org.kind
    return f"{org.industry.name.lower()} {org.kind}"


def _money(value: float) -> Decimal:
    return Decimal(int(value)).quantize(Decimal("0.01"))


def _sum_counts(counts: Iterator[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return {t: total[t] for t in TABLES}


def _look_alikes(tenants: list[dict[str, Any]], anchors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anchors by key: the name and id each tenant gave them."""
    out = []
    for key in anchors[0] if anchors else {}:
        out.append(
            {
                "key": key,
                "entity_type": anchors[0][key]["entity_type"],
                "per_tenant": {
                    t["slug"]: {"id": a[key]["id"], "name": a[key]["name"]}
                    for t, a in zip(tenants, anchors, strict=True)
                },
            }
        )
    return out


# --- one tenant ------------------------------------------------------------------


class _TenantBuilder:
    """Builds one tenant's world and streams its rows; records its ground truth."""

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

        self.users: list[_User] = []
        self.orgs: list[_Org] = []
        self.people: list[_Person] = []
        self.status: dict[tuple[str, str], str] = {}
        self.emails: set[str] = set()
        self.org_names: set[str] = set()
        self.domains: set[str] = set()
        self.reserved_names: set[str] = set()  # lower-case full names no random person may take
        self.anchor_orgs: dict[str, _Org] = {}
        self.anchor_people: list[_Person] = []
        self.duplicates: list[dict[str, Any]] = []
        self.dup_partners: defaultdict[str, list[str]] = defaultdict(list)
        self.paths: list[dict[str, Any]] = []
        self.time_mentions: list[dict[str, Any]] = []
        self.note_mentions: list[dict[str, Any]] = []
        self.job_changes: list[dict[str, Any]] = []
        self.accounts: list[tuple[str, _Org]] = []
        self.leads: list[_Lead] = []
        self.deals = _DealBook(self.today)
        self.mentions: list[dict[str, Any]] = []
        self.ordinary_orgs: list[_Org] = []
        self.target_orgs: list[_Org] = []
        self.plans: list[tuple[_Org, _Person, _Person, list[_Person]]] = []

    # -- primitives ----------------------------------------------------------------

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

    def user_at(self, t: datetime) -> _User:
        """A team member (weighted by activity) who was on the team at ``t``."""
        for _ in range(4):
            user = _pick(self.rng, self.users, self.user_cum)
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

    def work_email(self, first: str, last: str, org: _Org) -> str | None:
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
        return _pick(self.rng, vocab.CITIES, _CITY_CUM)

    def title(self, first_at_org: bool) -> str:
        rng = self.rng
        r = rng.random()
        if (first_at_org and r < 0.35) or r < 0.06:
            return rng.choice(vocab.EXECUTIVE_TITLES)
        function = rng.choice(list(vocab.FUNCTIONS))
        if r < 0.25:
            return rng.choice(vocab.LEADER_PATTERNS).format(f=function)
        return rng.choice(vocab.FUNCTIONS[function])

    # -- sizes -------------------------------------------------------------------------

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

    # -- the stream -----------------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        self.plan_sizes()
        # phase 1: tenant, own company, the team's individuals
        created = self.start
        yield self.row(
            "tenant",
            {"id": self.tenant_id, "name": self.name, "slug": self.slug, "created_at": created, "updated_at": created},
        )
        own = self.make_org_from(
            name=f"{self.name} Inc.",
            short=self.name,
            base=self.name.split()[0],
            domain=self.domain,
            industry=vocab.INDUSTRY_BY_NAME["Software"],
            kind="startup",
            product="a relationship-intelligence CRM",
            city=self.random_city(),
            created_at=self.start,
            created_by=None,
        )
        self.own = own
        yield self.org_row(own)
        self.make_team(own)
        for user in self.users:
            yield self.person_row(user.person)
        yield Mark.FLUSH
        # phase 2: the team's accounts (the admin creates the others)
        admin = self.users[0]
        for user in self.users:
            by = None if user is admin else admin.id
            yield self.row(
                "app_user",
                {
                    "id": user.id,
                    "email": user.person.email,
                    "full_name": user.person.full_name,
                    "individual_id": user.person.id,
                    "is_active": user.active,
                    **self.audit(user.joined, by, edit=0.0),
                },
            )
        yield Mark.FLUSH
        # phase 3: everything else
        yield from self.status_rows()
        for user in self.users:
            yield from self.contact_rows(user.person)
        self.make_world()
        for org in self.orgs:
            yield self.org_row(org)
        for person in self.people:
            yield self.person_row(person)
        for person in self.people:
            yield from self.contact_rows(person)
        yield from self.account_rows()
        yield from self.lead_rows()
        self.make_mentions()
        # the volume tables share what is left of the budget
        yield from self.planted_rows()
        left = max(self.budget - sum(self.counts.values()), 0)
        yield from self.relationship_rows(round(left * 0.08))
        yield from self.interaction_rows(round(left * 0.74))
        yield from self.note_rows(round(left * 0.11))
        left = max(self.budget - sum(self.counts.values()), 0)
        yield from self.task_rows(max(left, 5))

    # -- team --------------------------------------------------------------------------------

    def make_team(self, own: _Org) -> None:
        rng = self.rng
        n = self.n_users
        former = n >= 5
        titles = ["Founder & CEO", *rng.sample(vocab.TEAM_TITLES, k=min(n - 1, len(vocab.TEAM_TITLES)))]
        while len(titles) < n:
            titles.append(rng.choice(vocab.TEAM_TITLES))
        span = self.now - self.start
        for a in vocab.ANCHOR_PEOPLE:
            self.reserved_names.add(f"{a.first} {a.last}".lower())
            if a.nickname:
                self.reserved_names.add(f"{a.nickname} {a.last}".lower())
        for i in range(n):
            first, last = self.random_name()
            self.reserved_names.add(f"{first} {last}".lower())
            joined = self.start if i == 0 else (self.start + span * (0.7 * rng.random())).replace(microsecond=0)
            left = None
            if former and i == n - 1:
                left = self.now - timedelta(days=rng.randint(60, 300), hours=rng.randint(0, 23))
                joined = min(joined, left - timedelta(days=200))
            person = _Person(
                id=self.uuid(),
                first=first,
                last=last,
                email=None,
                phone=self.phone(own.city),
                city=own.city,
                created_at=joined,
                created_by=None,
                linkedin=True,
                bio=True,
            )
            person.email = self.unique_email(f"{vocab.ascii_slug(first)}.{vocab.ascii_slug(last)}", self.domain)
            person.roles.append(
                _Role(
                    id=self.uuid(),
                    org=own,
                    title=titles[i],
                    email=person.email,
                    started_on=joined.date(),
                    ended_on=left.date() if left else None,
                    owner_id=None,
                )
            )
            if left is None:
                own.employees.append(person)
            activity = rng.paretovariate(1.5) * (0.2 if left else 1.0)
            self.users.append(_User(id=self.uuid(), person=person, joined=joined, left=left, activity=activity))
        self.user_cum = _cumulative([u.activity for u in self.users])
        self.active_users = [u for u in self.users if u.active]

    # -- organizations ----------------------------------------------------------------------------

    def make_org_from(
        self,
        *,
        name: str,
        short: str,
        base: str,
        domain: str | None,
        industry: vocab.Industry,
        kind: str,
        product: str,
        city: vocab.City,
        created_at: datetime,
        created_by: str | None,
        weight: float = 1.0,
    ) -> _Org:
        self.org_names.add(short.lower())
        if domain:
            self.domains.add(domain)
        return _Org(
            id=self.uuid(),
            name=name,
            short=short,
            base=base,
            domain=domain,
            industry=industry,
            kind=kind,
            product=product,
            city=city,
            weight=weight,
            email_pattern=self.rng.choice(vocab.EMAIL_PATTERNS),
            created_at=created_at,
            created_by=created_by,
        )

    def new_org(
        self,
        *,
        industry: vocab.Industry | None = None,
        city: vocab.City | None = None,
        reserved: set[tuple[str, str]] | None = None,
    ) -> _Org:
        rng = self.rng
        industry = industry or rng.choices(vocab.INDUSTRIES, weights=[i.weight for i in vocab.INDUSTRIES])[0]
        city = city or self.random_city()
        kind = rng.choice(industry.kinds)
        while reserved and (industry.name, city.name) in reserved:  # the anchors' descriptions stay unique
            city = self.random_city()
        short = base = ""
        for attempt in range(40):
            r = rng.random()
            word = rng.choice(industry.words)
            if r < 0.45:
                base = rng.choice(vocab.NAME_BASES)
                short = f"{base} {word}"
            elif r < 0.6:
                base = short = rng.choice(vocab.NAME_BASES) + rng.choice(vocab.NAME_TAILS)
            elif r < 0.9 or attempt > 20:
                last = self.random_name()[1]
                base = last
                short = f"{last} {word}"
                if attempt > 30:
                    short = f"{last} {word} {city.short}"
            else:
                base = short = rng.choice(vocab.NAME_BASES)
            if short.lower() not in self.org_names:
                break
        else:
            short = f"{short} {len(self.org_names)}"
        suffix = rng.choice(vocab.LEGAL_SUFFIXES[city.currency]) if rng.random() < 0.4 else None
        name = f"{short} {suffix}" if suffix else short
        slug = vocab.ascii_slug(short)
        domain = f"{slug}.{rng.choice(vocab.TLDS)}"
        for variant in (f"get{slug}.com", f"{slug}hq.com", f"{slug}-{city.short.split()[0].lower()}.com"):
            if domain not in self.domains:
                break
            domain = variant
        n = 2
        while domain in self.domains:
            domain = f"{slug}{n}.com"
            n += 1
        created_at = self.created().replace(microsecond=0)
        return self.make_org_from(
            name=name,
            short=short,
            base=base,
            domain=domain,
            industry=industry,
            kind=kind,
            product=rng.choice(industry.products),
            city=city,
            created_at=created_at,
            created_by=self.user_at(created_at).id,
            weight=min(rng.paretovariate(1.1), 400.0),
        )

    def org_row(self, org: _Org) -> tuple[str, Row]:
        description = None
        if org.product:
            description = f"A {_what(org)} in {org.city.short} {org.industry.verb} {org.product}."
        return self.row(
            "organization",
            {
                "id": org.id,
                "name": org.name,
                "domain": org.domain,
                "industry": org.industry.name,
                "location": org.city.name,
                "description": description,
                "parent_id": org.parent.id if org.parent else None,
                **self.audit(org.created_at, org.created_by),
            },
        )

    # -- the world: organizations, people, roles ---------------------------------------------------------

    def make_world(self) -> None:
        rng = self.rng
        # anchors: look-alikes in every tenant
        for a in vocab.ANCHOR_ORGS:
            created_at = self.created()
            org = self.make_org_from(
                name=a.names[self.index % len(a.names)],
                short=_strip_legal_suffix(a.names[self.index % len(a.names)]),
                base=a.short,
                domain=a.domain,
                industry=vocab.INDUSTRY_BY_NAME[a.industry],
                kind=a.kind,
                product=a.product,
                city=vocab.CITY_BY_NAME[a.city],
                created_at=created_at,
                created_by=self.user_at(created_at).id,
                weight=3.0,
            )
            org.email_pattern = "{first}.{last}"
            self.anchor_orgs[a.key] = org
            self.orgs.append(org)
        self.org_names.update(a.short.lower() for a in vocab.ANCHOR_ORGS)
        reserved = {(o.industry.name, o.city.name) for o in self.anchor_orgs.values()}
        # ordinary organizations, some subsidiaries of the bigger ones
        for _ in range(self.n_orgs):
            org = self.new_org(reserved=reserved)
            big = [o for o in self.ordinary_orgs[-50:] if o.weight > 5 and o.parent is None]
            if big and rng.random() < 0.07:
                org.parent = rng.choice(big)
                org.created_at = max(org.created_at, org.parent.created_at)
            self.ordinary_orgs.append(org)
            self.orgs.append(org)
        for a in vocab.ANCHOR_PEOPLE:
            org = self.anchor_orgs[a.org]
            first = a.nickname if a.nickname and self.index % 2 == 1 else a.first
            self.anchor_people.append(
                self.new_person(first=first, last=a.last, org=org, title=a.title, email_first=a.first)
            )
        self.make_targets(reserved)
        # random people, employed mostly at ordinary and anchor organizations
        employers = [*self.anchor_orgs.values(), *self.ordinary_orgs]
        self.employers, self.employer_cum = employers, _cumulative([o.weight for o in employers])
        anchor_groups = {p.org.id: vocab.name_group(p.first) for p in self.anchor_people if p.org}
        for _ in range(self.n_people):
            first, last = self.random_name()
            r = rng.random()
            org = None
            if r < 0.9:
                org = _pick(rng, employers, self.employer_cum)
                if org.id in anchor_groups and vocab.name_group(first) & anchor_groups[org.id]:
                    org = rng.choice(self.ordinary_orgs)
            self.new_person(first=first, last=last, org=org, freelance=r >= 0.95)
        self.plant_duplicates()
        for org in self.orgs:
            org.open_employees = [p for p in org.employees if not p.isolated and p.duplicate_of is None]

    def make_targets(self, reserved: set[tuple[str, str]]) -> None:
        """The people of the planted paths: targets at isolated organizations, and their connectors."""
        rng = self.rng
        for _ in range(self.n_targets):
            org = self.new_org(reserved=reserved)
            org.isolated, org.created_by = True, None  # imported, owned by nobody
            self.target_orgs.append(org)
            self.orgs.append(org)
            title = rng.choice(("VP of Engineering", "CTO", "Head of Operations", "COO", "Head of Procurement"))
            target = self.isolated_person(org, title)
            colleague = self.isolated_person(org, None)
            connectors = [self.isolated_person(rng.choice(self.ordinary_orgs), None) for _ in range(5)]
            self.plans.append((org, target, colleague, connectors))

    def isolated_person(self, org: _Org, title: str | None) -> _Person:
        """A person with a unique name who takes part in nothing random (see planted_rows)."""
        first, last = self.random_name()
        self.reserved_names.add(f"{first} {last}".lower())
        created_at = self.between(self.start, self.now - timedelta(days=450))
        return self.new_person(
            first=first,
            last=last,
            org=org,
            title=title or self.title(False),
            isolated=True,
            past_roles=0,
            created_at=created_at,
        )

    def new_person(
        self,
        *,
        first: str,
        last: str,
        org: _Org | None,
        title: str | None = None,
        email_first: str | None = None,
        freelance: bool = False,
        isolated: bool = False,
        past_roles: int | None = None,
        created_at: datetime | None = None,
    ) -> _Person:
        rng = self.rng
        city = org.city if org and rng.random() < 0.75 else self.random_city()
        created_at = created_at or self.created()
        person = _Person(
            id=self.uuid(),
            first=first,
            last=last,
            email=None,
            phone=self.phone(city) if rng.random() < 0.7 else None,
            city=city,
            created_at=created_at,
            created_by=None if isolated else self.user_at(created_at).id,
            isolated=isolated,
            linkedin=rng.random() < 0.55,
            bio=rng.random() < 0.6,
        )
        # career: past roles first, then the current one
        if past_roles is None:
            past_roles = 0 if rng.random() < 0.6 else 1 if rng.random() < 0.75 else 2
        n_past = past_roles
        years_back = rng.uniform(0.2, 8.0)
        start = self.today - timedelta(days=round(365 * years_back))
        history = []
        for _ in range(n_past):
            prev_org = rng.choice(self.ordinary_orgs)
            if prev_org is org:
                continue
            length = rng.randint(300, 1500)
            ended = start - timedelta(days=rng.randint(0, 60))
            history.append((prev_org, ended - timedelta(days=length), ended))
            start = ended - timedelta(days=length + rng.randint(0, 60))
        for prev_org, started, ended in reversed(history):
            email = self.work_email(email_first or first, last, prev_org) if rng.random() < 0.5 else None
            person.roles.append(
                _Role(
                    id=self.uuid(),
                    org=prev_org,
                    title=self.title(False),
                    email=email,
                    started_on=started,
                    ended_on=ended,
                    owner_id=None,
                )
            )
        current_start = self.today - timedelta(days=round(365 * years_back))
        if org is not None:
            email = self.work_email(email_first or first, last, org)
            role_title = title or self.title(not org.employees)
            person.roles.append(
                _Role(
                    id=self.uuid(),
                    org=org,
                    title=role_title,
                    email=email,
                    started_on=current_start,
                    ended_on=None,
                    owner_id=None,
                )
            )
            org.employees.append(person)
            person.email = email if rng.random() < 0.93 or title else None
        elif freelance:
            person.roles.append(
                _Role(
                    id=self.uuid(),
                    org=None,
                    title="Independent consultant",
                    email=None,
                    started_on=current_start,
                    ended_on=None,
                    owner_id=None,
                )
            )
        if person.email is None and org is None:
            local = f"{vocab.ascii_slug(email_first or first)}.{vocab.ascii_slug(last)}"
            person.email = self.unique_email(local, rng.choice(vocab.PERSONAL_EMAIL_DOMAINS))
        for role in person.roles:
            role.owner_id = None if isolated else self.user_at(self.now).id
        if history and len(self.job_changes) < 10 and org is not None and not isolated:
            self.job_changes.append(
                {
                    "individual": person.id,
                    "from_organization": history[0][0].id,
                    "to_organization": org.id,
                    "ended_on": history[0][2].isoformat(),
                }
            )
        self.people.append(person)
        return person

    def plant_duplicates(self) -> None:
        """Near-duplicate individuals and organizations, recorded in the truth."""
        rng = self.rng
        kinds = ("nickname", "typo", "missing_email", "case_whitespace")
        robert = self.anchor_people[0]
        candidates = [p for p in self.people if p.org is not None and not p.isolated and p not in self.anchor_people]
        n = max(len(kinds), round(len(self.people) * 0.02))
        originals = [robert, *rng.sample(candidates, k=min(n - 1, len(candidates)))]
        for i, original in enumerate(originals):
            kind = "nickname" if original is robert else kinds[i % len(kinds)]
            if kind == "nickname" and not vocab.common_nicknames(original.first) and original is not robert:
                kind = "typo"
            self.duplicate_person(original, kind)
        # organizations: the Acme anchor always, then a few ordinary ones
        org_kinds = ("suffix_case", "punctuation", "typo")
        acme = self.anchor_orgs["acme"]
        m = max(2, round(len(self.ordinary_orgs) * 0.02))
        org_originals = [acme, *rng.sample(self.ordinary_orgs, k=min(m - 1, len(self.ordinary_orgs)))]
        for i, original in enumerate(org_originals):
            self.duplicate_org(original, "suffix_case" if original is acme else org_kinds[i % len(org_kinds)])

    def duplicate_person(self, original: _Person, kind: str) -> None:
        rng = self.rng
        first, last, email = original.first, original.last, original.email
        if kind == "nickname":
            nicks = vocab.common_nicknames(original.first)
            canonicals = sorted(vocab.nicknamer().canonicals_of(original.first))
            if nicks:
                first = rng.choice(nicks)
            elif canonicals:  # the original already goes by a nickname: the duplicate has the full name
                first = "Robert" if "robert" in canonicals else canonicals[0].capitalize()
            email = email if rng.random() < 0.5 else None
        elif kind == "typo":
            if rng.random() < 0.5:
                last = _typo(rng, last)
            else:
                first = _typo(rng, first)
        elif kind == "missing_email":
            email = None
        else:  # case_whitespace
            first, last = rng.choice(
                [(first.upper(), last.upper()), (f" {first.lower()}", f"{last.lower()} "), (f"{first}  ", last.upper())]
            )
            email = email.upper() if email and rng.random() < 0.7 else email
        org = original.org
        created_at = self.between(original.created_at, self.now).replace(microsecond=0)
        dup = _Person(
            id=self.uuid(),
            first=first,
            last=last,
            email=email,
            phone=original.phone if kind != "missing_email" or rng.random() < 0.7 else None,
            city=original.city,
            created_at=created_at,
            created_by=self.user_at(created_at).id,
            duplicate_of=original,
        )
        role = original.current
        if role is not None:
            dup.roles.append(
                _Role(
                    id=self.uuid(),
                    org=org,
                    title=role.title,
                    email=email,
                    started_on=role.started_on,
                    ended_on=None,
                    owner_id=self.user_at(self.now).id,
                )
            )
        self.people.append(dup)
        self.duplicates.append({"entity_type": "individual", "ids": [original.id, dup.id], "kind": kind})
        self.dup_partners[original.id].append(dup.id)
        self.dup_partners[dup.id].append(original.id)

    def duplicate_org(self, original: _Org, kind: str) -> None:
        rng = self.rng
        domain: str | None = original.domain
        if kind == "suffix_case":
            suffixes = [s for s in ("Corporation", "Corp", "Inc", "Incorporated", "Co") if s not in original.name]
            name = f"{original.base.upper()} {rng.choice(suffixes)}"
        elif kind == "punctuation":
            name = f"{original.short}, Inc" if "," not in original.name else original.short
            domain = f"www.{original.domain}" if original.domain and rng.random() < 0.5 else None
        else:  # typo
            name = _typo(rng, original.short)
            domain = None
        created_at = self.between(original.created_at, self.now).replace(microsecond=0)
        dup = _Org(
            id=self.uuid(),
            name=name,
            short=name,
            base=name,
            domain=domain,
            industry=original.industry,
            kind=original.kind,
            product="",
            city=original.city,
            weight=0.0,
            email_pattern=original.email_pattern,
            created_at=created_at,
            created_by=self.user_at(created_at).id,
        )
        self.orgs.append(dup)
        # somebody filed one of the original's people under the duplicate too
        staff = [p for p in original.employees if p.duplicate_of is None and not p.isolated]
        if staff:
            person = rng.choice(staff)
            role = person.current
            assert role is not None
            person.roles.append(
                _Role(
                    id=self.uuid(),
                    org=dup,
                    title=role.title,
                    email=role.email,
                    started_on=role.started_on,
                    ended_on=None,
                    owner_id=self.user_at(self.now).id,
                )
            )
        self.duplicates.append({"entity_type": "organization", "ids": [original.id, dup.id], "kind": kind})
        self.dup_partners[original.id].append(dup.id)
        self.dup_partners[dup.id].append(original.id)

    def person_row(self, p: _Person) -> tuple[str, Row]:
        linkedin = None
        if p.linkedin:
            linkedin = f"https://www.linkedin.com/in/{vocab.ascii_slug(p.first)}-{vocab.ascii_slug(p.last)}-{self.rng.getrandbits(24):06x}"
        bio = None
        if p.bio:
            bio = self.bio(p)
        return self.row(
            "individual",
            {
                "id": p.id,
                "first_name": p.first,
                "last_name": p.last,
                "email": p.email,
                "phone": p.phone,
                "linkedin_url": linkedin,
                "location": p.city.name,
                "bio": bio,
                **self.audit(p.created_at, p.created_by),
            },
        )

    def bio(self, p: _Person) -> str | None:
        current = p.current
        parts = []
        if current and current.org:
            parts.append(f"{current.title} at {current.org.short}.")
        elif current:
            parts.append(f"{current.title}.")
        past = [r for r in p.roles if r.ended_on is not None and r.org]
        if past:
            parts.append(f"Previously {past[-1].title} at {past[-1].org.short}.")  # type: ignore[union-attr]
        parts.append(f"Based in {p.city.short}.")
        return " ".join(parts) if parts else None

    def contact_rows(self, p: _Person) -> Iterator[tuple[str, Row]]:
        for role in p.roles:
            if role.ended_on is not None:
                status = "Former"
            else:
                status = self.rng.choices(("Active", "Nurture", "Do not contact"), weights=(80, 17, 3))[0]
            started = datetime.combine(role.started_on, datetime.min.time(), UTC)
            lo = max(p.created_at, role.org.created_at if role.org else p.created_at, started)
            created_at = self.between(lo, min(lo + timedelta(days=30), self.now)).replace(microsecond=0)
            by = p.created_by if p.isolated else self.user_at(created_at).id
            if p.created_by is None and role.org is self.own:
                by = self.users[0].id
            yield self.row(
                "contact",
                {
                    "id": role.id,
                    "individual_id": p.id,
                    "organization_id": role.org.id if role.org else None,
                    "title": role.title,
                    "email": role.email,
                    "phone": p.phone if role.ended_on is None else None,
                    "started_on": role.started_on,
                    "ended_on": role.ended_on,
                    "owner_id": role.owner_id,
                    "status_id": self.status[("contact", status)],
                    **self.audit(created_at, by),
                },
            )

    def status_rows(self) -> Iterator[tuple[str, Row]]:
        admin = self.users[0]
        for entity_type, stages in vocab.STATUSES.items():
            for position, (name, category, terminal, _p) in enumerate(stages, start=1):
                sid = self.uuid()
                self.status[(entity_type, name)] = sid
                yield self.row(
                    "status",
                    {
                        "id": sid,
                        "entity_type": entity_type,
                        "name": name,
                        "category": category,
                        "position": position,
                        "is_terminal": terminal,
                        **self.audit(self.start, admin.id, edit=0.0),
                    },
                )

    # -- accounts and leads -----------------------------------------------------------------------------

    def account_rows(self) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        n = max(3, round(len(self.ordinary_orgs) * 0.15))
        chosen: list[_Org] = [self.anchor_orgs["acme"], self.anchor_orgs["northwind"]]
        pool = sorted(self.ordinary_orgs, key=lambda o: -o.weight)[: n * 3]
        chosen += rng.sample(pool, k=min(n, len(pool)))
        ranked = sorted(chosen, key=lambda o: -o.weight)
        for rank, org in enumerate(ranked):
            tier = vocab.ACCOUNT_TIERS[min(3, rank * 4 // len(ranked))]
            status = rng.choices(("Onboarding", "Active", "At risk", "Churned"), weights=(10, 70, 10, 10))[0]
            created_at = self.created(org.created_at).replace(microsecond=0)
            owner = self.user_at(created_at)
            org.account_id = self.uuid()
            self.accounts.append((org.account_id, org))
            yield self.row(
                "account",
                {
                    "id": org.account_id,
                    "organization_id": org.id,
                    "name": org.name,
                    "tier": tier,
                    "owner_id": owner.id,
                    "status_id": self.status[("account", status)],
                    **self.audit(created_at, owner.id),
                },
            )

    def lead_rows(self) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        account_orgs = [org for _, org in self.accounts]
        first_won = first_open = True
        for _ in range(self.n_leads):
            lead_type = rng.choices(("opportunity", "job", "partnership"), weights=(60, 20, 20))[0]
            if lead_type == "opportunity" and rng.random() < 0.4:
                org = rng.choice(account_orgs)
            else:
                org = _pick(rng, self.employers, self.employer_cum)
            staff = [p for p in org.employees if not p.isolated and p.duplicate_of is None]
            person = rng.choice(staff) if staff and rng.random() < 0.85 else None
            contact_id = person.current.id if person and person.current else None
            lid = self.uuid()
            base: Row = {
                "id": lid,
                "lead_type": lead_type,
                "organization_id": org.id,
                "account_id": org.account_id if lead_type == "opportunity" else None,
                "contact_id": contact_id,
                "source": rng.choice(vocab.SOURCES),
            }
            if lead_type == "opportunity":
                sub, status, created_at, title, description = self.opportunity(lid, org, person, first_won, first_open)
                first_won = first_won and status != "Closed Won"
                first_open = first_open and self.status_category("opportunity", status) != "open"
            elif lead_type == "job":
                sub, status, created_at, title, description = self.job(lid, org, person)
            else:
                sub, status, created_at, title, description = self.partnership(lid, org, person)
            owner = self.user_at(created_at)
            self.leads.append(_Lead(lid, lead_type, title, org, person, owner, created_at))
            audit = self.audit(created_at, owner.id, edit=0.6)
            yield self.row(
                "lead",
                {
                    **base,
                    "title": title,
                    "description": description,
                    "owner_id": owner.id,
                    "status_id": self.status[(lead_type, status)],
                    **audit,
                },
            )
            yield self.row(lead_type, {**sub, **audit})  # written with its lead

    def status_category(self, entity_type: str, name: str) -> str:
        return next(c for n, c, _t, _p in vocab.STATUSES[entity_type] if n == name)

    def opportunity(
        self, lid: str, org: _Org, person: _Person | None, force_won: bool, force_open: bool
    ) -> tuple[Row, str, datetime, str, str]:
        rng = self.rng
        stages = vocab.STATUSES["opportunity"]
        outcome = (
            "won"
            if force_won
            else "open"
            if force_open
            else rng.choices(("won", "lost", "open"), weights=(30, 22, 48))[0]
        )
        amount = _money(round(max(1000.0, min(2e6, rng.lognormvariate(math.log(30_000), 1.0))) / 500) * 500)
        currency = org.city.currency if org.city.currency != "USD" and rng.random() < 0.7 else "USD"
        quarter_start = datetime.combine(_quarter_start(self.today), datetime.min.time(), UTC)
        closed_at = None
        if outcome == "open":
            status, _c, _t, default_p = rng.choices(stages[:5], weights=(30, 25, 20, 15, 10))[0]
            probability = max(1, min(99, (default_p or 10) + rng.randint(-5, 5)))
            if force_open and _quarter_end(self.today) > self.today:
                expected = self.today + timedelta(days=rng.randint(1, (_quarter_end(self.today) - self.today).days))
            else:
                expected = self.today + timedelta(days=rng.randint(-15, 200))
            created_at = self.recent(120, org.created_at)
        else:
            status = "Closed Won" if outcome == "won" else "Closed Lost"
            probability = 100 if outcome == "won" else 0
            if force_won or rng.random() < 0.2:
                closed_at = self.between(max(quarter_start, org.created_at), self.now)
            else:
                closed_at = self.between(max(self.now - timedelta(days=730), org.created_at), self.now)
            closed_at = closed_at.replace(microsecond=0)
            created_at = max(closed_at - timedelta(days=rng.randint(20, 150)), org.created_at)
            expected = closed_at.date() + timedelta(days=rng.randint(-20, 10))
        created_at = created_at.replace(microsecond=0)
        self.deals.add(status, currency, amount, closed_at, expected, outcome)
        kinds = vocab.DEAL_KINDS if org.account_id is None else ("expansion", "renewal", "upsell")
        kind = rng.choice(kinds)
        title = f"{org.short} — {kind}"
        who = f"{person.first} ({person.current.title})" if person and person.current else "Their team"
        description = (
            f"{who} is looking at {rng.choice(vocab.TOPICS).format(q=rng.randint(1, 4))} for "
            f"{org.short}; budget around {currency} {amount:,.0f}."
        )
        sub = {
            "id": lid,
            "amount": amount,
            "currency": currency,
            "expected_close_on": expected,
            "closed_at": closed_at,
            "probability": probability,
        }
        return sub, status, created_at, title, description

    def job(self, lid: str, org: _Org, person: _Person | None) -> tuple[Row, str, datetime, str, str]:
        rng = self.rng
        role, lo, hi = rng.choice(vocab.JOB_ROLES)
        status = rng.choices([s[0] for s in vocab.STATUSES["job"]], weights=(20, 20, 15, 8, 12, 18, 7))[0]
        remote = rng.random() < 0.2
        factor = {"USD": 1000, "CAD": 1100, "EUR": 800, "GBP": 700}[org.city.currency]
        created_at = self.recent(150, org.created_at)
        hiring = f" Hiring manager: {person.full_name}." if person else ""
        sub = {
            "id": lid,
            "role_title": role,
            "location": "Remote" if remote else org.city.name,
            "employment_type": rng.choice(vocab.EMPLOYMENT_TYPES),
            "salary_min": lo * factor,
            "salary_max": hi * factor,
            "currency": org.city.currency,
        }
        description = f"{org.short} is hiring a {role} ({'remote' if remote else org.city.short}).{hiring}"
        return sub, status, created_at, f"{role} at {org.short}", description

    def partnership(self, lid: str, org: _Org, person: _Person | None) -> tuple[Row, str, datetime, str, str]:
        rng = self.rng
        status = rng.choices([s[0] for s in vocab.STATUSES["partnership"]], weights=(25, 20, 30, 5, 10, 10))[0]
        kind = rng.choice(vocab.PARTNERSHIP_TYPES)
        created_at = self.recent(300, org.created_at)
        started = ended = None
        if status in ("Active", "Paused", "Ended"):
            started = (created_at + timedelta(days=rng.randint(14, 90))).date()
            started = min(started, self.today)
        if status == "Ended" and started:
            ended = started + timedelta(days=rng.randint(60, 400))
            ended = min(ended, self.today)
        sub = {"id": lid, "partnership_type": kind, "started_on": started, "ended_on": ended}
        who = f" {person.first} {person.last} leads it on their side." if person else ""
        description = f"{kind.capitalize()} partnership with {org.short} ({org.industry.name.lower()}).{who}"
        return sub, status, created_at.replace(microsecond=0), f"{org.short} {kind} partnership", description

    # -- planted warm-introduction paths and time references ----------------------------------------------

    def planted_rows(self) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        users = self.active_users
        for k, (org, target, colleague, connectors) in enumerate(self.plans):
            a, b, c, d, e = connectors
            u, u2, u3 = users[k % len(users)], users[(k + 1) % len(users)], users[(k + 2) % len(users)]
            # the strongest path: frequent and recent interactions, then a 0.9 tie
            best_hops, rows = self.planted_interactions(u, a, count=rng.randint(9, 13), mean_days=25, recent=True)
            yield from rows
            rel_a = yield from self.planted_relationship(a, target, rng.choice(("knows", "advisor", "investor")), 0.9)
            # weaker alternatives
            hops_b, rows = self.planted_interactions(u2, b, count=2, mean_days=0, old=True)
            yield from rows
            rel_b = yield from self.planted_relationship(b, target, "knows", 0.3)
            hops_c, rows = self.planted_interactions(u3, c, count=5, mean_days=40)
            yield from rows
            rel_cd = yield from self.planted_relationship(c, d, "colleague", 0.5)
            rel_dt = yield from self.planted_relationship(d, target, "knows", 0.4)
            hops_e, rows = self.planted_interactions(u2, e, count=1, mean_days=0, old=True)
            yield from rows
            rel_e = yield from self.planted_relationship(e, colleague, "knows", 0.2)
            # a note on the connector that says so
            note_at = self.between(self.now - timedelta(days=60), self.now)
            body = (
                f"{a.first} mentioned they know {target.first} {target.last} at {org.short} well "
                f"and offered to make an intro."
            )
            yield self.row(
                "note",
                {
                    "id": self.uuid(),
                    "subject_type": "individual",
                    "subject_id": a.id,
                    "body": body,
                    **self.audit(note_at, u.id, edit=0.0),
                },
            )
            self.paths.append(
                {
                    "target": {"entity_type": "individual", "id": target.id, "name": target.full_name},
                    "target_organization": {"id": org.id, "name": org.name},
                    "user_id": u.id,
                    "nodes": [u.person.id, a.id, target.id],
                    "hops": [best_hops, rel_a],
                    "alternatives": [
                        {"user_id": u2.id, "nodes": [u2.person.id, b.id, target.id], "hops": [hops_b, rel_b]},
                        {
                            "user_id": u3.id,
                            "nodes": [u3.person.id, c.id, d.id, target.id],
                            "hops": [hops_c, rel_cd, rel_dt],
                        },
                        {
                            "user_id": u2.id,
                            "nodes": [u2.person.id, e.id, colleague.id, org.id],
                            "hops": [hops_e, rel_e, {"from": colleague.id, "to": org.id, "relation": "works_at"}],
                        },
                    ],
                }
            )
        yield from self.planted_time_rows()

    def planted_interactions(
        self, user: _User, person: _Person, *, count: int, mean_days: float, recent: bool = False, old: bool = False
    ) -> tuple[Row, list[tuple[str, Row]]]:
        rng = self.rng
        rows: list[tuple[str, Row]] = []
        times = []
        for i in range(count):
            if old:
                t = self.now - timedelta(days=rng.randint(200, 420), hours=rng.randint(0, 23))
            elif recent and i < 3:
                t = self.now - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8))
            else:
                t = self.now - timedelta(days=rng.randint(10, 15) + rng.expovariate(1 / mean_days))
            t = max(t, person.created_at + timedelta(hours=1), user.joined)
            times.append(self.working_hours(t))
        for t in sorted(times):
            kind = (
                rng.choice(("email", "email", "message"))  # no meeting nor call: see planted_time_rows
                if t >= self.quiet_meetings_from
                else rng.choice(("email", "email", "meeting", "call"))
            )
            rows += self.interaction(user, person, kind, t, extra=False)
        hops = {
            "from": user.person.id,
            "to": person.id,
            "relation": "interacted",
            "interactions": count,
            "last_at": max(times).isoformat(),
        }
        return hops, rows

    def planted_relationship(self, a: _Person, b: _Person, kind: str, strength: float) -> Iterator[tuple[str, Row]]:
        rid = self.uuid()
        since = self.today - timedelta(days=self.rng.randint(400, 3000))
        created_at = max(a.created_at, b.created_at) + timedelta(hours=1)
        yield self.row(
            "relationship",
            {
                "id": rid,
                "from_individual_id": a.id,
                "to_individual_id": b.id,
                "kind": kind,
                "strength": strength,
                "since_on": since,
                "source": "manual",
                **self.audit(min(created_at, self.now), a.created_by, edit=0.0),
            },
        )
        return {"from": a.id, "to": b.id, "relation": kind, "strength": strength, "relationship_id": rid}

    def planted_time_rows(self) -> Iterator[tuple[str, Row]]:
        """A meeting yesterday, a meeting and a call last week: the only meetings and calls since last week began."""
        rng = self.rng
        users = self.active_users
        yesterday = self.today - timedelta(days=1)
        last_week = (self.last_week_start, self.this_week_start - timedelta(days=1))

        def at(day: date, hours: tuple[int, ...]) -> datetime:
            t = datetime.combine(day, time(rng.choice(hours)), UTC)
            return min(t, self.now - timedelta(hours=1))

        def mention(
            text: str, entity_type: str, expect: str, iid: str, window: tuple[date, date], also: list[str] | None = None
        ) -> None:
            self.time_mentions.append(
                {
                    "text": text,
                    "kind": "time",
                    "entity_type": entity_type,
                    "expect": expect,
                    "also": also or [],
                    "interaction_id": iid,
                    "window": [window[0].isoformat(), window[1].isoformat()],
                }
            )

        # yesterday: a meeting with Priya Patel of Northwind
        priya, northwind = self.anchor_people[1], self.anchor_orgs["northwind"]
        rows = self.interaction(
            users[0], priya, "meeting", at(yesterday, (15, 16, 17)), extra=False, subject="Northwind renewal check-in"
        )
        yield from rows
        mention("the company we met yesterday", "organization", northwind.id, rows[0][1]["id"], (yesterday, yesterday))
        mention("who we met yesterday", "individual", priya.id, rows[0][1]["id"], (yesterday, yesterday))
        # last week (not yesterday): a meeting with two people of one ordinary company
        candidates = [o for o in self.ordinary_orgs if len(o.open_employees) >= 2 and o.parent is None]
        org = rng.choice(candidates) if candidates else self.anchor_orgs["globex"]
        staff = org.open_employees or [self.anchor_people[2]]
        weekdays = [self.last_week_start + timedelta(days=i) for i in range(5)]
        day = rng.choice([d for d in weekdays if d != yesterday])
        rows = self.interaction(
            users[1 % len(users)],
            staff[0],
            "meeting",
            at(day, (14, 15, 16, 18)),
            extra=False,
            subject=f"{org.short} / {self.name} intro meeting",
            guests=staff[1:2],
        )
        yield from rows
        # when today is Monday, yesterday's meeting was last week too
        also = [northwind.id] if last_week[0] <= yesterday <= last_week[1] else []
        mention("the company we met last week", "organization", org.id, rows[0][1]["id"], last_week, also)
        # last week: a call with Robert Smith ("Bob")
        robert = self.anchor_people[0]
        rows = self.interaction(
            users[0],
            robert,
            "call",
            at(rng.choice(weekdays), (13, 17, 19)),
            extra=False,
            subject="Call with Bob re: pricing",
        )
        yield from rows
        mention("the person we called last week", "individual", robert.id, rows[0][1]["id"], last_week)

    # -- interactions -----------------------------------------------------------------------------------------

    def interaction(
        self,
        user: _User,
        person: _Person,
        kind: str,
        t: datetime,
        *,
        extra: bool = True,
        subject: str | None = None,
        guests: list[_Person] | None = None,
    ) -> list[tuple[str, Row]]:
        """One interaction between a team member and a person, with its participants."""
        rng = self.rng
        org = person.org
        org_name = org.short if org else person.last
        topic = rng.choice(vocab.TOPICS).format(q=(t.month - 1) // 3 + 1)
        fields = {
            "org": org_name,
            "us": self.name.split()[0],
            "topic": topic,
            "first": person.first.strip(),
            "user_first": user.person.first,
            "step": rng.choice(vocab.NEXT_STEPS),
        }
        if subject is None:
            templates = {
                "email": vocab.EMAIL_SUBJECTS,
                "meeting": vocab.MEETING_SUBJECTS,
                "call": vocab.CALL_SUBJECTS,
                "message": vocab.MESSAGE_SUBJECTS,
            }[kind]
            subject = rng.choice(templates).format(**fields)
        summary = rng.choice(vocab.SUMMARIES).format(**fields) if rng.random() < 0.8 else None
        iid = self.uuid()
        if kind == "email":
            source, external_id = "email", f"<{rng.getrandbits(64):016x}@mail.{self.domain}>"
        elif kind == "meeting":
            source, external_id = "calendar", f"{rng.getrandbits(100):025x}"
        else:
            source, external_id = rng.choice(("manual", "import")), None
        created_at = min(t + timedelta(minutes=rng.randint(1, 240)), self.now)
        audit = {
            "created_at": created_at,
            "updated_at": created_at,
            "created_by": user.id,
            "updated_by": user.id,
            "via_agent": False,
        }
        rows = [
            self.row(
                "interaction",
                {
                    "id": iid,
                    "kind": kind,
                    "subject": subject,
                    "summary": summary,
                    "occurred_at": t,
                    "source": source,
                    "external_id": external_id,
                    **audit,
                },
            )
        ]
        us, them = user.person, person
        people: list[tuple[_Person, str]]
        if kind in ("email", "message", "call"):
            sender_is_us = kind == "call" or rng.random() < 0.6
            people = [(us, "from"), (them, "to")] if sender_is_us else [(them, "from"), (us, "to")]
        else:
            people = (
                [(us, "organizer"), (them, "attendee")]
                if rng.random() < 0.8
                else [(them, "organizer"), (us, "attendee")]
            )
        for guest in guests or ():
            people.append((guest, "attendee" if kind == "meeting" else "cc"))
        if extra and org and kind in ("email", "meeting") and rng.random() < 0.3 and len(org.open_employees) > 1:
            colleague = rng.choice(org.open_employees)
            if colleague is not them:
                people.append((colleague, "cc" if kind == "email" else "attendee"))
        if extra and kind in ("email", "meeting") and rng.random() < 0.15 and len(self.active_users) > 1:
            teammate = rng.choice(self.active_users).person
            if teammate is not us:
                people.append((teammate, "cc" if kind == "email" else "attendee"))
        for p, role in people:
            rows.append(
                self.row(
                    "interaction_participant",
                    {"id": self.uuid(), "interaction_id": iid, "individual_id": p.id, "role": role, **audit},
                )
            )
        return rows

    def interaction_rows(self, budget: int) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        pool = [p for p in self.people if not p.isolated]
        for user in self.users:
            size = min(len(pool), max(10, round(len(pool) * rng.uniform(0.1, 0.35))))
            user.network = rng.sample(pool, k=size)
            user.network_cum = _cumulative([1.0 / (rank + 1) ** 1.1 for rank in range(size)])
        kinds = ("email", "meeting", "call", "message")
        kind_weights = (55, 20, 15, 10)
        used = 0
        while used < budget:
            user = _pick(rng, self.users, self.user_cum)
            person = _pick(rng, user.network, user.network_cum)
            kind = rng.choices(kinds, weights=kind_weights)[0]
            r = rng.random()
            mean = 12 if r < 0.45 else 90 if r < 0.85 else 400
            lo = max(person.created_at, user.joined)
            t = self.recent(mean, lo)
            if user.left is not None and t > user.left:
                t = self.between(lo, user.left)
            if kind in ("meeting", "call") and t >= self.quiet_meetings_from:
                kind = "email"  # the planted meetings and call are the only ones since last week began
            t = self.working_hours(t, meeting=kind == "meeting")
            rows = self.interaction(user, person, kind, t)
            used += len(rows)
            yield from rows

    # -- relationships, notes, tasks ----------------------------------------------------------------------------

    def relationship_rows(self, budget: int) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        open_people = [p for p in self.people if not p.isolated]
        by_city: defaultdict[str, list[_Person]] = defaultdict(list)
        for p in open_people:
            by_city[p.city.name].append(p)
        seen: set[tuple[str, str]] = set()
        made = 0
        team = [u.person for u in self.users]
        ceo = team[0]
        for member in team[1:]:
            if made >= budget:
                break
            row = self.relationship(member, ceo, "reports_to", rng.betavariate(5, 2), seen)
            if row:
                made += 1
                yield row
        attempts = 0
        while made < budget and attempts < budget * 5:
            attempts += 1
            p = rng.choice(open_people)
            r = rng.random()
            org = p.org
            if r < 0.45 and org is not None and len(org.open_employees) > 1:
                q = rng.choice(org.open_employees)
                kind = "colleague" if rng.random() < 0.75 else "reports_to"
                strength = rng.betavariate(4, 3) if kind == "colleague" else rng.betavariate(5, 2)
            elif r < 0.8:
                q = rng.choice(by_city[p.city.name]) if rng.random() < 0.5 else rng.choice(open_people)
                kind, strength = "knows", rng.betavariate(2, 4)
            elif r < 0.9:
                q = rng.choice(open_people)
                kind, strength = "introduced", rng.betavariate(3, 3)
            elif r < 0.97:
                q = rng.choice(open_people)
                kind = rng.choice(("advisor", "investor"))
                strength = rng.betavariate(4, 3)
            else:
                q = rng.choice(open_people)
                kind, strength = "family", rng.betavariate(8, 2)
            if rng.random() < 0.08:  # the team knows some people outside of work too
                p = rng.choice(team)
            row = self.relationship(p, q, kind, strength, seen)
            if row:
                made += 1
                yield row

    def relationship(
        self, a: _Person, b: _Person, kind: str, strength: float, seen: set[tuple[str, str]]
    ) -> tuple[str, Row] | None:
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        if a is b or key in seen or a.duplicate_of is b or b.duplicate_of is a:
            return None
        seen.add(key)
        rng = self.rng
        created_at = self.created(max(a.created_at, b.created_at)).replace(microsecond=0)
        return self.row(
            "relationship",
            {
                "id": self.uuid(),
                "from_individual_id": a.id,
                "to_individual_id": b.id,
                "kind": kind,
                "strength": round(strength, 2) if rng.random() < 0.9 else None,
                "since_on": self.today - timedelta(days=rng.randint(30, 3650)) if rng.random() < 0.7 else None,
                "source": rng.choice(vocab.RELATIONSHIP_SOURCES),
                **self.audit(created_at, self.user_at(created_at).id),
            },
        )

    def note_rows(self, budget: int) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        people = [p for p in self.people if not p.isolated and p.org is not None and p.org is not self.own]
        orgs = [o for o in self.employers if o.open_employees]
        account_orgs = [(aid, o) for aid, o in self.accounts if o.open_employees]
        leads = [lead for lead in self.leads if lead.person is not None]
        for _ in range(budget):
            r = rng.random()
            if r < 0.45 or not (orgs and leads and account_orgs):
                person = rng.choice(people)
                subject_type, subject_id = (
                    ("individual", person.id) if rng.random() < 0.85 else ("contact", person.current.id)
                )  # type: ignore[union-attr]
                body, mention = self.person_note(person)
                after = person.created_at
            elif r < 0.7:
                org = rng.choice(orgs)
                person = rng.choice(org.open_employees)
                subject_type, subject_id = "organization", org.id
                body, mention = self.org_note(org, person)
                after = org.created_at
            elif r < 0.88:
                lead = rng.choice(leads)
                person = lead.person
                assert person is not None
                subject_type, subject_id = "lead", lead.id
                step = rng.choice(vocab.NEXT_STEPS).capitalize()
                mention = self.call_name(person)
                body = f"Sent {lead.title} details to {mention}. {step}."
                after = lead.created_at
            else:
                aid, org = rng.choice(account_orgs)
                person = rng.choice(org.open_employees)
                subject_type, subject_id = "account", aid
                mention = self.call_name(person)
                body = (
                    f"QBR with {org.short}: {mention} is happy with onboarding and asked about "
                    f"{rng.choice(vocab.TOPICS).format(q=rng.randint(1, 4))}."
                )
                after = org.created_at
            created_at = self.recent(60, after)
            author = self.user_at(created_at)
            nid = self.uuid()
            if len(self.note_mentions) < 40 and mention and person.org is not None:
                self.note_mentions.append(
                    {
                        "note_id": nid,
                        "text": mention,
                        "entity_type": "individual",
                        "expect": person.id,
                        "also": list(self.dup_partners.get(person.id, ())),
                    }
                )
            yield self.row(
                "note",
                {
                    "id": nid,
                    "subject_type": subject_type,
                    "subject_id": subject_id,
                    "body": body,
                    **self.audit(created_at, author.id, edit=0.15),
                },
            )

    def call_name(self, p: _Person) -> str:
        """How a colleague writes a person's name in a note: often the nickname."""
        nicks = vocab.common_nicknames(p.first)
        if nicks and self.rng.random() < 0.4:
            return self.rng.choice(nicks)
        return p.first.strip()

    def person_note(self, p: _Person) -> tuple[str, str]:
        rng = self.rng
        org = p.org
        assert org is not None
        name = self.call_name(p)
        topic = rng.choice(vocab.TOPICS).format(q=rng.randint(1, 4))
        past = [r for r in p.roles if r.ended_on is not None and r.org is not None]
        if past and rng.random() < 0.5:
            old = past[-1].org
            assert old is not None
            return (
                f"{name} moved from {old.short} to {org.short} as {p.current.title}; "  # type: ignore[union-attr]
                f"update the account map.",
                f"{name} moved from {old.short} to {org.short}",
            )
        templates = (
            ("Met {name} from {org} about the {topic}. Next: {step}.", "{name} from {org}"),
            ("{full} ({title} at {org}) is evaluating vendors for {topic}.", "{full}"),
            ("Call with {name} at {org}: budget frozen until Q{q}.", "{name} at {org}"),
            ("Lunch with {name} — {org} is opening an office in {city}.", "{name}"),
            ("{name} from {org} asked for a reference customer in {industry}.", "{name} from {org}"),
        )
        template, mention = rng.choice(templates)
        values = {
            "name": name,
            "org": org.short,
            "topic": topic,
            "step": rng.choice(vocab.NEXT_STEPS),
            "full": f"{name} {p.last.strip()}",
            "title": p.current.title,  # type: ignore[union-attr]
            "q": rng.randint(1, 4),
            "city": self.random_city().short,
            "industry": org.industry.name.lower(),
        }
        return template.format(**values), mention.format(**values)

    def org_note(self, org: _Org, p: _Person) -> tuple[str, str]:
        rng = self.rng
        name = self.call_name(p)
        templates = (
            "{org} renewal is due in {month}; {name} is our champion.",
            "{org} just raised a Series {round}; {name} says they are hiring fast.",
            "{name} told us {org} is also talking to {competitor}.",
            "Security review for {org} passed. Thanks to {name} for pushing it through.",
        )
        competitor = rng.choice(self.employers).short
        body = rng.choice(templates).format(
            org=org.short,
            name=name,
            month=rng.choice(("January", "March", "June", "September", "November")),
            round=rng.choice("ABC"),
            competitor=competitor,
        )
        return body, name

    def task_rows(self, budget: int) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        people = [p for p in self.people if not p.isolated and p.org is not None and p.org is not self.own]
        account_orgs = self.accounts
        for _ in range(budget):
            r = rng.random()
            if r < 0.35 or not self.leads:
                p = rng.choice(people)
                subject_type, subject_id = ("individual", p.id) if rng.random() < 0.8 else ("contact", p.current.id)  # type: ignore[union-attr]
                title = rng.choice(
                    (
                        "Follow up with {n} re: {t}",
                        "Send {n} the case study",
                        "Intro {n} to our CTO",
                        "Check in with {n} about {t}",
                    )
                ).format(n=self.call_name(p), t=rng.choice(vocab.TOPICS).format(q=rng.randint(1, 4)))
                after = p.created_at
            elif r < 0.7:
                lead = rng.choice(self.leads)
                subject_type, subject_id = "lead", lead.id
                title = rng.choice(
                    (
                        "Send proposal for {l}",
                        "Update the forecast for {l}",
                        "Prepare pricing for {l}",
                        "Book next meeting for {l}",
                    )
                ).format(l=lead.title)
                after = lead.created_at
            elif r < 0.85:
                aid, org = rng.choice(account_orgs)
                subject_type, subject_id = "account", aid
                title = rng.choice(("Schedule QBR with {o}", "Renewal prep for {o}", "Review usage for {o}"))
                title = title.format(o=org.short)
                after = org.created_at
            else:
                org = rng.choice(self.employers)
                subject_type, subject_id = "organization", org.id
                title = f"Research {org.short} before outreach"
                after = org.created_at
            created_at = self.recent(90, after)
            assignee = self.user_at(created_at)
            state = rng.choices(("Done", "To do", "In progress", "Cancelled"), weights=(55, 25, 10, 10))[0]
            if assignee.left is not None and state in ("To do", "In progress"):
                state = "Cancelled"
            due = created_at + timedelta(days=rng.randint(1, 21))
            completed = None
            if state == "Done":
                completed = min(self.between(created_at, due + timedelta(days=5)), self.now)
            elif state in ("To do", "In progress"):
                due = self.now + timedelta(days=rng.randint(-10, 30))
            yield self.row(
                "task",
                {
                    "id": self.uuid(),
                    "subject_type": subject_type,
                    "subject_id": subject_id,
                    "title": title,
                    "description": None if rng.random() < 0.6 else "Context in the latest notes.",
                    "due_at": due.replace(minute=0, second=0, microsecond=0),
                    "completed_at": completed,
                    "assignee_id": assignee.id,
                    "status_id": self.status[("task", state)],
                    **self.audit(created_at, assignee.id),
                },
            )

    # -- mentions for entity resolution ------------------------------------------------------------------------

    def make_mentions(self) -> None:
        """Mention → entity examples, kept only where the mention singles out one entity (or its duplicates)."""
        rng = self.rng
        people = [p for p in self.people if p.duplicate_of is None]
        full_names = Counter(" ".join(p.full_name.lower().split()) for p in self.people)
        last_names: defaultdict[str, list[_Person]] = defaultdict(list)
        for p in self.people:
            last_names[p.last.strip().lower()].append(p)
        bases = Counter(o.base.lower() for o in self.orgs)
        shorts = Counter(o.short.lower() for o in self.orgs)
        descriptions = Counter((o.industry.name, o.kind, o.city.name) for o in self.orgs if o.product)

        def add(text: str, kind: str, entity_type: str, entity_id: str) -> None:
            self.mentions.append(
                {
                    "text": text,
                    "kind": kind,
                    "entity_type": entity_type,
                    "expect": entity_id,
                    "also": list(self.dup_partners.get(entity_id, ())),
                }
            )

        def same_person(p: _Person, q: _Person) -> bool:
            return q is p or q.duplicate_of is p or p.duplicate_of is q

        def unique_at_org(p: _Person, org: _Org) -> bool:
            group = vocab.name_group(p.first)
            return not any(vocab.name_group(q.first) & group for q in org.employees if not same_person(p, q))

        # the anchors first
        robert, priya, _maria, mike, liz, _dave = self.anchor_people
        acme, northwind = self.anchor_orgs["acme"], self.anchor_orgs["northwind"]
        add("Bob at Acme", "nickname_at_org", "individual", robert.id)
        add("Robert Smith from Acme", "name_at_org", "individual", robert.id)
        add(f"{priya.first} from {northwind.base}", "first_name_at_org", "individual", priya.id)
        add("Mike Chen", "nickname", "individual", mike.id)
        add("Liz Turner", "nickname", "individual", liz.id)
        add("Priya Patell", "typo", "individual", priya.id)
        if robert.email:
            add(robert.email, "email", "individual", robert.id)
        add("acme.com", "domain", "organization", acme.id)
        add("ACME", "name_variant", "organization", acme.id)
        add("the robotics startup in Austin", "description", "organization", self.anchor_orgs["botwell"].id)
        add("Globex Corp", "name_variant", "organization", self.anchor_orgs["globex"].id)

        # then a sample of ordinary people and organizations
        def candidates(p: _Person, org: _Org) -> Iterator[tuple[str, str]]:
            """(kind, text) of each mention that singles ``p`` out."""
            name = " ".join(p.full_name.lower().split())
            twins = sum(1 for q in self.people if q.duplicate_of is p and " ".join(q.full_name.lower().split()) == name)
            unique_name = full_names[name] == 1 + twins
            if unique_name:
                yield "full_name", p.full_name
            nicks = vocab.common_nicknames(p.first)
            group = vocab.name_group(p.first)
            if nicks and not any(
                vocab.name_group(q.first) & group for q in last_names[p.last.lower()] if not same_person(p, q)
            ):
                yield "nickname", f"{rng.choice(nicks)} {p.last}"
            if bases[org.base.lower()] == 1 and unique_at_org(p, org):
                yield "first_name_at_org", f"{p.first} {rng.choice(('at', 'from'))} {org.base}"
            if p.email and p.email.islower():
                yield "email", p.email
            if unique_name and len(p.last) > 4:
                typo = f"{p.first} {_typo(rng, p.last)}"
                if full_names[" ".join(typo.lower().split())] == 0:
                    yield "typo", typo

        # then ordinary people, one mention each, up to a few of each kind
        quota: Counter[str] = Counter()
        for p in rng.sample(people, k=min(len(people), 150)):
            if p.isolated or p in self.anchor_people or p.org is None or p.org is self.own:
                continue
            found = dict(candidates(p, p.org))
            for kind in sorted(found, key=lambda k: quota[k]):
                if quota[kind] < 8:
                    quota[kind] += 1
                    add(found[kind], kind, "individual", p.id)
                    break
        for org in rng.sample(self.ordinary_orgs, k=min(len(self.ordinary_orgs), 60)):
            if quota["domain"] < 6 and org.domain:
                quota["domain"] += 1
                add(org.domain, "domain", "organization", org.id)
            if quota["name_variant"] < 6 and shorts[org.short.lower()] == 1 and org.short != org.name:
                quota["name_variant"] += 1
                add(org.short, "name_variant", "organization", org.id)
            key = (org.industry.name, org.kind, org.city.name)
            if quota["description"] < 6 and descriptions[key] == 1:
                quota["description"] += 1
                add(f"the {_what(org)} in {org.city.short}", "description", "organization", org.id)

    # -- truth ---------------------------------------------------------------------------------------------------

    def anchor_truth(self) -> dict[str, Any]:
        out = {}
        for key, org in self.anchor_orgs.items():
            out[f"organization:{key}"] = {"entity_type": "organization", "id": org.id, "name": org.name}
        for a, p in zip(vocab.ANCHOR_PEOPLE, self.anchor_people, strict=True):
            out[f"individual:{a.first} {a.last}".lower()] = {
                "entity_type": "individual",
                "id": p.id,
                "name": p.full_name,
            }
        return out

    def truth(self) -> dict[str, Any]:
        return {
            "id": self.tenant_id,
            "slug": self.slug,
            "name": self.name,
            "own_organization": self.own.id,
            "users": [
                {
                    "id": u.id,
                    "individual_id": u.person.id,
                    "email": u.person.email,
                    "full_name": u.person.full_name,
                    "is_active": u.active,
                }
                for u in self.users
            ],
            "duplicates": self.duplicates,
            "warm_paths": self.paths,
            "deals": self.deals.truth(),
            "mentions": self.mentions + self.time_mentions,
            "note_mentions": self.note_mentions,
            "job_changes": self.job_changes,
            "row_counts": {t: self.counts[t] for t in TABLES},
        }


class _DealBook:
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
            key, book = _quarter(expected), self.open
        else:
            assert closed_at is not None
            key, book = _quarter(closed_at), self.won if outcome == "won" else self.lost
        self._add(book.setdefault(key, {"count": 0, "amount": {}}), currency, amount)

    def truth(self) -> dict[str, Any]:
        def dump(buckets: dict[str, dict[str, Any]]) -> dict[str, Any]:
            return {
                k: {"count": v["count"], "amount": {c: str(a) for c, a in sorted(v["amount"].items())}}
                for k, v in sorted(buckets.items())
            }

        return {
            "current_quarter": _quarter(self.today),
            "amounts": "exact decimal strings, summed per currency",
            "by_stage": dump(self.by_stage),
            "won_by_quarter": dump(self.won),
            "lost_by_quarter": dump(self.lost),
            "open_by_expected_close_quarter": dump(self.open),
        }
