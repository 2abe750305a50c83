"""Who is who in one tenant: the CRM's people, team, contacts and organizations, and the matching rules.

Loaded once per run (:meth:`Directory.load`, one query per table), then kept up to date
with the rows the run creates, so that matching costs no query per address.

Matching an address (:meth:`Directory.match`), first rule that applies:

1. **team**: an ``app_user`` e-mail (``+tag`` ignored) is one of us: that user's
   individual; a user without one is linked to the individual with that address, or
   to a new one;
2. **e-mail**: ``individual.email``, then ``contact.email`` (any case, ``+tag`` ignored);
   several individuals with one address: the oldest record;
3. **name + domain**: the display name splits into a first and a last name, the domain
   is not a free-mail provider, and exactly one candidate person has the same name
   (the same last name and the same first name or a nickname of it: Bob = Robert; no
   typos, no initials, no swapped names) *and* an address or a
   current role at the same organization domain (``eng.acme.com`` = ``acme.com``).
   Candidates come from the directory's people at that domain and, when given, from
   a :class:`NameCandidates` source (the graph's entity resolver). Two or more such
   people: ambiguous, no match;
4. otherwise a new individual (flagged ``source``), with an organization for the
   domain (an existing one with that domain, else a new one, unless free-mail) and a
   contact linking them.

Precision comes first: a wrong merge pollutes the CRM, a missed one leaves a
duplicate that ``kgcrm dedupe`` can still find.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import sqlalchemy as sa

from kgcrm.core import names
from kgcrm.crm.models import AppUser, Contact, Individual, Organization
from kgcrm.ingest.addresses import is_free_mail, match_keys, normalize_email, organization_domains, split_name
from kgcrm.ingest.records import Address

#: Name comparison levels (retrieval.names) that may match a person by name + domain.
NAME_LEVELS = frozenset({"exact", "nickname"})


class NameCandidates(Protocol):
    """A source of people who may carry a name: ids of individuals of the tenant."""

    def candidates(self, name: str, tenant_id: str) -> Sequence[str]: ...


class ResolverCandidates:
    """The graph's entity resolver (:class:`kgcrm.retrieval.resolve.EntityResolver`) as a candidate source.

    Its top people for the name (score at least ``min_score``); the acceptance rules
    (same name, same organization domain, exactly one) are applied by the directory,
    so the resolver's own ambiguity between namesakes at different companies does not
    prevent a match that the domain settles.
    """

    def __init__(self, resolver: object, *, limit: int = 5, min_score: float = 0.05) -> None:
        self.resolver = resolver
        self.limit = limit
        self.min_score = min_score

    def candidates(self, name: str, tenant_id: str) -> Sequence[str]:
        resolution = self.resolver.resolve(name, tenant_id, types=["Person"], limit=self.limit)  # type: ignore[attr-defined]
        return [c.id for c in resolution.candidates if c.type == "Person" and c.score >= self.min_score]


@dataclass
class PersonRecord:
    id: str
    first_name: str | None
    last_name: str | None
    domains: set[str] = field(default_factory=set)  # registrable domains of their addresses and current roles
    last_key: str = ""  # the folded last name: the accepted levels all need it equal (a cheap first filter)

    def __post_init__(self) -> None:
        self.last_key = names.compact(self.last_name)


@dataclass(frozen=True)
class Match:
    """How an address was matched: ``individual_id`` (None: create one) and the rule (team, email, name_domain)."""

    individual_id: str | None
    rule: str | None = None
    user_id: str | None = None  # the app_user, for a team member
    link_user: bool = False  # the user has no person record yet: link it to this one (or to the one created)
    ambiguous: bool = False


def registrable(domain: str) -> str:
    """``eng.acme.co.uk`` → ``acme.co.uk``."""
    return organization_domains(domain)[-1]


class Directory:
    """The tenant's people, users and organizations, keyed for matching (see the module docstring)."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.people: dict[str, PersonRecord] = {}
        self.by_email: dict[str, str] = {}
        self.users: dict[str, tuple[str, str | None]] = {}  # email → (app_user id, individual id)
        self.by_domain: dict[str, set[str]] = defaultdict(set)  # registrable domain → individual ids
        self.organizations: dict[str, str] = {}  # normalised domain → organization id

    # --- loading ------------------------------------------------------------------------------------

    @classmethod
    def load(cls, conn: sa.Connection, tenant_id: str) -> Directory:
        directory = cls(tenant_id)
        ind, con, org, usr = (m.__table__ for m in (Individual, Contact, Organization, AppUser))
        rows = conn.execute(
            sa.select(ind.c.id, ind.c.first_name, ind.c.last_name, ind.c.email)
            .where(ind.c.tenant_id == tenant_id)
            .order_by(ind.c.created_at, ind.c.id)
        )
        for pid, first, last, email in rows:
            directory.people[pid] = PersonRecord(pid, first, last)
            directory._index_email(pid, email)
        for oid, domain in conn.execute(
            sa.select(org.c.id, org.c.domain).where(org.c.tenant_id == tenant_id).order_by(org.c.created_at, org.c.id)
        ):
            normalized = names.normalize_domain(domain)
            if normalized:
                directory.organizations.setdefault(normalized, oid)
        org_domain = {oid: d for d, oid in directory.organizations.items()}
        for pid, email, oid, ended in conn.execute(
            sa.select(con.c.individual_id, con.c.email, con.c.organization_id, con.c.ended_on)
            .where(con.c.tenant_id == tenant_id)
            .order_by(con.c.created_at, con.c.id)
        ):
            directory._index_email(pid, email)
            if ended is None and oid in org_domain:
                directory._index_domain(pid, org_domain[oid])
        for uid, email, pid in conn.execute(
            sa.select(usr.c.id, usr.c.email, usr.c.individual_id)
            .where(usr.c.tenant_id == tenant_id)
            .order_by(usr.c.created_at, usr.c.id)
        ):
            normalized = normalize_email(email)
            if normalized:
                directory.users.setdefault(normalized, (uid, pid))
        return directory

    def _index_email(self, individual_id: str, email: str | None) -> None:
        normalized = normalize_email(email)
        if normalized is None or individual_id not in self.people:
            return
        for key in match_keys(normalized):
            self.by_email.setdefault(key, individual_id)
        self._index_domain(individual_id, normalized.rsplit("@", 1)[1])

    def _index_domain(self, individual_id: str, domain: str) -> None:
        if individual_id in self.people and not is_free_mail(domain):
            key = registrable(domain)
            self.people[individual_id].domains.add(key)
            self.by_domain[key].add(individual_id)

    # --- additions made by the run ----------------------------------------------------------------------

    def add_person(self, individual_id: str, first: str | None, last: str | None, email: str) -> None:
        self.people[individual_id] = PersonRecord(individual_id, first, last)
        self._index_email(individual_id, email)

    def add_alias(self, individual_id: str, email: str) -> None:
        """Remember for this run that ``email`` is this person's (matched by name + domain)."""
        for key in match_keys(email):
            self.by_email.setdefault(key, individual_id)

    def add_organization(self, organization_id: str, domain: str) -> None:
        self.organizations.setdefault(domain, organization_id)

    def link_user(self, email: str, individual_id: str) -> None:
        user_id, _ = self.users[email]
        self.users[email] = (user_id, individual_id)

    # --- lookups ------------------------------------------------------------------------------------

    def organization_for(self, domain: str) -> str | None:
        """The organization recorded under ``domain`` or one of its parent domains."""
        for candidate in organization_domains(domain):
            found = self.organizations.get(candidate)
            if found is not None:
                return found
        return None

    def user_for(self, email: str) -> tuple[str, str | None] | None:
        for key in match_keys(email):
            if key in self.users:
                return self.users[key]
        return None

    def match(self, address: Address, names_source: NameCandidates | None = None) -> Match:
        """The individual an address belongs to (see the module docstring)."""
        user = self.user_for(address.email)
        by_email = next((self.by_email[k] for k in match_keys(address.email) if k in self.by_email), None)
        if user is not None:
            if user[1] is None:  # a user without a person record: the person with that address, or a new one
                return Match(by_email, "team", user_id=user[0], link_user=True)
            return Match(user[1], "team", user_id=user[0])
        if by_email is not None:
            return Match(by_email, "email")
        return self.match_name(address, names_source)

    def match_name(self, address: Address, names_source: NameCandidates | None = None) -> Match:
        """Rule 3: the one person with this name at this organization domain."""
        if is_free_mail(address.domain):
            return Match(None)
        first, last = split_name(address.name)
        if not first or not last:
            return Match(None)
        domain = registrable(address.domain)
        last_key = names.compact(last)
        candidates = set(self.by_domain.get(domain, ()))
        if names_source is not None:
            candidates.update(names_source.candidates(f"{first} {last}", self.tenant_id))
        accepted = sorted(
            pid
            for pid in candidates
            if (person := self.people.get(pid)) is not None
            and person.last_key == last_key
            and domain in person.domains
            and names.compare_person_names(first, last, person.first_name, person.last_name).level in NAME_LEVELS
        )
        if len(accepted) == 1:
            return Match(accepted[0], "name_domain")
        return Match(None, ambiguous=len(accepted) > 1)
