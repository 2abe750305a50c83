"""Reading an ingested CRM back against the fixtures' ground truth (precision and recall of matching)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tests.ingest.fixtures import NEW, World
from tests.support.crm_fixtures import Rows


def participants(rows: Rows, tenant: str, source: str) -> dict[str, dict[str, str]]:
    """external_id → {individual id: role} of the tenant's interactions from ``source``."""
    with rows.engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT i.external_id, p.individual_id, p.role FROM interaction i "
                "JOIN interaction_participant p ON p.interaction_id = i.id "
                "WHERE i.tenant_id = :t AND i.source = :s"
            ),
            {"t": tenant, "s": source},
        ).all()
    out: dict[str, dict[str, str]] = {}
    for external_id, individual_id, role in found:
        out.setdefault(external_id, {})[individual_id] = role
    return out


def person_of(rows: Rows, world: World, email: str, expected: str) -> str | None:
    """The individual an address must have become: an existing one, or the new one holding that address."""
    if expected != NEW:
        return world.people[expected]
    if email == "ben@us.example":
        return rows.scalar("SELECT individual_id FROM app_user WHERE id = :u", u=world.ben_user)
    return rows.scalar(
        "SELECT id FROM individual WHERE tenant_id = :t AND email = :e AND source IS NOT NULL", t=world.tenant, e=email
    )


@dataclass
class MatchScore:
    true_matches: int  # linked to the right existing person
    wrong_matches: int  # linked to an existing person it is not
    missed: int  # should have been linked to an existing person, got a new one
    should_match: int

    @property
    def precision(self) -> float:
        matched = self.true_matches + self.wrong_matches
        return self.true_matches / matched if matched else 1.0

    @property
    def recall(self) -> float:
        return self.true_matches / self.should_match if self.should_match else 1.0


def score_matching(rows: Rows, world: World, expected: dict[str, str], linked: dict[str, str]) -> MatchScore:
    """Compare ``linked`` (address → individual id it ended up as) with ``expected`` (address → key or NEW)."""
    existing = set(world.people.values())
    true = wrong = missed = should = 0
    for email, key in expected.items():
        if email not in linked:
            continue
        got = linked[email]
        if key != NEW:
            should += 1
            if got == world.people[key]:
                true += 1
            elif got in existing:
                wrong += 1
            else:
                missed += 1
        elif got in existing:
            wrong += 1
    return MatchScore(true, wrong, missed, should)
