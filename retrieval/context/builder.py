"""The context pack of one entity: what the tenant knows about a person or an organization, ranked,
within a token budget (``GET /v1/context``, the MCP tool ``get_context``, ``kgcrm context``).

:class:`ContextBuilder` resolves ``about`` (an id of the tenant, or text through the entity resolver:
nothing found is a :class:`~kgcrm.core.errors.NotFoundError`, several equally likely entities an
:class:`~kgcrm.core.errors.AmbiguousTargetError` listing them), reads the candidates with a few named
queries (``cypher/context_*.cypher``, every one bound to the tenant), the best introduction path
(:class:`~kgcrm.retrieval.connections.ConnectionFinder`) and, for an organization, the people the team
knows there; scores them and packs them (:func:`kgcrm.retrieval.context.pack.pack`).

**Scores.** Each section has a weight (:data:`SECTION_WEIGHTS`: key facts first, then roles, the best
path, open deals …) and an item's base score is its weight times :data:`DECAY` to the power of its rank
in the section (the newest interaction, the strongest tie, the deal that closes first …). With a
question (and an embedding model), relevance counts for half: an item's relevance is the cosine of the
question and the item's stored embedding (notes, interactions, deals, tasks), else the cosine of the
question and a description of its section; notes are then ranked by relevance, not recency.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kgcrm import cypher
from kgcrm.core.errors import NotFoundError, invalid_input
from kgcrm.core.names import first_name_variants, fold
from kgcrm.core.names import tokens as name_tokens
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.connections import ORGANIZATION, PERSON, ConnectionFinder, Resolver
from kgcrm.retrieval.context.pack import Candidate, ContextPack, PackSource, pack
from kgcrm.retrieval.context.tokens import TokenCounter
from kgcrm.retrieval.entities import EntityReader
from kgcrm.retrieval.targets import resolve_target
from kgcrm.retrieval.types import EntityRef, IntroPath, RowEvidence

Embed = Callable[[str], Sequence[float]]

#: Bounds of ``budget_tokens``: below the minimum a pack holds little more than its header.
MIN_BUDGET = 100
MAX_BUDGET = 32_000
DEFAULT_BUDGET = 2000
MAX_QUESTION = 1000

SECTION_WEIGHTS: Mapping[str, float] = {
    "facts": 1.0,
    "roles": 0.95,
    "path": 0.9,
    "deals": 0.85,
    "people": 0.8,
    "interactions": 0.8,
    "accounts": 0.75,
    "ties": 0.7,
    "tasks": 0.7,
    "notes": 0.7,
}
DECAY = 0.88

#: What each section holds, in words: a question is compared with these (by embedding) to weigh sections.
SECTION_DESCRIPTIONS: Mapping[str, str] = {
    "facts": "who they are: name, email, phone, location, industry, domain, description, bio",
    "roles": "where they work: job title, role, employer, organization, parent company, subsidiaries",
    "people": "people who work there: employees, contacts, titles, who to talk to",
    "path": "who can introduce us: warm introduction path, connections, who knows them",
    "ties": "relationships: who they know, colleagues, how well we know them, strength of ties",
    "deals": "open deals, opportunities, pipeline, amount, stage, expected close date",
    "accounts": "customer accounts, tier, account status, account owner",
    "tasks": "open tasks, follow-ups, to-dos, due dates, overdue work",
    "interactions": "latest interactions: meetings, calls, emails, when we last talked or met",
    "notes": "notes: what was said, discussed, mentioned, their plans, needs and concerns",
}


@dataclass(frozen=True)
class ContextLimits:
    """How many candidates of each kind are read (the budget then picks among them)."""

    per_kind: int = 10  # explicit ties, and interaction ties, of a person
    people: int = 40  # roles at an organization
    work: int = 20  # open deals, accounts, open tasks
    notes: int = 40
    org_notes: int = 200  # a person's: notes about their organizations, before keeping those that name them
    interactions: int = 15
    known_people: int = 5  # people at an organization with a direct tie to the team
    text_chars: int = 400  # a note's body, a description, a bio: cut after this


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _day(value: Any) -> str | None:
    text = _iso(value)
    return text[:10] if text else None


def _clip(text: Any, chars: int) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= chars else value[: chars - 1].rstrip() + "…"


def _amount(amount: Any, currency: Any) -> str | None:
    if amount is None:
        return None
    value = float(amount)
    shown = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{shown} {currency}" if currency else shown


def _join(parts: Sequence[str | None], sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _relevance(cosine: float | None) -> float:
    """A cosine of the embedding model as a relevance in 0..1 (related short texts score about 0.3 to 0.6)."""
    if cosine is None:
        return 0.0
    return max(0.0, min(1.0, float(cosine) / 0.6))


def check_budget(budget_tokens: int) -> int:
    if isinstance(budget_tokens, bool) or not isinstance(budget_tokens, int):
        raise invalid_input("budget_tokens", "must be a whole number of tokens")
    if not MIN_BUDGET <= budget_tokens <= MAX_BUDGET:
        raise invalid_input("budget_tokens", f"must be between {MIN_BUDGET} and {MAX_BUDGET}, not {budget_tokens}")
    return budget_tokens


class ContextBuilder:
    """Context packs of one tenant's people and organizations."""

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        entities: EntityReader,
        resolver: Resolver,
        connections: ConnectionFinder,
        tokens: TokenCounter,
        embed: Embed | None = None,
        clock: Callable[[], datetime] | None = None,
        limits: ContextLimits = ContextLimits(),
        executor: Executor | None = None,
    ) -> None:
        self.gateway = gateway
        self.entities = entities
        self.resolver = resolver
        self.connections = connections
        self.tokens = tokens
        self.embed = embed
        self.clock = clock or (lambda: datetime.now(UTC))
        self.limits = limits
        self.executor = executor
        self._section_vectors: dict[str, Sequence[float]] | None = None
        self._lock = threading.Lock()

    # --- public -----------------------------------------------------------------------------------------

    def resolve(self, about: str, tenant_id: str) -> str:
        """The id of the person or organization ``about`` names (an id of the tenant, or text)."""
        text = " ".join((about or "").split())
        if not text:
            raise invalid_input("about", "must not be empty")
        return resolve_target(text, tenant_id, entities=self.entities, resolver=self.resolver, field="about")

    def build(
        self,
        about: str,
        tenant_id: str,
        *,
        budget_tokens: int = DEFAULT_BUDGET,
        question: str | None = None,
        from_user: str | None = None,
    ) -> ContextPack:
        """The pack of the entity ``about`` names, within ``budget_tokens``; ``from_user``: paths from them."""
        check_budget(budget_tokens)
        question = " ".join(question.split()) if question else None
        if question and len(question) > MAX_QUESTION:
            raise invalid_input("question", f"must be at most {MAX_QUESTION} characters")
        entity_id = self.resolve(about, tenant_id)
        return self.build_for_id(
            entity_id, tenant_id, budget_tokens=budget_tokens, question=question or None, from_user=from_user
        )

    def build_for_id(
        self,
        entity_id: str,
        tenant_id: str,
        *,
        budget_tokens: int,
        question: str | None = None,
        from_user: str | None = None,
    ) -> ContextPack:
        now = self._now()
        entity = self.entities.entity(entity_id, tenant_id)
        if entity is None or entity.type not in (PERSON, ORGANIZATION):
            raise NotFoundError(f"no person or organization {entity_id} in this tenant", field="about")
        about = EntityRef(id=entity.id, type=entity.type, name=entity.name)
        names = None
        if entity.type == PERSON:
            names = person_names(entity.properties.get("first_name"), entity.properties.get("last_name"))
        vector = list(self.embed(question)) if question and self.embed is not None else None
        # the reads are independent: with an executor they run side by side (Neo4j does the work)
        reads: list[Callable[[], list[Candidate]]] = [
            lambda: self._core(about, tenant_id, now),
            lambda: self._path(about, tenant_id, from_user),
            lambda: self._work(about.id, tenant_id, vector, now, names),
            lambda: self._interactions(about.id, tenant_id, vector),
        ]
        if about.type == ORGANIZATION:
            reads.append(lambda: self._known_people(about, tenant_id, now))
        if self.executor is None:
            parts = [read() for read in reads]
        else:
            futures = [self.executor.submit(read) for read in reads]
            parts = [future.result() for future in futures]
        candidates = [c for part in parts for c in part]
        ranking = "recency"
        if vector is not None:
            ranking = "question"
            self._weigh_by_question(candidates, vector)
        return pack(
            about,
            candidates,
            budget=budget_tokens,
            count=self.tokens.count,
            tokenizer=self.tokens.name,
            question=question,
            ranking=ranking,
        )

    # --- scoring ----------------------------------------------------------------------------------------

    def _section_relevance(self, vector: Sequence[float]) -> dict[str, float]:
        assert self.embed is not None
        with self._lock:
            if self._section_vectors is None:
                self._section_vectors = {name: list(self.embed(text)) for name, text in SECTION_DESCRIPTIONS.items()}
        return {name: _relevance(_cosine(vector, v)) for name, v in self._section_vectors.items()}

    def _weigh_by_question(self, candidates: list[Candidate], vector: Sequence[float]) -> None:
        sections = self._section_relevance(vector)
        notes = [c for c in candidates if c.section == "notes"]
        # notes: ranked by relevance to the question (their stored embeddings), recency breaking ties
        notes.sort(key=lambda c: -(c.relevance if c.relevance is not None else -1.0))
        for rank, c in enumerate(notes):
            c.score = SECTION_WEIGHTS["notes"] * DECAY**rank
        for c in candidates:
            relevance = _relevance(c.relevance) if c.relevance is not None else sections.get(c.section, 0.0)
            c.score = 0.5 * c.score + 0.5 * relevance

    @staticmethod
    def _ranked(section: str, items: Sequence[Candidate], *, factor: float = 1.0, start: int = 0) -> list[Candidate]:
        """Base scores of a section's items, in the order given (best first)."""
        for rank, c in enumerate(items, start=start):
            c.score = SECTION_WEIGHTS[section] * factor * DECAY**rank
        return list(items)

    def _now(self) -> datetime:
        now = self.clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    # --- the entity, its roles, its people and ties -------------------------------------------------------

    def _core(self, about: EntityRef, tenant_id: str, now: datetime) -> list[Candidate]:
        if about.type == PERSON:
            rows = self.gateway.read(
                "context_person",
                cypher.load("context_person"),
                {"id": about.id, "tenant": tenant_id, "per_kind": self.limits.per_kind},
            )
            return self._person(rows[0], now) if rows else []
        rows = self.gateway.read(
            "context_organization",
            cypher.load("context_organization"),
            {"id": about.id, "tenant": tenant_id, "people": self.limits.people},
        )
        return self._organization(rows[0]) if rows else []

    def _person(self, row: Mapping[str, Any], now: datetime) -> list[Candidate]:
        p = row["entity"]
        about = EntityRef(id=p["id"], type=PERSON, name=p.get("name"))
        chars = self.limits.text_chars
        me = PackSource(table="individual", id=p["id"], updated_at=_iso(p.get("updated_at")))
        facts = [
            Candidate(
                "facts",
                _join(
                    [
                        p.get("name") or p["id"],
                        f"email {p['email']}" if p.get("email") else None,
                        f"phone {p['phone']}" if p.get("phone") else None,
                        f"lives in {p['location']}" if p.get("location") else None,
                        f"LinkedIn {p['linkedin_url']}" if p.get("linkedin_url") else None,
                        "on our team (a user of this CRM)" if row.get("user_id") else None,
                    ]
                ),
                [me],
                0.0,
                entity=about,
            )
        ]
        if p.get("bio"):
            facts.append(Candidate("facts", f"Bio: {_clip(p['bio'], chars)}", [me], 0.0))
        out = self._ranked("facts", facts)
        current, past = [], []
        for r in row["roles"]:
            source = PackSource(table="contact", id=r["id"], updated_at=_iso(r.get("updated_at")))
            org = EntityRef(id=r["org_id"], type=ORGANIZATION, name=r.get("org_name")) if r.get("org_id") else None
            at = f" at {r['org_name']}" if r.get("org_name") else ""
            if r.get("ended_on") is None:
                text = _join(
                    [
                        f"Current role: {r.get('title') or 'role'}{at}"
                        + (f" (since {r['started_on']})" if r.get("started_on") else ""),
                        f"work email {r['email']}" if r.get("email") and r.get("email") != p.get("email") else None,
                        f"status {r['status']}" if r.get("status") else None,
                    ]
                )
                current.append(Candidate("roles", text, [source], 0.0, entity=org))
                if org is not None:
                    org_text = _join(
                        [
                            f"{r['org_name']}: {r['org_industry']}" if r.get("org_industry") else r.get("org_name"),
                            f"in {r['org_location']}" if r.get("org_location") else None,
                            r.get("org_domain"),
                        ]
                    )
                    org_source = PackSource(table="organization", id=org.id, updated_at=_iso(r.get("org_updated_at")))
                    current.append(Candidate("roles", org_text, [org_source], 0.0, entity=org))
            else:
                span = _join([r.get("started_on"), r.get("ended_on")], " to ")
                past.append(
                    Candidate("roles", f"Past role: {r.get('title') or 'role'}{at} ({span})", [source], 0.0, entity=org)
                )
        out += self._ranked("roles", current)
        out += self._ranked("roles", past, factor=0.6, start=len(current))
        out += self._person_ties(row, now)
        return out

    def _person_ties(self, row: Mapping[str, Any], now: datetime) -> list[Candidate]:
        scored: list[tuple[float, Candidate]] = []
        for k in row["knows"]:
            strength = st.knows_strength(k.get("strength"), k.get("kind"))
            words = _join(
                [
                    k.get("kind") or "knows",
                    f"strength {float(k['strength']):g}" if k.get("strength") is not None else None,
                    f"since {k['since']}" if k.get("since") else None,
                ]
            )
            text = f"Knows {k.get('other') or k['other_id']} ({words})"
            source = PackSource(table="relationship", id=k["id"], updated_at=_iso(k.get("updated_at")))
            other = EntityRef(id=k["other_id"], type=PERSON, name=k.get("other"))
            scored.append((strength, Candidate("ties", text, [source], 0.0, entity=other)))
        for i in row["interacted"]:
            last = i.get("last_at")
            last_at = last.to_native() if hasattr(last, "to_native") else last
            strength = st.interaction_strength(int(i.get("count") or 0), last_at, now)
            kinds = ", ".join(i.get("kinds") or [])
            count = int(i.get("count") or 0)
            text = (
                f"In touch with {i.get('other') or i['other_id']}: {count} interaction{'' if count == 1 else 's'}"
                + (f" ({kinds})" if kinds else "")
                + (f", last {_day(last)}" if last is not None else "")
            )
            # INTERACTED is derived from interactions: the row cited is the other person's
            source = PackSource(table="individual", id=i["other_id"], updated_at=_iso(i.get("other_updated_at")))
            other = EntityRef(id=i["other_id"], type=PERSON, name=i.get("other"))
            scored.append((strength, Candidate("ties", text, [source], 0.0, entity=other)))
        scored.sort(key=lambda x: -x[0])
        return self._ranked("ties", [c for _, c in scored])

    def _organization(self, row: Mapping[str, Any]) -> list[Candidate]:
        o = row["entity"]
        about = EntityRef(id=o["id"], type=ORGANIZATION, name=o.get("name"))
        me = PackSource(table="organization", id=o["id"], updated_at=_iso(o.get("updated_at")))
        facts = [
            Candidate(
                "facts",
                _join(
                    [
                        o.get("name") or o["id"],
                        f"industry {o['industry']}" if o.get("industry") else None,
                        f"based in {o['location']}" if o.get("location") else None,
                        f"domain {o['domain']}" if o.get("domain") else None,
                    ]
                ),
                [me],
                0.0,
                entity=about,
            )
        ]
        if o.get("description"):
            facts.append(Candidate("facts", f"About: {_clip(o['description'], self.limits.text_chars)}", [me], 0.0))
        out = self._ranked("facts", facts)
        family = []
        parent = row.get("parent")
        if parent and parent.get("id"):
            ref = EntityRef(id=parent["id"], type=ORGANIZATION, name=parent.get("name"))
            source = PackSource(table="organization", id=parent["id"], updated_at=_iso(parent.get("updated_at")))
            family.append(Candidate("roles", f"Part of {parent.get('name')}", [source], 0.0, entity=ref))
        for sub in row.get("subsidiaries") or []:
            ref = EntityRef(id=sub["id"], type=ORGANIZATION, name=sub.get("name"))
            source = PackSource(table="organization", id=sub["id"], updated_at=_iso(sub.get("updated_at")))
            family.append(Candidate("roles", f"Subsidiary: {sub.get('name')}", [source], 0.0, entity=ref))
        out += self._ranked("roles", family)
        current, past = [], []
        for r in row["people"]:
            person = EntityRef(id=r["person_id"], type=PERSON, name=r.get("person"))
            source = PackSource(table="contact", id=r["id"], updated_at=_iso(r.get("updated_at")))
            title = r.get("title") or "role"
            if r.get("ended_on") is None:
                since = f", since {r['started_on']}" if r.get("started_on") else ""
                current.append(Candidate("people", f"{r.get('person')}: {title}{since}", [source], 0.0, entity=person))
            else:
                span = _join([r.get("started_on"), r.get("ended_on")], " to ")
                past.append(
                    Candidate("people", f"{r.get('person')}: formerly {title} ({span})", [source], 0.0, entity=person)
                )
        out += self._ranked("people", current)
        out += self._ranked("people", past, factor=0.6, start=len(current))
        return out

    def _known_people(self, org: EntityRef, tenant_id: str, now: datetime) -> list[Candidate]:
        """The organization's current people with a direct tie to the team, strongest tie first."""
        rows = self.gateway.read(
            "context_known_people",
            cypher.load("context_known_people"),
            {"id": org.id, "tenant": tenant_id, "people": self.limits.people},
        )
        best: dict[str, tuple[float, Candidate]] = {}
        for r in rows:
            if r["type"] == "KNOWS":
                strength = st.knows_strength(r.get("strength"), r.get("kind"))
                how = f"knows {r['member']} ({r.get('kind') or 'knows'})"
                sources = [PackSource(table="relationship", id=r["relationship_id"], updated_at=_iso(r["updated_at"]))]
            else:
                last: Any = r.get("last_at")
                count = int(r.get("count") or 0)
                last_at = last.to_native() if last is not None and hasattr(last, "to_native") else last
                strength = st.interaction_strength(count, last_at, now)
                how = f"in touch with {r['member']}: {count} interaction{'' if count == 1 else 's'}" + (
                    f", last {_day(last)}" if last is not None else ""
                )
                sources = []
            if r.get("contact_id"):
                sources.append(
                    PackSource(table="contact", id=r["contact_id"], updated_at=_iso(r.get("contact_updated_at")))
                )
            if not sources:
                continue
            title = f" ({r['title']})" if r.get("title") else ""
            person = EntityRef(id=r["person_id"], type=PERSON, name=r.get("person"))
            candidate = Candidate("ties", f"{r.get('person')}{title} {how}", sources, 0.0, entity=person)
            if r["person_id"] not in best or strength > best[r["person_id"]][0]:
                best[r["person_id"]] = (strength, candidate)
        ranked = sorted(best.values(), key=lambda x: (-x[0], x[1].text))[: self.limits.known_people]
        return self._ranked("ties", [c for _, c in ranked])

    # --- the path, deals, accounts, tasks, notes, interactions -----------------------------------------

    def _path(self, about: EntityRef, tenant_id: str, from_user: str | None) -> list[Candidate]:
        found = self.connections.connections(about.id, tenant_id, from_user=from_user, limit=1)
        items = []
        for path in found.paths:
            sources = self._path_sources(path, tenant_id)
            if not sources:
                table = "individual" if about.type == PERSON else "organization"
                sources = [PackSource(table=table, id=about.id)]
            via = " → ".join(n.name or n.id for n in path.nodes)
            text = f"{path.explanation} Path: {path.from_user.name} ({via}), score {path.score:.2f}"
            items.append(Candidate("path", text, sources, 0.0, entity=path.from_user))
        return self._ranked("path", items)

    def _path_sources(self, path: IntroPath, tenant_id: str) -> list[PackSource]:
        rows: list[RowEvidence] = []
        seen = set()
        for hop in path.hops:
            for e in hop.evidence:
                if isinstance(e, RowEvidence) and (e.table, e.id) not in seen:
                    seen.add((e.table, e.id))
                    rows.append(e)
        # the explicit ties first (they are the path's reason), then interactions and roles
        rows.sort(key=lambda e: {"relationship": 0, "contact": 1, "interaction": 2}.get(e.table, 3))
        rows = rows[:6]
        if not rows:
            return []
        found = self.gateway.read(
            "context_updated",
            cypher.load("context_updated"),
            {"rows": [{"table": e.table, "id": e.id} for e in rows], "tenant": tenant_id},
        )
        updated = {(r["table"], r["id"]): _iso(r["updated_at"]) for r in found}
        return [PackSource(table=e.table, id=e.id, updated_at=updated.get((e.table, e.id))) for e in rows]

    def _work(
        self,
        entity_id: str,
        tenant_id: str,
        vector: Sequence[float] | None,
        now: datetime,
        names: frozenset[str] | None = None,
    ) -> list[Candidate]:
        """Open deals, accounts, open tasks and notes; ``names``: how a person is named (their notes' mentions)."""
        rows = self.gateway.read(
            "context_work",
            cypher.load("context_work"),
            {
                "id": entity_id,
                "tenant": tenant_id,
                "limit": self.limits.work,
                "notes": self.limits.notes,
                "org_notes": self.limits.org_notes,
                "embedding": vector,
            },
        )
        if not rows:
            return []
        row = rows[0]
        out: list[Candidate] = []
        deals = []
        for d in row["leads"]:
            kind = {"opportunity": "Deal", "job": "Job", "partnership": "Partnership"}.get(d.get("lead_type"), "Lead")
            text = _join(
                [
                    f"{kind} '{d.get('title')}'",
                    f"stage {d['status']}" if d.get("status") else None,
                    _amount(d.get("amount"), d.get("currency")),
                    f"expected to close {d['expected_close_on']}" if d.get("expected_close_on") else None,
                    f"probability {d['probability']}%" if d.get("probability") is not None else None,
                    f"role {d['role_title']}" if d.get("role_title") else None,
                    f"owner {d['owner']}" if d.get("owner") else None,
                ]
            )
            source = PackSource(table="lead", id=d["id"], updated_at=_iso(d.get("updated_at")))
            entity = EntityRef(id=d["id"], type="Lead", name=d.get("title"))
            deals.append(Candidate("deals", text, [source], 0.0, entity=entity, relevance=d.get("relevance")))
        out += self._ranked("deals", deals)
        accounts = []
        for a in row["accounts"]:
            text = _join(
                [
                    f"Account '{a.get('name')}'",
                    f"at {a['org']}" if a.get("org") else None,
                    f"tier {a['tier']}" if a.get("tier") else None,
                    f"status {a['status']}" if a.get("status") else None,
                    f"owner {a['owner']}" if a.get("owner") else None,
                ]
            )
            source = PackSource(table="account", id=a["id"], updated_at=_iso(a.get("updated_at")))
            accounts.append(Candidate("accounts", text, [source], 0.0, EntityRef(id=a["id"], type="Account")))
        out += self._ranked("accounts", accounts)
        tasks = []
        for t in row["tasks"]:
            due = t.get("due_at")
            due_native = due.to_native() if hasattr(due, "to_native") else due
            overdue = isinstance(due_native, datetime) and due_native < now
            text = _join(
                [
                    f"Task '{t.get('title')}'",
                    (f"OVERDUE since {_day(due)}" if overdue else f"due {_day(due)}") if due is not None else None,
                    f"status {t['status']}" if t.get("status") else None,
                    f"assigned to {t['assignee']}" if t.get("assignee") else None,
                    f"about {t['subject']}" if t.get("subject") else None,
                ]
            )
            source = PackSource(table="task", id=t["id"], updated_at=_iso(t.get("updated_at")))
            tasks.append(Candidate("tasks", text, [source], 0.0, relevance=t.get("relevance")))
        out += self._ranked("tasks", tasks)
        # a person's own notes, then the notes about their organizations that name them (first name or any
        # of its nicknames, or last name): without a question the newest first in each group
        own = self._notes(row["notes"], vector)
        named = [n for n in row.get("org_notes") or [] if names is not None and _names_in(n.get("body"), names)]
        own_ids = {c.sources[0].id for c in own}
        others = [c for c in self._notes(named, vector) if c.sources[0].id not in own_ids]
        out += self._ranked("notes", own)
        out += self._ranked("notes", others, factor=0.85, start=len(own))
        return out

    def _notes(self, rows: Sequence[Mapping[str, Any]], vector: Sequence[float] | None) -> list[Candidate]:
        # the query ranks by relevance first when there is a question; else the newest first
        ordered = list(rows) if vector is not None else sorted(rows, key=_note_time, reverse=True)
        notes = []
        for n in ordered:
            about = f" (about {n['subject']})" if n.get("subject") else ""
            text = f"{_day(n.get('created_at'))}{about}: {_clip(n.get('body'), self.limits.text_chars)}"
            source = PackSource(table="note", id=n["id"], updated_at=_iso(n.get("updated_at")))
            notes.append(Candidate("notes", text, [source], 0.0, relevance=n.get("relevance")))
        return notes

    def _interactions(self, entity_id: str, tenant_id: str, vector: Sequence[float] | None) -> list[Candidate]:
        rows = self.gateway.read(
            "context_interactions",
            cypher.load("context_interactions"),
            {"id": entity_id, "tenant": tenant_id, "limit": self.limits.interactions, "embedding": vector},
        )
        items = []
        for i in rows:
            people = ", ".join(p["name"] for p in i["participants"] if p.get("name"))
            text = _join(
                [
                    f"{_day(i.get('occurred_at'))} {i.get('kind') or 'interaction'}",
                    f"'{i['subject']}'" if i.get("subject") else None,
                    f"with {people}" if people else None,
                ],
                " ",
            )
            if i.get("summary"):
                text += f": {_clip(i['summary'], 200)}"
            source = PackSource(table="interaction", id=i["id"], updated_at=_iso(i.get("updated_at")))
            items.append(Candidate("interactions", text, [source], 0.0, relevance=i.get("relevance")))
        return self._ranked("interactions", items)


def person_names(first: str | None, last: str | None) -> frozenset[str]:
    """The folded words a note may name a person by: the first name, its nicknames and variants, the last name."""
    out = set(first_name_variants(first)) if first else set()
    if last and len(fold(last)) > 2:
        out.add(fold(last))
    return frozenset(out)


def _names_in(body: Any, names: frozenset[str]) -> bool:
    return bool(names) and not names.isdisjoint(name_tokens(str(body or "")))


def _note_time(note: Mapping[str, Any]) -> str:
    return _iso(note.get("created_at")) or ""


__all__ = [
    "DEFAULT_BUDGET",
    "MAX_BUDGET",
    "MIN_BUDGET",
    "ContextBuilder",
    "ContextLimits",
    "check_budget",
]
