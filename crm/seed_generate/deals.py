"""Accounts and leads: opportunities (counted in the deal book), jobs and partnerships."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.base import TenantBase
from kgcrm.crm.seed_generate.config import Row
from kgcrm.crm.seed_generate.helpers import money, pick, quarter_first_day, quarter_last_day
from kgcrm.crm.seed_generate.records import Lead, Org, Person


class DealsMixin(TenantBase):
    def account_rows(self) -> Iterator[tuple[str, Row]]:
        rng = self.rng
        n = max(3, round(len(self.ordinary_orgs) * 0.15))
        chosen: list[Org] = [self.anchor_orgs["acme"], self.anchor_orgs["northwind"]]
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
                org = pick(rng, self.employers, self.employer_cum)
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
            self.leads.append(Lead(lid, lead_type, title, org, person, owner, created_at))
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
        self, lid: str, org: Org, person: Person | None, force_won: bool, force_open: bool
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
        amount = money(round(max(1000.0, min(2e6, rng.lognormvariate(math.log(30_000), 1.0))) / 500) * 500)
        currency = org.city.currency if org.city.currency != "USD" and rng.random() < 0.7 else "USD"
        quarter_start = datetime.combine(quarter_first_day(self.today), datetime.min.time(), UTC)
        closed_at = None
        if outcome == "open":
            status, _c, _t, default_p = rng.choices(stages[:5], weights=(30, 25, 20, 15, 10))[0]
            probability = max(1, min(99, (default_p or 10) + rng.randint(-5, 5)))
            if force_open and quarter_last_day(self.today) > self.today:
                expected = self.today + timedelta(days=rng.randint(1, (quarter_last_day(self.today) - self.today).days))
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

    def job(self, lid: str, org: Org, person: Person | None) -> tuple[Row, str, datetime, str, str]:
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

    def partnership(self, lid: str, org: Org, person: Person | None) -> tuple[Row, str, datetime, str, str]:
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
