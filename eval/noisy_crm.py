"""A noisy CRM generator for duplicate detection: seeded noise, planted hard negatives, the truth beside it.

What it makes (:func:`generate`): people of one tenant, each an *entity* that may be entered
more than once. Every extra record is a copy of the entity with noise of the kinds a real CRM
collects: typos, OCR errors (``rn``/``m``, ``0``/``O``, ``l``/``1``), homoglyphs (a Cyrillic
``a`` for a Latin one), zero-width characters, case changes, nicknames, swapped first and last
names, e-mail domain typos, a second (personal) e-mail, phone numbers written another way or
with a wrong digit, company and city misspellings, and missing values. A misspelled company is
written as its own ``organization`` row (as a CRM does), so two records of one person may hang
under two organizations.

Hard negatives are planted beside the duplicates: namesakes at the same company (same first and
last name, other e-mail and phone), colleagues sharing the switchboard phone, family members
sharing an e-mail, and siblings (same last name, city and home phone). None of them is a true
pair.

:func:`write_crm` writes the records into the relational CRM with plain SQL (``tenant``,
``organization``, ``individual``, ``contact``), the way an outside importer would; the sync
carries them into the graph. The truth (:attr:`NoisyCRM.pairs`) is kept beside them, keyed by
the CRM ids, so an evaluation never asks the code under test what the answer is.

Configurations: :data:`MEDIUM` and :data:`HEAVY` are the ones the matcher was developed on;
:data:`HELD_OUT` (another seed, other mixes) is only ever run for the report, never tuned on.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from kgcrm.crm.seed_vocab import common_nicknames, name_pools

# --- noise tables ----------------------------------------------------------------------------------

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060")
# Latin letter -> a look-alike from Cyrillic (escaped: the look-alikes are what this table is about)
HOMOGLYPHS = dict(
    zip(
        "aeopcxyiAEOPCHKMTB",
        "\u0430\u0435\u043e\u0440\u0441\u0445\u0443\u0456\u0410\u0415\u041e\u0420\u0421\u041d\u041a\u041c\u0422\u0412",
        strict=True,
    )
)
OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("o", "0"), ("O", "0"), ("i", "l"), ("cl", "d"), ("S", "5"), ("B", "8"),
       ("e", "c"), ("vv", "w"), ("h", "b"))  # fmt: skip
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmail.co", "gmai.com", "gmail.con"),
    "yahoo.com": ("yaho.com", "yahoo.co", "yahooo.com"),
    "outlook.com": ("outlok.com", "outlook.co"),
    "hotmail.com": ("hotmial.com", "hotmail.co"),
}
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
CITIES = (
    "San Francisco", "New York", "Chicago", "Boston", "Seattle", "Austin", "Denver", "Atlanta", "Portland",
    "Los Angeles", "San Diego", "Philadelphia", "Houston", "Dallas", "Phoenix", "Minneapolis", "Miami",
    "Pittsburgh", "Baltimore", "Nashville", "Detroit", "Cleveland", "Columbus", "Indianapolis", "Charlotte",
    "London", "Manchester", "Berlin", "Munich", "Hamburg", "Paris", "Lyon", "Madrid", "Barcelona", "Amsterdam",
    "Rotterdam", "Dublin", "Toronto", "Vancouver", "Montreal", "Mexico City", "Guadalajara", "Bangalore",
    "Mumbai", "Pune", "Hyderabad", "Zurich", "Vienna", "Stockholm", "Copenhagen",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
    "Soylent", "Massive", "Dynamic", "Northwind", "Contoso", "Fabrikam", "Litware", "Proseware", "Adatum",
    "Tailspin", "Wingtip", "Lucerne", "Margie", "Fourth", "Coho", "Alpine", "Blue", "Yonder", "Humongous",
    "Woodgrove", "Trey", "Wide", "World", "Graphic", "Design", "Southridge", "Datum", "Relecloud", "Bellows",
    "Pinnacle", "Summit", "Vertex", "Apex", "Quantum", "Helix", "Nimbus", "Cobalt", "Granite", "Harbor",
    "Meridian", "Beacon", "Keystone", "Lantern", "Orchard", "Prairie", "Redwood", "Sterling", "Tidewater",
)  # fmt: skip
COMPANY_TAILS = ("Systems", "Labs", "Group", "Partners", "Analytics", "Software", "Health", "Logistics",
                 "Energy", "Capital", "Foods", "Robotics", "Media", "Networks", "Solutions", "Bio")  # fmt: skip
LEGAL = ("Inc", "Inc.", "LLC", "Ltd", "GmbH", "Corp", "")
TITLES = ("CEO", "CTO", "VP Sales", "Engineer", "Account Executive", "Product Manager", "Analyst", "Director")


@dataclass(frozen=True)
class NoiseConfig:
    """How a data set is made. Rates are per duplicate record (``ops``: noise operations drawn for each)."""

    name: str
    seed: int
    people: int = 1500
    duplicate_share: float = 0.3  # share of entities entered more than once
    max_copies: int = 3  # records of one entity at most
    ops: tuple[int, int] = (1, 2)  # noise operations per duplicate record (min, max)
    missing: float = 0.1  # chance each optional field of a duplicate is left empty
    personal_email: float = 0.1  # chance a duplicate carries another (personal) address
    companies: int = 120
    namesakes: int = 20  # namesake pairs at the same company
    switchboards: int = 15  # companies whose people share one phone
    families: int = 15  # families sharing an e-mail
    siblings: int = 15


MEDIUM = NoiseConfig("medium", seed=1301)
HEAVY = NoiseConfig("heavy", seed=1302, ops=(2, 4), missing=0.2, personal_email=0.2)
# Never tuned on: another seed, a bigger share of duplicates, other mixes. Report it on its own.
HELD_OUT = (
    NoiseConfig("held-out medium", seed=777_013, duplicate_share=0.35, ops=(1, 3), companies=150),
    NoiseConfig("held-out heavy", seed=777_014, ops=(2, 5), missing=0.25, personal_email=0.25, max_copies=4),
)
CONFIGS = {c.name: c for c in (MEDIUM, HEAVY, *HELD_OUT)}


@dataclass
class Org:
    id: str
    name: str
    domain: str
    location: str


@dataclass
class Person:
    id: str
    entity: int
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    location: str | None
    org_name: str | None  # as typed on this record (an organization row of that exact name)
    title: str | None = None
    org_id: str | None = None

    def record(self) -> dict[str, Any]:
        """The plain dict the matchers read (the graph's shape: employers by organization name)."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p) or None
        employers = [{"id": self.org_id, "name": self.org_name, "current": True}] if self.org_id else []
        return {
            "id": self.id,
            "name": name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "location": self.location,
            "employers": employers,
        }


@dataclass
class NoisyCRM:
    config: NoiseConfig
    people: list[Person]
    orgs: list[Org]
    pairs: set[tuple[str, str]]  # true duplicate pairs, smaller id first
    hard_negatives: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return [p.record() for p in self.people]


# --- the noise -------------------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))  # the first letter is kept more often than not, as in real slips
    kind = rng.choice(("insert", "delete", "substitute", "transpose"))
    if kind == "insert":
        return text[:i] + rng.choice(KEYBOARD) + text[i:]
    if kind == "delete":
        return text[:i] + text[i + 1 :]
    if kind == "substitute":
        return text[:i] + rng.choice(KEYBOARD) + text[i + 1 :]
    if i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:-1]


