"""The volume tables: interactions and their participants, relationships, notes and tasks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.base import TenantBase
from kgcrm.crm.seed_generate.config import Row
from kgcrm.crm.seed_generate.helpers import cumulative, pick
from kgcrm.crm.seed_generate.records import Org, Person, User


class ActivityMixin(TenantBase):
    def interaction(
        self,
        user: User,
        person: Person,
        kind: str,
        t: datetime,
        *,
        extra: bool = True,
        subject: str | None = None,
        guests: list[Person] | None = None,
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
        people: list[tuple[Person, str]]
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
            user.network_cum = cumulative([1.0 / (rank + 1) ** 1.1 for rank in range(size)])
        kinds = ("email", "meeting", "call", "message")
        kind_weights = (55, 20, 15, 10)
        used = 0
        while used < budget:
            user = pick(rng, self.users, self.user_cum)
            person = pick(rng, user.network, user.network_cum)
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

    def relationship_rows(self, budget: int) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        open_people = [p for p in self.people if not p.isolated]
        by_city: defaultdict[str, list[Person]] = defaultdict(list)
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
        self, a: Person, b: Person, kind: str, strength: float, seen: set[tuple[str, str]]
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
                current = person.current  # a person with an organization has a current role (else: the individual)
                subject_type, subject_id = (
                    ("individual", person.id) if rng.random() < 0.85 or current is None else ("contact", current.id)
                )
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
                assert lead.person is not None  # leads are filtered to those with a person
                person = lead.person
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

    def call_name(self, p: Person) -> str:
        """How a colleague writes a person's name in a note: often the nickname."""
        nicks = vocab.common_nicknames(p.first)
        if nicks and self.rng.random() < 0.4:
            return self.rng.choice(nicks)
        return p.first.strip()

    def person_note(self, p: Person) -> tuple[str, str]:
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

    def org_note(self, org: Org, p: Person) -> tuple[str, str]:
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
