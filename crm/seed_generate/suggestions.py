"""Situations planted for the suggestions' evaluation (issue 14), with their truth.

Opt-in (``SeedConfig.plant_suggestions``, ``kgcrm seed --plant-suggestions``): without it the seed
writes exactly what it wrote before. With it, each tenant ends with a few organizations of its own
(fresh names, fresh people), each made to show one situation, and no other, when suggestions are
asked ``for`` that organization:

- ``deal_at_risk``: an open deal past its expected close date (recent e-mail with someone there);
- ``relationship_cooling``: e-mails with someone there, four in the window before, one in the last;
- ``warm_intro``: an open deal; nobody on the team knows anyone there, a connector knows both sides;
- ``follow_up_owed``: a meeting 13.9 days ago without a note after it, and a task past due;
- ``duplicate_to_review``: one person recorded twice (found once ``kgcrm dedupe`` ran);
- ``nobody_owns_it``: an open deal without an owner.

The rows come after every other row of the tenant, from a random generator of their own, so that
they change nothing the seed wrote before them. Truth: ``truth["tenants"][i]["suggestions"]``, one
record per situation: ``{"kind", "organization", "expected": [suggestion keys]}``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from kgcrm.crm.seed_generate.base import TenantBase
from kgcrm.crm.seed_generate.config import Row

KINDS = (
    "deal_at_risk",
    "relationship_cooling",
    "warm_intro",
    "follow_up_owed",
    "duplicate_to_review",
    "nobody_owns_it",
)
PER_KIND = 2


class SuggestionPlantsMixin(TenantBase):
    suggestion_truth: list[dict[str, Any]]

    def suggestion_rows(self) -> Iterator[tuple[str, Row]]:
        rng = random.Random(f"{self.tenant_id}/suggestions")
        self.suggestion_truth = []
        users = self.active_users
        for n in range(PER_KIND):
            for k, kind in enumerate(KINDS):
                user = users[(n * len(KINDS) + k) % len(users)]
                yield from self._situation(rng, kind, n, user)

    # --- rows -------------------------------------------------------------------------------------

    def _id(self, rng: random.Random) -> str:
        import uuid

        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _audit(self, at: datetime, by: str | None) -> Row:
        return {"created_at": at, "updated_at": at, "created_by": by, "updated_by": by, "via_agent": False}

    def _org(self, rng: random.Random, name: str) -> tuple[str, Row]:
        slug = name.lower().replace(" ", "-")
        at = self.now - timedelta(days=200)
        return self.row(
            "organization",
            {
                "id": self._id(rng),
                "name": name,
                "domain": f"{slug}.example",
                "industry": "Software",
                "location": None,
                "description": None,
                "parent_id": None,
                **self._audit(at, self.users[0].id),
            },
        )

    def _person(self, rng: random.Random, first: str, last: str, org: Row, email: str) -> list[tuple[str, Row]]:
        at = self.now - timedelta(days=190)
        person = self.row(
            "individual",
            {
                "id": self._id(rng),
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": None,
                "linkedin_url": None,
                "location": None,
                "bio": None,
                **self._audit(at, self.users[0].id),
            },
        )
        contact = self.row(
            "contact",
            {
                "id": self._id(rng),
                "individual_id": person[1]["id"],
                "organization_id": org["id"],
                "title": "Director",
                "email": email,
                "phone": None,
                "started_on": (at - timedelta(days=400)).date(),
                "ended_on": None,
                "owner_id": None,
                "status_id": None,
                **self._audit(at, self.users[0].id),
            },
        )
        return [person, contact]

    def _deal(
        self, rng: random.Random, org: Row, title: str, owner: str | None, close_in_days: int
    ) -> list[tuple[str, Row]]:
        lid = self._id(rng)
        at = self.now - timedelta(days=1)
        expected = self.today + timedelta(days=close_in_days)
        amount = Decimal(40_000)
        self.deals.add("Proposal", "USD", amount, None, expected, "open")
        audit = self._audit(at, owner or self.users[0].id)
        lead = self.row(
            "lead",
            {
                "id": lid,
                "lead_type": "opportunity",
                "title": title,
                "description": None,
                "organization_id": org["id"],
                "account_id": None,
                "contact_id": None,
                "owner_id": owner,
                "status_id": self.status[("opportunity", "Proposal")],
                "source": "referral",
                **audit,
            },
        )
        sub = self.row(
            "opportunity",
            {
                "id": lid,
                "amount": amount,
                "currency": "USD",
                "expected_close_on": expected,
                "closed_at": None,
                "probability": 55,
                **audit,
            },
        )
        return [lead, sub]

    def _talk(
        self, rng: random.Random, kind: str, days_ago: float, people: list[str], by: str
    ) -> list[tuple[str, Row]]:
        at = (self.now - timedelta(days=days_ago)).replace(microsecond=0)
        iid = self._id(rng)
        rows = [
            self.row(
                "interaction",
                {
                    "id": iid,
                    "kind": kind,
                    "subject": f"{kind.capitalize()} about the project",
                    "summary": None,
                    "occurred_at": at,
                    "source": "manual",
                    "external_id": None,
                    **self._audit(at, by),
                },
            )
        ]
        for person in people:
            rows.append(
                self.row(
                    "interaction_participant",
                    {
                        "id": self._id(rng),
                        "interaction_id": iid,
                        "individual_id": person,
                        "role": "attendee",
                        **self._audit(at, by),
                    },
                )
            )
        return rows

    def _knows(self, rng: random.Random, a: str, b: str, strength: float) -> tuple[str, Row]:
        at = self.now - timedelta(days=150)
        return self.row(
            "relationship",
            {
                "id": self._id(rng),
                "from_individual_id": a,
                "to_individual_id": b,
                "kind": "knows",
                "strength": strength,
                "since_on": (at - timedelta(days=300)).date(),
                "source": "manual",
                **self._audit(at, self.users[0].id),
            },
        )

    def _situation(self, rng: random.Random, kind: str, n: int, user: Any) -> Iterator[tuple[str, Row]]:
        tag = f"{kind.replace('_', ' ').title().replace(' ', '')}{n + 1}"
        org_row = self._org(rng, f"Planted {tag} {self.slug}")
        yield org_row
        org = org_row[1]
        me = user.person.id
        domain = org["domain"]
        person_rows = self._person(rng, "Pat", f"{tag}", org, f"pat@{domain}")
        yield from person_rows
        pat = person_rows[0][1]["id"]
        expected: list[str] = []
        if kind == "deal_at_risk":
            deal = self._deal(rng, org, f"{tag} renewal", user.id, -15)
            yield from deal
            yield from self._talk(rng, "email", 5, [me, pat], user.id)
            expected = [f"deal_at_risk:{deal[0][1]['id']}"]
        elif kind == "relationship_cooling":
            yield from self._deal(rng, org, f"{tag} expansion", user.id, 60)
            for days in (100, 120, 140, 160, 10):
                yield from self._talk(rng, "email", days, [me, pat], user.id)
            expected = [f"relationship_cooling:{user.id}|{pat}"]
        elif kind == "warm_intro":
            yield from self._deal(rng, org, f"{tag} pilot", user.id, 60)
            bridge = self._org(rng, f"Planted Bridge {tag} {self.slug}")
            yield bridge
            connector_rows = self._person(rng, "Casey", f"Link{tag}", bridge[1], f"casey@{bridge[1]['domain']}")
            yield from connector_rows
            casey = connector_rows[0][1]["id"]
            yield self._knows(rng, me, casey, 0.9)
            yield self._knows(rng, casey, pat, 0.8)
            yield from self._talk(rng, "email", 7, [casey, pat], user.id)
            expected = [f"warm_intro:{org['id']}"]
        elif kind == "follow_up_owed":
            meeting = self._talk(rng, "meeting", 13.9, [me, pat], user.id)
            yield from meeting
            tid = self._id(rng)
            due = (self.now - timedelta(days=6)).replace(microsecond=0)
            yield self.row(
                "task",
                {
                    "id": tid,
                    "subject_type": "organization",
                    "subject_id": org["id"],
                    "title": f"Send {tag} the proposal",
                    "description": None,
                    "due_at": due,
                    "completed_at": None,
                    "assignee_id": user.id,
                    "status_id": self.status[("task", "To do")],
                    **self._audit(self.now - timedelta(days=20), user.id),
                },
            )
            expected = [f"follow_up_owed:{meeting[0][1]['id']}", f"follow_up_owed:{tid}"]
        elif kind == "duplicate_to_review":
            twin_rows = self._person(rng, "Pat", f"{tag}", org, f"p.{tag.lower()}@mail-{domain}")
            yield from twin_rows
            expected = [f"duplicate_to_review:{'|'.join(sorted([pat, twin_rows[0][1]['id']]))}"]
        elif kind == "nobody_owns_it":
            deal = self._deal(rng, org, f"{tag} opportunity", None, 60)
            yield from deal
            yield from self._talk(rng, "email", 6, [me, pat], user.id)
            expected = [f"nobody_owns_it:{deal[0][1]['id']}"]
        self.suggestion_truth.append({"kind": kind, "organization": org["id"], "expected": expected})
