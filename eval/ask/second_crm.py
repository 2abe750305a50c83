"""A second CRM, written as plain SQL ``INSERT`` statements: a Dutch/German industrial B2B firm.

Nothing here is made by the seed generator: its own pipeline stages ("Kwalificatie", "Offerte",
"Verhandlung" …), industries ("Maschinenbau", "Medizintechnik" …), tiers (Platinum / Gold / Silver /
Bronze), currencies (EUR, CHF, DKK), lead sources ("Messe", "Empfehlung" …), employment and partnership
types, cities and users. The ask bank instantiates on it with those values, so value linking is tested on
data the seed never made.

``second_crm.sql`` is the artefact: a few hundred rows for one tenant, in foreign-key order, every id,
timestamp and ``updated_at`` written out (the reference time is :data:`SECOND_NOW`), portable between
SQLite and PostgreSQL. It was produced once by ``python -m eval.ask.second_crm > eval/ask/second_crm.sql``
(a fixed random seed: the same file every time) and is loaded with :func:`load_second_crm` into a CRM
migrated by ``kgcrm db upgrade``; the database triggers log every row, so the real sync mirrors it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

SECOND_SLUG = "brandtvisser"
SECOND_NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
SQL_FILE = Path(__file__).with_name("second_crm.sql")

_rng = random.Random(1717)


def _id() -> str:
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return f"'{_ts(value)}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class _Sql:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counts: dict[str, int] = {}

    def insert(self, table: str, **row: Any) -> str:
        row.setdefault("id", _id())
        cols = ", ".join(row)
        vals = ", ".join(_lit(v) for v in row.values())
        self.lines.append(f"INSERT INTO {table} ({cols}) VALUES ({vals});")  # noqa: S608 (names from code, values quoted by _lit)
        self.counts[table] = self.counts.get(table, 0) + 1
        return str(row["id"])


def _when(days_ago_max: int, days_ago_min: int = 0) -> datetime:
    seconds = _rng.randint(max(days_ago_min * 86400, 600), days_ago_max * 86400)
    return SECOND_NOW - timedelta(seconds=seconds)  # at least ten minutes before now: nothing is stamped "now"


def _pick(weighted: list[tuple[Any, int]]) -> Any:
    return _rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


USERS = [
    ("Katrin", "Vogel"),
    ("Jeroen", "de Wit"),
    ("Matthias", "Keller"),
    ("Sanne", "Bakker"),
    ("Lukas", "Hofmann"),
    ("Femke", "Jansen"),
    ("Ruud", "Smit"),
]
FIRST = [
    "Anke",
    "Bram",
    "Daan",
    "Elke",
    "Florian",
    "Gerrit",
    "Hanna",
    "Ingrid",
    "Joost",
    "Karin",
    "Lotte",
    "Maarten",
    "Nina",
    "Otto",
    "Pieter",
    "Renate",
    "Stefan",
    "Tobias",
    "Ulrike",
    "Vincent",
    "Wim",
    "Yara",
    "Zeno",
    "Birgit",
    "Casper",
    "Dirk",
    "Eva",
    "Frank",
    "Greta",
    "Henk",
    "Jasper",
    "Klaus",
    "Lieke",
    "Moritz",
    "Noor",
    "Petra",
]
LAST = [
    "Aalders",
    "Becker",
    "Claessens",
    "Dekker",
    "Engel",
    "Fischer",
    "Gerritsen",
    "Huber",
    "Ismail",
    "Jacobs",
    "Kramer",
    "Lange",
    "Meijer",
    "Neumann",
    "Oosterhuis",
    "Peters",
    "Quist",
    "Richter",
    "Schouten",
    "Thijssen",
    "Uhlig",
    "Visser",
    "Wagner",
    "Yilmaz",
    "Zimmermann",
    "Bosman",
    "Kuipers",
    "Scholz",
    "Verhoeven",
    "Wolff",
]
CITIES = [
    ("Eindhoven, NL", 9),
    ("Stuttgart, DE", 8),
    ("Rotterdam, NL", 6),
    ("Zürich, CH", 5),
    ("Düsseldorf, DE", 4),
    ("Antwerpen, BE", 3),
    ("Basel, CH", 3),
    ("Utrecht, NL", 2),
    ("Linz, AT", 2),
]
INDUSTRIES = [
    ("Maschinenbau", 10),
    ("Medizintechnik", 7),
    ("Chemie", 6),
    ("Logistik", 5),
    ("Lebensmittel", 4),
    ("Energietechnik", 3),
    ("Agrartechnik", 2),
    ("Bauwesen", 2),
]
ORG_WORDS = [
    "Kroonwerk",
    "Hagedorn",
    "Zilverberg",
    "Vossenkamp",
    "Alpental",
    "Rheinhafen",
    "Lindenau",
    "Molenaar",
    "Brückner",
    "Duinrand",
    "Eisenhut",
    "Friesland",
    "Grauwert",
    "Hoogvliet",
    "Isarwerk",
    "Jadebusen",
    "Kieselbach",
    "Lauwersoog",
    "Meerbusch",
    "Nordhorn",
    "Oldambt",
    "Pfalzgraf",
    "Quellental",
    "Roggenveld",
    "Schwarzach",
    "Tilburgse",
    "Unterberg",
    "Veenstra",
    "Westerholt",
    "Ysselstein",
    "Zwinger",
    "Ahlborn",
    "Bergmoor",
    "Dollard",
    "Emsland",
    "Fehnland",
    "Gaasper",
    "Harzblick",
    "Ijsbrand",
    "Jungfrau",
    "Kempenland",
    "Lorelei",
    "Maasdijk",
    "Neckartal",
    "Odenwald",
    "Peelland",
    "Rijnmond",
    "Sauerland",
]
ORG_TAILS = {
    "Maschinenbau": "Maschinenbau GmbH",
    "Medizintechnik": "Medical BV",
    "Chemie": "Chemie AG",
    "Logistik": "Logistiek BV",
    "Lebensmittel": "Foods GmbH",
    "Energietechnik": "Energie AG",
    "Agrartechnik": "Agrar BV",
    "Bauwesen": "Bouw BV",
}
TIERS = [("Platinum", 3), ("Gold", 5), ("Silver", 8), ("Bronze", 4)]
SOURCES = [("Messe", 8), ("Empfehlung", 6), ("Kaltakquise", 4), ("Webinar", 3), ("Ausschreibung", 2)]
TITLES = [
    "Einkaufsleiter",
    "VP Operations",
    "Geschäftsführer",
    "Head of Procurement",
    "Technischer Leiter",
    "Inkoopmanager",
    "VP Engineering",
    "Werkleiter",
    "Projectleider",
    "CFO",
]
# entity_type → (name, category, is_terminal, weight, probability)
STATUSES: dict[str, list[tuple[str, str, bool, int, int | None]]] = {
    "opportunity": [
        ("Kwalificatie", "open", False, 9, 10),
        ("Bedarfsanalyse", "open", False, 7, 25),
        ("Offerte", "open", False, 6, 50),
        ("Verhandlung", "open", False, 4, 75),
        ("Gewonnen", "won", True, 10, 100),
        ("Verloren", "lost", True, 7, 0),
    ],
    "job": [
        ("Sourcing", "open", False, 4, None),
        ("Gesprek", "open", False, 3, None),
        ("Aanbod", "open", False, 2, None),
        ("Geplaatst", "won", True, 3, None),
        ("Afgewezen", "lost", True, 2, None),
    ],
    "partnership": [
        ("Verkenning", "open", False, 4, None),
        ("Lopend", "active", False, 6, None),
        ("Gepauzeerd", "inactive", False, 2, None),
        ("Beëindigd", "done", True, 2, None),
    ],
    "task": [
        ("Offen", "open", False, 5, None),
        ("In Bearbeitung", "open", False, 3, None),
        ("Erledigt", "done", True, 8, None),
        ("Vervallen", "inactive", True, 1, None),
    ],
    "account": [
        ("Bestandskunde", "active", False, 8, None),
        ("Neukunde", "active", False, 4, None),
        ("Gefährdet", "active", False, 3, None),
        ("Gekündigt", "inactive", True, 2, None),
    ],
    "contact": [
        ("Aktiv", "active", False, 8, None),
        ("Warmhalten", "active", False, 4, None),
        ("Gesperrt", "inactive", False, 1, None),
        ("Ehemalig", "inactive", True, 0, None),
    ],
}
CURRENCIES = [("EUR", 7), ("CHF", 2), ("DKK", 1)]


def generate_sql() -> str:
    sql = _Sql()
    tenant = _id()
    founded = SECOND_NOW - timedelta(days=900)
    sql.lines.append("-- A second CRM for kgcrm's ask evaluation (eval/ask/second_crm.py): plain SQL, one tenant.")
    sql.insert(
        "tenant",
        id=tenant,
        name="Brandt & Visser Industrietechnik",
        slug=SECOND_SLUG,
        created_at=founded,
        updated_at=founded,
    )
    audit = {"created_at": founded, "updated_at": founded}

    own_org = sql.insert(
        "organization",
        tenant_id=tenant,
        name="Brandt & Visser Industrietechnik BV",
        domain="brandtvisser.eu",
        industry="Maschinenbau",
        location="Eindhoven, NL",
        description="Industrial automation integrator.",
        **audit,
    )
    team: list[tuple[str, str, str]] = []  # (user id, individual id, name)
    for first, last in USERS:
        ind = sql.insert(
            "individual",
            tenant_id=tenant,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower().replace(' ', '')}@brandtvisser.eu",
            location="Eindhoven, NL",
            **audit,
        )
        team.append(("", ind, f"{first} {last}"))
    users = []
    for i, (_, ind, name) in enumerate(team):
        uid = sql.insert(
            "app_user",
            tenant_id=tenant,
            email=name.lower().replace(" ", ".") + "@brandtvisser.eu",
            full_name=name,
            individual_id=ind,
            is_active=(i != len(team) - 1),
            **audit,
        )
        users.append((uid, ind, name))
    active_users = [u for u in users[:-1]]
    owner_weights = [(u[0], w) for u, w in zip(active_users, (9, 7, 5, 4, 3, 2), strict=True)]
    by = {"created_by": active_users[0][0], "updated_by": active_users[0][0]}

    status_ids: dict[str, list[tuple[str, str, str, int, int | None]]] = {}
    for entity_type, rows in STATUSES.items():
        for pos, (name, category, terminal, weight, prob) in enumerate(rows, 1):
            sid = sql.insert(
                "status",
                tenant_id=tenant,
                entity_type=entity_type,
                name=name,
                category=category,
                position=pos,
                is_terminal=terminal,
                **audit,
                **by,
            )
            status_ids.setdefault(entity_type, []).append((sid, name, category, weight, prob))

    def status_of(entity_type: str) -> tuple[str, str, str, int, int | None]:
        return _pick([(s, s[3]) for s in status_ids[entity_type]])

    def stamp(days_max: int, days_min: int = 0) -> dict[str, Any]:
        created = _when(days_max, days_min)
        updated = min(
            created + timedelta(days=_rng.randint(0, 60), seconds=_rng.randint(0, 86400)),
            max(created, SECOND_NOW - timedelta(minutes=1)),
        )
        owner = _pick(owner_weights)
        return {"created_at": created, "updated_at": updated, "created_by": owner, "updated_by": owner}

    for _uid, ind, _ in users:
        sql.insert(
            "contact",
            tenant_id=tenant,
            individual_id=ind,
            organization_id=own_org,
            title="Account Manager",
            started_on=founded.date(),
            owner_id=users[0][0],
            status_id=status_ids["contact"][0][0],
            **audit,
            **by,
        )

    orgs = []
    words = list(ORG_WORDS)
    _rng.shuffle(words)
    for word in words[:46]:
        industry = _pick(INDUSTRIES)
        s = stamp(800)
        oid = sql.insert(
            "organization",
            tenant_id=tenant,
            name=f"{word} {ORG_TAILS[industry]}",
            domain=f"{word.lower()}.eu",
            industry=industry,
            location=_pick(CITIES),
            description=f"{industry} company.",
            **s,
        )
        orgs.append((oid, s["created_at"]))

    people = []
    for _ in range(170):
        s = stamp(700)
        pid = sql.insert(
            "individual",
            tenant_id=tenant,
            first_name=_rng.choice(FIRST),
            last_name=_rng.choice(LAST),
            location=_pick(CITIES),
            **s,
        )
        people.append(pid)
    for pid in people:
        oid, _ = _rng.choice(orgs)
        ended = None
        if _rng.random() < 0.2:  # a past role, then a current one elsewhere
            ended = (SECOND_NOW - timedelta(days=_rng.randint(30, 400))).date()
            sql.insert(
                "contact",
                tenant_id=tenant,
                individual_id=pid,
                organization_id=oid,
                title=_rng.choice(TITLES),
                started_on=ended - timedelta(days=700),
                ended_on=ended,
                owner_id=_pick(owner_weights),
                status_id=status_ids["contact"][3][0],
                **stamp(600),
            )
            oid, _ = _rng.choice(orgs)
        sql.insert(
            "contact",
            tenant_id=tenant,
            individual_id=pid,
            organization_id=oid,
            title=_rng.choice(TITLES),
            started_on=(ended or (SECOND_NOW - timedelta(days=900)).date()),
            owner_id=_pick(owner_weights),
            status_id=status_of("contact")[0],
            **stamp(600),
        )

    accounts: dict[str, str] = {}
    for oid, _ in orgs[:24]:
        accounts[oid] = sql.insert(
            "account",
            tenant_id=tenant,
            organization_id=oid,
            name=None,
            tier=_pick(TIERS),
            owner_id=_pick(owner_weights),
            status_id=status_of("account")[0],
            **stamp(600),
        )

    leads = []
    for i in range(150):
        lead_type = "opportunity" if i < 100 else ("job" if i < 126 else "partnership")
        oid, _ = _rng.choice(orgs)
        st = status_of(lead_type)
        s = stamp(720)
        closed = None
        if lead_type == "opportunity" and st[2] in ("won", "lost"):  # after creation, before now (never exactly now)
            latest = SECOND_NOW - timedelta(minutes=_rng.randint(30, 3000))
            closed = s["created_at"] + timedelta(days=_rng.randint(10, 200), seconds=_rng.randint(0, 86400))
            closed = min(closed, max(latest, s["created_at"] + timedelta(minutes=5)))
            s = {**s, "updated_at": max(s["updated_at"], closed)}
        lid = sql.insert(
            "lead",
            tenant_id=tenant,
            lead_type=lead_type,
            title=f"{lead_type} {i + 1}",
            organization_id=oid,
            account_id=accounts.get(oid),
            owner_id=_pick(owner_weights),
            status_id=st[0],
            source=_pick(SOURCES),
            **s,
        )
        leads.append(lid)
        if lead_type == "opportunity":
            expected = (s["created_at"] + timedelta(days=_rng.randint(20, 260))).date()
            sql.insert(
                "opportunity",
                id=lid,
                tenant_id=tenant,
                amount=_rng.randint(8, 800) * 500,
                currency=_pick(CURRENCIES),
                expected_close_on=expected,
                closed_at=closed,
                probability=st[4],
                **s,
            )
        elif lead_type == "job":
            low = _rng.randint(50, 120) * 1000
            sql.insert(
                "job",
                id=lid,
                tenant_id=tenant,
                role_title=_rng.choice(TITLES),
                location=_pick(CITIES),
                employment_type=_pick([("Vollzeit", 5), ("Interim", 3), ("Teilzeit", 2)]),
                salary_min=low,
                salary_max=low + _rng.randint(10, 40) * 1000,
                currency=_pick([("EUR", 3), ("CHF", 1)]),
                **s,
            )
        else:
            started = (SECOND_NOW - timedelta(days=_rng.randint(0, 600))).date() if st[2] != "open" else None
            sql.insert(
                "partnership",
                id=lid,
                tenant_id=tenant,
                partnership_type=_pick([("Vertriebspartner", 4), ("Servicepartner", 3), ("OEM", 2)]),
                started_on=started,
                ended_on=None,
                **s,
            )

    for _ in range(110):
        st = status_of("task")
        s = stamp(90)
        due = SECOND_NOW + timedelta(days=_rng.randint(-30, 30), hours=_rng.randint(-12, 12))
        completed = None
        if st[2] == "done":  # around the due date, before now (never exactly now)
            completed = min(
                due + timedelta(days=_rng.randint(-5, 3)), SECOND_NOW - timedelta(minutes=_rng.randint(5, 600))
            )
            completed = max(completed, s["created_at"] + timedelta(minutes=5))
            s = {**s, "updated_at": max(s["updated_at"], completed)}
        subject = _rng.choice(leads)
        sql.insert(
            "task",
            tenant_id=tenant,
            subject_type="lead",
            subject_id=subject,
            title="Nachfassen",
            due_at=due,
            completed_at=completed,
            assignee_id=_pick(owner_weights),
            status_id=st[0],
            **s,
        )
    for _ in range(90):
        s = stamp(120)
        subject_type, subject = _rng.choice(
            [("lead", _rng.choice(leads)), ("organization", _rng.choice(orgs)[0]), ("individual", _rng.choice(people))]
        )
        sql.insert(
            "note",
            tenant_id=tenant,
            subject_type=subject_type,
            subject_id=subject,
            body="Gesprek gevoerd over de offerte; volgende stap afgesproken.",
            **s,
        )
    for _ in range(240):
        kind = _pick([("email", 10), ("meeting", 4), ("call", 4), ("message", 2)])
        source = {"email": "email", "meeting": "calendar"}.get(kind, _pick([("manual", 2), ("import", 1)]))
        occurred = _when(540)
        s = stamp(1)
        s["created_at"] = s["updated_at"] = occurred
        iid = sql.insert(
            "interaction",
            tenant_id=tenant,
            kind=kind,
            subject=f"{kind} over project",
            summary=None,
            occurred_at=occurred,
            source=source,
            **s,
        )
        chosen = _rng.sample(people, _rng.randint(1, 3))
        roles = ["from", "to", "cc"] if kind in ("email", "message") else ["organizer", "attendee", "attendee"]
        members = [_rng.choice(active_users)[1], *chosen]
        for n, individual in enumerate(members):
            sql.insert(
                "interaction_participant",
                tenant_id=tenant,
                interaction_id=iid,
                individual_id=individual,
                role=roles[min(n, len(roles) - 1)],
                created_at=occurred,
                updated_at=occurred,
            )
    for _ in range(60):
        a, b = _rng.sample(people, 2)
        sql.insert(
            "relationship",
            tenant_id=tenant,
            from_individual_id=a,
            to_individual_id=b,
            kind=_pick([("knows", 5), ("colleague", 3), ("introduced", 1)]),
            strength=round(_rng.random(), 2),
            source="manual",
            **stamp(500),
        )
    total = sum(sql.counts.values())
    sql.lines.insert(1, f"-- {total} rows: " + ", ".join(f"{t} {n}" for t, n in sql.counts.items()))
    return "\n".join(sql.lines) + "\n"


def statements(text: str) -> list[str]:
    """The SQL file's statements (one ``INSERT`` a line; ``--`` lines are comments)."""
    return [line.rstrip().rstrip(";") for line in text.splitlines() if line.strip() and not line.startswith("--")]


def load_second_crm(engine: sa.Engine, path: Path = SQL_FILE) -> bool:
    """Insert the second CRM into a migrated database, in one transaction; False when it is there already."""
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM tenant WHERE slug = :s"), {"s": SECOND_SLUG}).first():
            return False
        for statement in statements(path.read_text(encoding="utf-8")):
            conn.exec_driver_sql(statement)
    return True


if __name__ == "__main__":
    print(generate_sql(), end="")