def _ocr(rng: random.Random, text: str) -> str:
    options = [(a, b) for a, b in OCR if a in text]
    if not options:
        return _typo(rng, text)
    a, b = rng.choice(options)
    at = [i for i in range(len(text)) if text.startswith(a, i)]
    i = rng.choice(at)
    return text[:i] + b + text[i + len(a) :]


def _homoglyph(rng: random.Random, text: str) -> str:
    at = [i for i, ch in enumerate(text) if ch in HOMOGLYPHS]
    if not at:
        return text
    for i in rng.sample(at, min(len(at), rng.choice((1, 1, 2)))):
        text = text[:i] + HOMOGLYPHS[text[i]] + text[i + 1 :]
    return text


def _zero_width(rng: random.Random, text: str) -> str:
    i = rng.randrange(0, len(text) + 1)
    return text[:i] + rng.choice(ZERO_WIDTH) + text[i:]


def _case(rng: random.Random, text: str) -> str:
    return rng.choice((text.upper(), text.lower(), text.swapcase(), f" {text} "))


def _phone_format(rng: random.Random, digits: str) -> str:
    """Ten NANP digits written one of the ways people write them."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        (f"({a}) {b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}", f"{a}-{b}-{c}", f"1{a}{b}{c}", f"+1-{a}-{b}-{c}")
    )


def _phone_digits(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-10:]


@dataclass
class _Entity:
    first: str
    last: str
    email: str | None
    phone: str | None  # ten digits
    city: str
    org: int  # index into the companies
    personal: str | None = None


class _Generator:
    def __init__(self, config: NoiseConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.uuid_rng = random.Random(config.seed * 7919 + 1)
        self.pools = name_pools()
        self.companies: list[tuple[str, str, str]] = []  # (name, domain, city)
        self.orgs: dict[str, Org] = {}  # by exact typed name
        self.people: list[Person] = []
        self.entity_records: dict[int, list[str]] = {}
        self.hard: dict[str, set[tuple[str, str]]] = {}

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.uuid_rng.getrandbits(128), version=4))

    # --- entities ---------------------------------------------------------------------------------

    def name(self) -> tuple[str, str]:
        pool = self.rng.choices(self.pools, weights=[p.weight for p in self.pools])[0]
        first = self.rng.choices(pool.firsts, cum_weights=pool.first_cum)[0]
        last = self.rng.choices(pool.lasts, cum_weights=pool.last_cum)[0]
        return first, last

    def make_companies(self) -> None:
        seen: set[str] = set()
        while len(self.companies) < self.config.companies:
            words = self.rng.sample(COMPANY_WORDS, self.rng.choice((1, 1, 2)))
            base = " ".join([*words, self.rng.choice(COMPANY_TAILS)])
            if base in seen:
                continue
            seen.add(base)
            legal = self.rng.choice(LEGAL)
            name = f"{base} {legal}".strip()
            domain = "".join(w.lower() for w in base.split()[:2]) + self.rng.choice((".com", ".io", ".co", ".net"))
            self.companies.append((name, domain, self.rng.choice(CITIES)))

    def phone(self) -> str:
        return f"{self.rng.randint(201, 989)}{self.rng.randint(200, 999)}{self.rng.randint(0, 9999):04d}"

    def work_email(self, first: str, last: str, domain: str, *, style: int | None = None) -> str:
        f, la = _slug(first), _slug(last)
        style = self.rng.randrange(4) if style is None else style
        local = (f"{f}.{la}", f"{f[:1]}{la}", f"{f}{la[:1]}", f"{f}_{la}")[style]
        return f"{local}@{domain}"

    def entity(self, *, first: str | None = None, last: str | None = None, org: int | None = None) -> _Entity:
        f, la = self.name()
        first, last = first or f, last or la
        org = self.rng.randrange(len(self.companies)) if org is None else org
        _, domain, city = self.companies[org]
        email = self.work_email(first, last, domain) if self.rng.random() < 0.9 else None
        phone = self.phone() if self.rng.random() < 0.8 else None
        city = city if self.rng.random() < 0.7 else self.rng.choice(CITIES)
        personal = f"{_slug(first)}{self.rng.randint(1, 99)}@{self.rng.choice(FREE_MAIL)}"
        return _Entity(first, last, email, phone, city, org, personal)

    # --- records ----------------------------------------------------------------------------------

    def org_id(self, typed: str | None, org: int) -> str | None:
        if not typed:
            return None
        if typed not in self.orgs:
            _, domain, city = self.companies[org]
            # a misspelled company is its own row, without the domain (typed in by hand)
            exact = typed == self.companies[org][0]
            self.orgs[typed] = Org(self.uuid(), typed, domain if exact else "", city)
        return self.orgs[typed].id

    def add(self, entity_no: int, e: _Entity, *, noisy: bool) -> Person:
        first: str | None = e.first
        last: str | None = e.last
        email: str | None = e.email
        phone: str | None = _phone_format(self.rng, e.phone) if e.phone else None
        city: str | None = e.city
        company: str | None = self.companies[e.org][0]
        if noisy:
            cfg, rng = self.config, self.rng
            if rng.random() < cfg.personal_email:
                email = e.personal
            for _ in range(rng.randint(*cfg.ops)):
                op = rng.choice(NOISE_OPS)
                first, last, email, phone, city, company = op(self, first, last, email, phone, city, company)
            if rng.random() < cfg.missing:
                email = None
            if rng.random() < cfg.missing:
                phone = None
            if rng.random() < cfg.missing:
                city = None
            if rng.random() < cfg.missing / 2:
                company = None
        person = Person(
            id=self.uuid(),
            entity=entity_no,
            first_name=first or None,
            last_name=last or None,
            email=email or None,
            phone=phone or None,
            location=city or None,
            org_name=company,
            title=self.rng.choice(TITLES),
            org_id=self.org_id(company, e.org),
        )
        self.people.append(person)
        self.entity_records.setdefault(entity_no, []).append(person.id)
        return person

    def plant(self, kind: str, entities: Sequence[_Entity], start: int) -> None:
        ids = [self.add(start + i, e, noisy=False).id for i, e in enumerate(entities)]
        self.hard.setdefault(kind, set()).update(_ordered(a, b) for a, b in itertools.combinations(ids, 2))

    def run(self) -> NoisyCRM:
        cfg, rng = self.config, self.rng
        self.make_companies()
        n = 0
        planted = 0
        # hard negatives first: their records are clean (they are distinct people, not noisy copies)
        for _ in range(cfg.namesakes):
            a = self.entity()
            b = self.entity(first=a.first, last=a.last, org=a.org)
            b.email = self.work_email(a.first, a.last, self.companies[a.org][1], style=(1 if a.email else 0))
            if b.email == a.email:
                b.email = f"{_slug(a.first)}.{_slug(a.last)}2@{self.companies[a.org][1]}"
            self.plant("namesakes at one company", [a, b], n)
            n, planted = n + 2, planted + 2
        for _ in range(cfg.switchboards):
            board = self.phone()
            org = rng.randrange(len(self.companies))
            group = [self.entity(org=org) for _ in range(rng.randint(2, 4))]
            for e in group:
                e.phone = board
            self.plant("colleagues sharing a switchboard", group, n)
            n, planted = n + len(group), planted + len(group)
        for _ in range(cfg.families):
            last = self.name()[1]
            shared = f"the{_slug(last)}s@{rng.choice(FREE_MAIL)}"
            city = rng.choice(CITIES)
            group = [self.entity(last=last) for _ in range(2)]
            for e in group:
                e.email, e.city = shared, city
            self.plant("family sharing an email", group, n)
            n, planted = n + 2, planted + 2
        for _ in range(cfg.siblings):
            last = self.name()[1]
            home, city = self.phone(), rng.choice(CITIES)
            group = [self.entity(last=last) for _ in range(2)]
            for e in group:
                e.phone, e.city = home, city
            self.plant("siblings", group, n)
            n, planted = n + 2, planted + 2
        # then the crowd, some of it entered more than once
        while len(self.people) < cfg.people:
            e = self.entity()
            self.add(n, e, noisy=False)
            if rng.random() < cfg.duplicate_share:
                for _ in range(rng.randint(1, cfg.max_copies - 1)):
                    self.add(n, e, noisy=True)
            n += 1
        rng.shuffle(self.people)
        pairs = {_ordered(a, b) for ids in self.entity_records.values() for a, b in itertools.combinations(ids, 2)}
        return NoisyCRM(cfg, self.people, list(self.orgs.values()), pairs, self.hard)


# Each operation takes and returns (first, last, email, phone, city, company).
Fields = tuple[str | None, str | None, str | None, str | None, str | None, str | None]


def _on_name(fn: Any) -> Any:
    def op(g: _Generator, first: Any, last: Any, *rest: Any) -> Fields:
        if g.rng.random() < 0.5 and first:
            first = fn(g.rng, first)
        elif last:
            last = fn(g.rng, last)
        return (first, last, *rest)

    return op


def _nickname(g: _Generator, first: Any, last: Any, *rest: Any) -> Fields:
    names = common_nicknames(first) if first else ()
    return (g.rng.choice(names) if names else first, last, *rest)


def _swap(g: _Generator, first: Any, last: Any, *rest: Any) -> Fields:
    return (last, first, *rest)


def _email_op(fn: Any) -> Any:
    def op(g: _Generator, first: Any, last: Any, email: Any, *rest: Any) -> Fields:
        return (first, last, fn(g.rng, email) if email else email, *rest)

    return op


def _domain_typo(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    if domain in DOMAIN_TYPOS:
        return f"{local}@{rng.choice(DOMAIN_TYPOS[domain])}"
    name, _, tld = domain.rpartition(".")
    if rng.random() < 0.4:
        return f"{local}@{name}.{rng.choice(('co', 'cm', 'om', 'comm', 'con'))}"
    return f"{local}@{_typo(rng, name)}.{tld}"


def _local_typo(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{_typo(rng, local)}@{domain}"


def _phone_op(g: _Generator, first: Any, last: Any, email: Any, phone: Any, *rest: Any) -> Fields:
    if phone:
        digits = list(_phone_digits(phone))
        i = g.rng.randrange(3, 10)
        digits[i] = str((int(digits[i]) + g.rng.randint(1, 9)) % 10)
        phone = _phone_format(g.rng, "".join(digits))
    return (first, last, email, phone, *rest)


def _city_op(g: _Generator, first: Any, last: Any, email: Any, phone: Any, city: Any, company: Any) -> Fields:
    if city:
        city = g.rng.choice((_typo, _typo, _ocr, _case))(g.rng, city)
    return (first, last, email, phone, city, company)


def _company_op(g: _Generator, first: Any, last: Any, email: Any, phone: Any, city: Any, company: Any) -> Fields:
    if company:
        company = g.rng.choice((_typo, _typo, _ocr, _homoglyph, _case, _drop_legal))(g.rng, company)
    return (first, last, email, phone, city, company)


def _drop_legal(rng: random.Random, company: str) -> str:
    words = company.split()
    if len(words) > 1 and words[-1].rstrip(".") in {"Inc", "LLC", "Ltd", "GmbH", "Corp"}:
        return " ".join(words[:-1])
    return f"{company}, Inc."


def _email_case_or_zw(rng: random.Random, email: str) -> str:
    return rng.choice((email.upper(), email.capitalize(), _zero_width(rng, email)))


NOISE_OPS = (
    _on_name(_typo),
    _on_name(_typo),
    _on_name(_ocr),
    _on_name(_homoglyph),
    _on_name(_zero_width),
    _on_name(_case),
    _nickname,
    _swap,
    _email_op(_domain_typo),
    _email_op(_local_typo),
    _email_op(_email_case_or_zw),
    _phone_op,
    _city_op,
    _company_op,
    _company_op,
)


def _slug(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def generate(config: NoiseConfig) -> NoisyCRM:
    """The people, organizations and true pairs of one configuration (the same for the same config)."""
    return _Generator(config).run()


def sized(config: NoiseConfig, people: int) -> NoiseConfig:
    """The same kind of data at another size (hard negatives scaled along)."""
    scale = people / config.people
    return replace(
        config,
        people=people,
        companies=max(10, round(config.companies * scale)),
        namesakes=max(2, round(config.namesakes * scale)),
        switchboards=max(2, round(config.switchboards * scale)),
        families=max(2, round(config.families * scale)),
        siblings=max(2, round(config.siblings * scale)),
    )


# --- into the CRM, by plain SQL -------------------------------------------------------------------------


def write_crm(engine: sa.Engine, data: NoisyCRM, *, tenant_slug: str, tenant_id: str | None = None) -> str:
    """Insert a tenant with the data's organizations, individuals and current roles; returns the tenant id.

    Plain SQL on the reference schema (``/work/shared/crm-schema.md``), as an outside importer writes.
    """
    tenant_id = tenant_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"kgcrm-noisy/{tenant_slug}"))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO tenant (id, name, slug) VALUES (:id, :name, :slug)"),
            {"id": tenant_id, "name": f"Noisy CRM {tenant_slug}", "slug": tenant_slug},
        )
        _insert_many(
            conn,
            "INSERT INTO organization (id, tenant_id, name, domain, location) VALUES (:id, :t, :name, :domain, :loc)",
            ({"id": o.id, "t": tenant_id, "name": o.name, "domain": o.domain or None, "loc": o.location}
             for o in data.orgs),
        )  # fmt: skip
        _insert_many(
            conn,
            "INSERT INTO individual (id, tenant_id, first_name, last_name, email, phone, location) "
            "VALUES (:id, :t, :first, :last, :email, :phone, :loc)",
            ({"id": p.id, "t": tenant_id, "first": p.first_name, "last": p.last_name, "email": p.email,
              "phone": p.phone, "loc": p.location} for p in data.people),
        )  # fmt: skip
        _insert_many(
            conn,
            "INSERT INTO contact (id, tenant_id, individual_id, organization_id, title) "
            "VALUES (:id, :t, :person, :org, :title)",
            ({"id": str(uuid.uuid5(uuid.NAMESPACE_OID, p.id)), "t": tenant_id, "person": p.id, "org": p.org_id,
              "title": p.title} for p in data.people if p.org_id),
        )  # fmt: skip
    return tenant_id


def _insert_many(conn: sa.Connection, sql: str, rows: Iterable[dict[str, Any]], batch: int = 2_000) -> None:
    statement = sa.text(sql)
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.execute(statement, chunk)
            chunk = []
    if chunk:
        conn.execute(statement, chunk)
