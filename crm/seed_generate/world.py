"""The world: the team, organizations, people and their roles (contacts), and the statuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.config import Row
from kgcrm.crm.seed_generate.duplicates import DuplicatesMixin
from kgcrm.crm.seed_generate.helpers import cumulative, pick, strip_legal_suffix, what
from kgcrm.crm.seed_generate.records import Org, Person, Role, User


class WorldMixin(DuplicatesMixin):
    def make_team(self, own: Org) -> None:
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
            person = Person(
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
                Role(
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
            self.users.append(User(id=self.uuid(), person=person, joined=joined, left=left, activity=activity))
        self.user_cum = cumulative([u.activity for u in self.users])
        self.active_users = [u for u in self.users if u.active]

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
    ) -> Org:
        self.org_names.add(short.lower())
        if domain:
            self.domains.add(domain)
        return Org(
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
    ) -> Org:
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

    def org_row(self, org: Org) -> tuple[str, Row]:
        description = None
        if org.product:
            description = f"A {what(org)} in {org.city.short} {org.industry.verb} {org.product}."
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

    def make_world(self) -> None:
        rng = self.rng
        # anchors: look-alikes in every tenant
        for a in vocab.ANCHOR_ORGS:
            created_at = self.created()
            org = self.make_org_from(
                name=a.names[self.index % len(a.names)],
                short=strip_legal_suffix(a.names[self.index % len(a.names)]),
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
        for anchor in vocab.ANCHOR_PEOPLE:
            org = self.anchor_orgs[anchor.org]
            first = anchor.nickname if anchor.nickname and self.index % 2 == 1 else anchor.first
            self.anchor_people.append(
                self.new_person(first=first, last=anchor.last, org=org, title=anchor.title, email_first=anchor.first)
            )
        self.make_targets(reserved)
        # random people, employed mostly at ordinary and anchor organizations
        employers = [*self.anchor_orgs.values(), *self.ordinary_orgs]
        self.employers, self.employer_cum = employers, cumulative([o.weight for o in employers])
        anchor_groups = {p.org.id: vocab.name_group(p.first) for p in self.anchor_people if p.org}
        for _ in range(self.n_people):
            first, last = self.random_name()
            r = rng.random()
            employer: Org | None = None
            if r < 0.9:
                employer = pick(rng, employers, self.employer_cum)
                if employer.id in anchor_groups and vocab.name_group(first) & anchor_groups[employer.id]:
                    employer = rng.choice(self.ordinary_orgs)
            self.new_person(first=first, last=last, org=employer, freelance=r >= 0.95)
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

    def isolated_person(self, org: Org, title: str | None) -> Person:
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
        org: Org | None,
        title: str | None = None,
        email_first: str | None = None,
        freelance: bool = False,
        isolated: bool = False,
        past_roles: int | None = None,
        created_at: datetime | None = None,
    ) -> Person:
        rng = self.rng
        city = org.city if org and rng.random() < 0.75 else self.random_city()
        created_at = created_at or self.created()
        person = Person(
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
                Role(
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
                Role(
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
                Role(
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

    def person_row(self, p: Person) -> tuple[str, Row]:
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

    def bio(self, p: Person) -> str | None:
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

    def contact_rows(self, p: Person) -> Iterator[tuple[str, Row]]:
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
