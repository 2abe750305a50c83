"""What is planted for the evaluations, and the ground truth: warm-introduction paths, meetings
yesterday and last week, mentions for entity resolution, and the tenant's truth.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.activity import ActivityMixin
from kgcrm.crm.seed_generate.config import TABLES, Row
from kgcrm.crm.seed_generate.helpers import misspell, what
from kgcrm.crm.seed_generate.records import Org, Person, User


class PlantedMixin(ActivityMixin):
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
        self, user: User, person: Person, *, count: int, mean_days: float, recent: bool = False, old: bool = False
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

    def planted_relationship(
        self, a: Person, b: Person, kind: str, strength: float
    ) -> Generator[tuple[str, Row], None, dict[str, Any]]:
        """Yields the relationship row; returns its ground-truth record (``rel = yield from …``)."""
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

    def make_mentions(self) -> None:
        """Mention → entity examples, kept only where the mention singles out one entity (or its duplicates)."""
        rng = self.rng
        people = [p for p in self.people if p.duplicate_of is None]
        full_names = Counter(" ".join(p.full_name.lower().split()) for p in self.people)
        last_names: defaultdict[str, list[Person]] = defaultdict(list)
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

        def same_person(p: Person, q: Person) -> bool:
            return q is p or q.duplicate_of is p or p.duplicate_of is q

        def unique_at_org(p: Person, org: Org) -> bool:
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
        def candidates(p: Person, org: Org) -> Iterator[tuple[str, str]]:
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
                typo = f"{p.first} {misspell(rng, p.last)}"
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
                add(f"the {what(org)} in {org.city.short}", "description", "organization", org.id)

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
