"""A small two-tenant CRM written with plain SQL, with one planted situation per suggestion kind and
the people feedback tests decide about (issue 14). Times are relative to ``NOW``, the clock every
engine under test is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.support.crm_fixtures import Rows

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def day(days_from_now: int) -> str:
    return (NOW + timedelta(days=days_from_now)).date().isoformat()


@dataclass
class Planted:
    tenant: str
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def plant(rows: Rows, slug: str = "fa") -> Planted:
    """Tenant ``slug``: the team (Mia, Cole), Acme, Globex, Initech, and the planted situations."""
    t = rows.insert("tenant", name=f"Tenant {slug}", slug=slug)
    w = Planted(t)
    ids = w.ids

    def add(key: str, table: str, /, **values: object) -> str:
        ids[key] = rows.insert(table, tenant_id=t, **values)
        return ids[key]

    add("st_open", "status", entity_type="opportunity", name="Proposal", category="open", position=1)
    add("st_won", "status", entity_type="opportunity", name="Won", category="won", position=9, is_terminal=True)
    add("st_active", "status", entity_type="account", name="Active", category="active", position=1)
    add("st_task_open", "status", entity_type="task", name="Open", category="open", position=1)
    add("st_task_done", "status", entity_type="task", name="Done", category="done", position=2, is_terminal=True)

    add("mia", "individual", first_name="Mia", last_name="Team", email=f"mia@{slug}.example")
    add("cole", "individual", first_name="Cole", last_name="Team", email=f"cole@{slug}.example")
    add("u_mia", "app_user", email=f"mia@{slug}.example", full_name="Mia Team", individual_id=ids["mia"])
    add("u_cole", "app_user", email=f"cole@{slug}.example", full_name="Cole Team", individual_id=ids["cole"])

    for org, name in (("acme", "Acme"), ("globex", "Globex"), ("initech", "Initech"), ("hooli", "Hooli")):
        add(org, "organization", name=f"{name} {slug.upper()}", domain=f"{org}-{slug}.example")

    people = (
        ("bob", "Bob", "Stone", "acme"),
        ("bob2", "Robert", "Stone", "acme"),
        ("carol", "Carol", "Vance", "globex"),
        ("dave", "Dave", "Link", "hooli"),
        ("erin", "Erin", "Hale", "initech"),
    )
    for key, first, last, org in people:
        add(key, "individual", first_name=first, last_name=last, email=f"{first.lower()}.{last.lower()}@{org}.example")
        add(f"c_{key}", "contact", individual_id=ids[key], organization_id=ids[org], title="Manager")

    # warm intro: Mia knows Dave, Dave knows Erin at Initech; nobody on the team knows anyone at Initech
    add(
        "r_mia_dave",
        "relationship",
        from_individual_id=ids["mia"],
        to_individual_id=ids["dave"],
        kind="knows",
        strength=0.9,
    )
    add(
        "r_dave_erin",
        "relationship",
        from_individual_id=ids["dave"],
        to_individual_id=ids["erin"],
        kind="knows",
        strength=0.8,
    )
    # a tie to Bob, for the "dismissed tie" test
    add(
        "r_mia_bob",
        "relationship",
        from_individual_id=ids["mia"],
        to_individual_id=ids["bob"],
        kind="knows",
        strength=0.7,
    )

    def deal(name: str, title: str, org: str, owner: str | None, status: str, close_in: int, **extra: object) -> None:
        lead = add(
            name,
            "lead",
            lead_type="opportunity",
            title=title,
            organization_id=ids[org],
            owner_id=ids[owner] if owner else None,
            status_id=ids[status],
        )
        rows.insert("opportunity", id=lead, tenant_id=t, amount=50_000, expected_close_on=day(close_in), **extra)

    deal("d_acme", "Acme renewal", "acme", "u_mia", "st_open", -20)  # overdue: at risk
    deal("d_initech", "Initech pilot", "initech", "u_mia", "st_open", 90)  # no interaction at Initech: at risk
    deal("d_globex", "Globex expansion", "globex", None, "st_open", 60)  # nobody owns it
    deal("d_hooli_won", "Hooli won", "hooli", None, "st_won", -10, closed_at=ago(10))  # won: nothing

    def meeting(name: str, days: float, *people: str, kind: str = "meeting") -> str:
        i = add(name, "interaction", kind=kind, subject=name, occurred_at=ago(days), source="manual")
        for person in people:
            rows.insert(
                "interaction_participant", tenant_id=t, interaction_id=i, individual_id=ids[person], role="attendee"
            )
        return i

    # cooling: Mia and Carol (Globex has an open deal): 4 in the window before, 1 in the last 90 days
    for n, days in enumerate((100, 120, 140, 160)):
        meeting(f"carol_old_{n}", days, "mia", "carol", kind="email")
    meeting("carol_recent", 20, "mia", "carol", kind="email")
    # Acme: Bob met recently (so the Acme deal is at risk only for its date); no note or task since
    meeting("m_bob", 5, "mia", "bob")
    # Globex: a meeting followed by a note: no follow-up owed
    meeting("m_carol_noted", 3, "mia", "carol")
    add(
        "n_globex",
        "note",
        subject_type="organization",
        subject_id=ids["globex"],
        body="Sent the deck after the meeting",
    )

    add(
        "t_overdue",
        "task",
        title="Send Acme the contract",
        subject_type="organization",
        subject_id=ids["acme"],
        due_at=ago(12),
        assignee_id=ids["u_mia"],
        status_id=ids["st_task_open"],
        created_at=ago(30),
    )
    add(
        "t_done",
        "task",
        title="Call Globex",
        subject_type="organization",
        subject_id=ids["globex"],
        due_at=ago(12),
        completed_at=ago(11),
        assignee_id=ids["u_mia"],
        status_id=ids["st_task_done"],
        created_at=ago(30),
    )
    add(
        "t_future",
        "task",
        title="Prepare Initech demo",
        due_at=day(5),
        assignee_id=ids["u_mia"],
        status_id=ids["st_task_open"],
    )
    return w
