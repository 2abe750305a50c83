"""Near-duplicate individuals and organizations, recorded in the truth."""

from __future__ import annotations

from kgcrm.crm import seed_vocab as vocab
from kgcrm.crm.seed_generate.base import TenantBase
from kgcrm.crm.seed_generate.helpers import misspell
from kgcrm.crm.seed_generate.records import Org, Person, Role


class DuplicatesMixin(TenantBase):
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
        for i, original_org in enumerate(org_originals):
            self.duplicate_org(original_org, "suffix_case" if original_org is acme else org_kinds[i % len(org_kinds)])

    def duplicate_person(self, original: Person, kind: str) -> None:
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
                last = misspell(rng, last)
            else:
                first = misspell(rng, first)
        elif kind == "missing_email":
            email = None
        else:  # case_whitespace
            first, last = rng.choice(
                [(first.upper(), last.upper()), (f" {first.lower()}", f"{last.lower()} "), (f"{first}  ", last.upper())]
            )
            email = email.upper() if email and rng.random() < 0.7 else email
        org = original.org
        created_at = self.between(original.created_at, self.now).replace(microsecond=0)
        dup = Person(
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
                Role(
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

    def duplicate_org(self, original: Org, kind: str) -> None:
        rng = self.rng
        domain: str | None = original.domain
        if kind == "suffix_case":
            suffixes = [s for s in ("Corporation", "Corp", "Inc", "Incorporated", "Co") if s not in original.name]
            name = f"{original.base.upper()} {rng.choice(suffixes)}"
        elif kind == "punctuation":
            name = f"{original.short}, Inc" if "," not in original.name else original.short
            domain = f"www.{original.domain}" if original.domain and rng.random() < 0.5 else None
        else:  # typo
            name = misspell(rng, original.short)
            domain = None
        created_at = self.between(original.created_at, self.now).replace(microsecond=0)
        dup = Org(
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
                Role(
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
