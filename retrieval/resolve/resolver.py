"""The resolver: :class:`EntityResolver` parses a mention, gathers candidates from the indexes and the
graph (every query bound to the tenant), and hands them to :mod:`kgcrm.retrieval.resolve.scoring`."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kgcrm import cypher
from kgcrm.core import names
from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.lucene import lucene_escape, lucene_phrase
from kgcrm.retrieval.mentions import Mention, parse_mention
from kgcrm.retrieval.overfetch import FetchSizes
from kgcrm.retrieval.resolve.scoring import (
    WEIGHTS,
    Lookups,
    Weights,
    native_time,
    person_name_similarity,
    rank,
    score_candidate,
)
from kgcrm.retrieval.types import ENTITY_TYPES, Candidate, Resolution

log = logging.getLogger(__name__)

Embedder = Callable[[str], Sequence[float]]
Clock = Callable[[], datetime]

DEFAULT_TYPES: tuple[str, ...] = ("Person", "Organization")

#: First over-fetch of a fulltext or vector call, and the most it will ever ask for.
FIRST_FETCH = 200
MAX_FETCH = 20_000
#: Tenant hits kept per lookup.
HITS_PER_LOOKUP = 30
#: Most rows a context or time lookup may return (bounded traversals).
MAX_CONTEXT_ROWS = 5_000
MAX_WINDOW_INTERACTIONS = 2_000
MAX_ORGANIZATION_PEOPLE = 500

_MAX_QUERY_WORDS = 8
_MAX_VARIANTS = 10


# --- Lucene ------------------------------------------------------------------------------------


def _fuzziness(word: str) -> int:
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def lucene_query(words: Iterable[str], *, variants: bool = True, field: str | None = None) -> str | None:
    """A Lucene query matching any of ``words`` exactly (boosted) or fuzzily, and their name variants.

    Words are folded to letters and digits (:func:`kgcrm.core.names.tokens`) and escaped, and
    keywords are lower case, so no user text can become Lucene syntax; None when nothing is left.
    """
    clauses: list[str] = []
    seen: set[str] = set()
    folded = [t for w in words for t in names.tokens(w)][:_MAX_QUERY_WORDS]
    prefix = f"{field}:" if field else ""
    for word in folded:
        if word in seen or len(word) > 40:
            continue
        seen.add(word)
        term = lucene_escape(word)
        fuzzy = _fuzziness(word)
        clause = f"{prefix}{term}^2" + (f" OR {prefix}{term}~{fuzzy}" if fuzzy else "")
        clauses.append(f"({clause})")
        if variants:
            extra = [v for v in names.ranked_name_variants(word) if v not in seen and v.isalnum()][:_MAX_VARIANTS]
            for variant in extra:
                clauses.append(f"{prefix}{lucene_escape(variant)}")
    return " OR ".join(clauses) or None


def _query_words(text: str, labels: Sequence[str]) -> list[str]:
    """The words worth searching for: an organization's legal suffix adds nothing ("acme corp." → acme)."""
    words = names.tokens(text)
    if len(words) > 1 and words[-1] in names.LEGAL_SUFFIXES:
        words = words[:-1]
    return words


def _domain_spellings(domain: str | None) -> list[str]:
    if not domain:
        return []
    return sorted({domain, domain.upper(), f"www.{domain}", f"WWW.{domain.upper()}"})


# --- the resolver ----------------------------------------------------------------------------------


def _needs_meaning(mention: Mention, lookups: Lookups) -> bool:
    """Whether the vector lookup can add anything: a description ("the robotics startup in Austin"), or
    a mention the keys and names found nothing for. A name, an address or a domain that found its
    entities is settled by them (the vector query is the slowest lookup, and names embed poorly)."""
    if not lookups.evidence:
        return True
    return bool(mention.descriptor or mention.location) or not (mention.name or mention.email or mention.domain)


def _only_a_name(mention: Mention) -> bool:
    """Whether the name is all the mention says: its fulltext lookup is then the only one (but the vector
    lookup, when that finds nothing), so the candidates' details can be read with it."""
    return bool(mention.name) and not (
        mention.email
        or mention.domain
        or mention.context
        or mention.descriptor
        or mention.location
        or mention.window is not None
    )


@dataclass(frozen=True)
class _Details:
    """The candidates' details and the feedback, read together with the candidates of ``ids``."""

    ids: set[str]
    records: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


def email_fallback(mention: Mention) -> Mention:
    """An address nobody has: read its local part as a name and its domain as the organization.

    "priya@northwind.io" → Priya at the organization whose domain is northwind.io.
    """
    assert mention.email is not None
    local, _, domain = mention.email.partition("@")
    words = [w for w in re.split(r"[._+\-]+", local) if len(w) > 1 and w.isalpha()]
    return replace(mention, name=" ".join(words) or None, context=domain or None)


class EntityResolver:
    """Resolves mentions to entities of one tenant; see the module docstring."""

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        embedder: Embedder | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        weights: Weights = WEIGHTS,
    ) -> None:
        self.gateway = gateway
        self.embedder = embedder
        self.clock = clock
        self.weights = weights
        self.fetch_sizes = FetchSizes(first=FIRST_FETCH, maximum=MAX_FETCH, growth=10)

    def resolve(self, text: str, tenant_id: str, types: Sequence[str] | None = None, limit: int = 5) -> Resolution:
        """The entities of ``tenant_id`` that ``text`` may name, best first (at most ``limit``)."""
        found, feedback = self._resolve(text, tenant_id, types, limit)
        if feedback is None:  # no candidate details were read (the feedback comes with them otherwise)
            feedback = self.gateway.read(
                "feedback_resolutions",
                cypher.load("feedback_resolutions"),
                {"tenant": tenant_id, "text": _feedback_text(text), "ids": [c.id for c in found.candidates]},
                plain=True,
            )
        else:  # read for every candidate: the SAME_AS partners of those answered with only
            answered = {c.id for c in found.candidates}
            feedback = [r for r in feedback if r["what"] != "same" or r["id"] in answered]
        return self._honour_feedback(found, feedback, text, types, limit)

    # --- feedback (issue 14) ----------------------------------------------------------------------

    @staticmethod
    def _honour_feedback(
        found: Resolution, rows: list[dict[str, Any]], text: str, types: Sequence[str] | None, limit: int
    ) -> Resolution:
        """A user's decisions (``feedback_resolutions``'s rows): a confirmed mention is an alias (its entity
        first, certain), a rejected resolution is left out, and records confirmed as one (SAME_AS) are one
        candidate citing both."""
        if not rows:
            return found
        rejected = {r["id"] for r in rows if r["what"] == "reject"}
        confirmed = [r for r in rows if r["what"] == "confirm" and r["id"] not in rejected]
        candidates = [c for c in found.candidates if c.id not in rejected]
        if types:
            confirmed = [r for r in confirmed if r["type"] in types]
        for r in confirmed:
            candidates = [c for c in candidates if c.id != r["id"]]
            reason = f"confirmed by a user: '{text.strip()}' means this (feedback {r['feedback_id']})"
            candidates.insert(0, Candidate(id=r["id"], type=r["type"], name=r["name"], score=1.0, reasons=[reason]))
        same: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r["what"] == "same":
                same.setdefault(r["id"], []).append(r)
        merged: list[Candidate] = []
        dropped: set[str] = set()
        for c in candidates:
            if c.id in dropped:
                continue
            for r in same.get(c.id, []):
                c = c.model_copy(
                    update={"reasons": [*c.reasons, f"the same as {r['name'] or r['other']} ({r['other']}), confirmed"]}
                )
                dropped.add(r["other"])
            merged.append(c)
        ambiguous = found.ambiguous and not confirmed and len(merged) > 1
        return Resolution(text=found.text, candidates=merged[:limit], ambiguous=ambiguous)

    def _resolve(
        self, text: str, tenant_id: str, types: Sequence[str] | None = None, limit: int = 5
    ) -> tuple[Resolution, list[dict[str, Any]] | None]:
        """The resolution before feedback, and the feedback rows when they were read with the details."""
        if not tenant_id:
            raise DataError("a tenant is required", field="tenant_id")
        if limit < 1:
            raise DataError(f"must be at least 1, got {limit}", field="limit")
        now = self.clock()
        mention = parse_mention(text, now=now)
        labels = self._labels(types, mention)
        if mention.is_empty or not labels:
            return Resolution(text=mention.text, candidates=[], ambiguous=False), None
        lookups = Lookups()
        if mention.email and "Person" in labels:
            self._email(mention.email, tenant_id, labels, lookups)
            if not lookups.evidence:
                mention = email_fallback(mention)
        read_with_names = self._lookups(mention, tenant_id, labels, lookups, text)
        if not lookups.evidence:
            return Resolution(text=mention.text, candidates=[], ambiguous=False), None
        if mention.window is not None and not lookups.window_checked:
            self._window(mention, tenant_id, lookups, add=False)
        if read_with_names is not None and read_with_names.ids == set(lookups.evidence):
            records, feedback = read_with_names.records, read_with_names.feedback
        else:
            records, feedback = self._details_and_feedback(list(lookups.evidence), tenant_id, labels, text)
        if mention.type_hint is not None and mention.type_hint not in labels:
            mention = replace(mention, type_hint=None)  # the caller asked for other types: no penalty
        scored = [
            score_candidate(mention, record, lookups.evidence[record["id"]], lookups, now, self.weights)
            for record in records
        ]
        candidates, ambiguous = rank(scored, limit=limit)
        return Resolution(text=mention.text, candidates=candidates, ambiguous=ambiguous), feedback

    # --- which labels ---------------------------------------------------------------------------

    @staticmethod
    def _labels(types: Sequence[str] | None, mention: Mention) -> tuple[str, ...]:
        """The labels to search: the caller's, narrowed by what the mention says when that leaves any."""
        inferred: tuple[str, ...] = ()
        if mention.context is not None or mention.email:
            inferred = ("Person",)
        elif mention.type_hint is not None:
            inferred = (mention.type_hint,)
        if not types:
            return inferred or DEFAULT_TYPES
        unknown = sorted(set(types) - set(ENTITY_TYPES))
        if unknown:
            raise DataError(f"unknown entity type(s) {unknown}; known: {list(ENTITY_TYPES)}", field="types")
        asked = tuple(dict.fromkeys(types))
        narrowed = tuple(label for label in asked if label in inferred)
        return narrowed or asked

    # --- lookups ------------------------------------------------------------------------------------

    def _lookups(
        self, mention: Mention, tenant_id: str, labels: tuple[str, ...], lookups: Lookups, text: str
    ) -> _Details | None:
        """Gather the candidates into ``lookups``; for a mention that is only a name, the details of its
        candidates too, read with its fulltext lookup (one round trip where there would be two)."""
        details = None
        if mention.domain and not mention.email and "Organization" in labels:
            self._domain(mention.domain, tenant_id, lookups)
        if mention.name:
            query = lucene_query(_query_words(mention.name, labels), field="name")
            if query and _only_a_name(mention):
                details = self._names_with_details(query, tenant_id, labels, lookups, text)
            elif query:
                self._fulltext("entity_names", query, tenant_id, labels, lookups, "fulltext")
        if mention.descriptor or (mention.location and not mention.name):
            words = [*mention.descriptor, *(names.tokens(mention.location) if mention.location else [])]
            query = lucene_query(words, variants=False, field="description")
            if query:
                self._fulltext("content_text", query, tenant_id, labels, lookups, "description")
        if mention.context and mention.name:
            self._context(mention, tenant_id, lookups)
        if mention.window is not None and (not mention.name or not lookups.evidence):
            self._window(mention, tenant_id, lookups, add=True)
        if self.embedder is not None and _needs_meaning(mention, lookups):
            self._vector(mention.text, tenant_id, labels, lookups)
        return details

    def _email(self, email: str, tenant_id: str, labels: Sequence[str], lookups: Lookups) -> None:
        """Exact address (any case), or a past role's address; then the address as a fulltext phrase."""
        spellings = sorted({email, email.lower(), email.upper()})
        domain = names.normalize_domain(email.rsplit("@", 1)[1])
        domains = _domain_spellings(domain) if domain else []
        rows = self.gateway.read(
            "resolve_email",
            cypher.load("resolve_email"),
            {"tenant": tenant_id, "emails": spellings, "domains": domains},
            plain=True,
        )
        for row in rows:
            found = lookups.add(row["id"], "email")
            found.email_via = found.email_via if found.email_via == "person" else row["via"]
        if not lookups.evidence:  # other capitalisations: the analyzer folds case, the scorer compares exactly
            self._fulltext("entity_names", lucene_phrase("email", email), tenant_id, labels, lookups, "email")

    def _domain(self, domain: str, tenant_id: str, lookups: Lookups) -> None:
        normalized = names.normalize_domain(domain)
        if not normalized:
            return
        rows = self.gateway.read(
            "resolve_domain",
            cypher.load("resolve_domain"),
            {"tenant": tenant_id, "domains": _domain_spellings(normalized)},
            plain=True,
        )
        for row in rows:
            lookups.add(row["id"], "domain")

    def _fulltext(
        self,
        index: str,
        query: str,
        tenant_id: str,
        labels: Sequence[str],
        lookups: Lookups,
        source: str,
    ) -> list[str]:
        hits = self._over_fetch(
            "resolve_fulltext",
            {"index": index, "query": query, "tenant": tenant_id, "labels": list(labels), "limit": HITS_PER_LOOKUP},
        )
        for hit in hits:
            lookups.add(hit["id"], source)
        return [hit["id"] for hit in hits]

    def _vector(self, text: str, tenant_id: str, labels: Sequence[str], lookups: Lookups) -> None:
        assert self.embedder is not None
        embedding = [float(x) for x in self.embedder(text)]
        hits = self._over_fetch(
            "resolve_vector",
            {"embedding": embedding, "tenant": tenant_id, "labels": list(labels), "limit": HITS_PER_LOOKUP},
        )
        for hit in hits:
            found = lookups.evidence.get(hit["id"])
            if found is None and hit["score"] < 0.75:  # a weak neighbour is no candidate of its own
                continue
            found = lookups.add(hit["id"], "vector")
            found.vector = float(hit["score"])

    def _over_fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run an index query with a growing over-fetch until enough tenant hits or the index is exhausted."""

        def query(fetch: int) -> tuple[list[dict[str, Any]], int, int]:
            rows = self.gateway.read(name, cypher.load(name), {**params, "fetch": fetch}, plain=True)
            if not rows:
                return [], 0, 0
            row = rows[0]
            return row["hits"], row["fetched"], row["matching"]

        key = (name, params.get("index"), params["tenant"], tuple(params["labels"]))
        return self.fetch_sizes.fetch(key, query, params["limit"])

    def _names_with_details(
        self, query: str, tenant_id: str, labels: tuple[str, ...], lookups: Lookups, text: str
    ) -> _Details:
        """:meth:`_fulltext` over the names, and :meth:`_details_and_feedback` of its hits, in one query
        (over-fetched as ``resolve_fulltext`` is, and sized by the same estimate of the tenant's share)."""
        last: dict[str, Any] = {}

        def lookup(fetch: int) -> tuple[list[dict[str, Any]], int, int]:
            last.update(self._details_query([], tenant_id, labels, text, names=query, fetch=fetch))
            return last["hits"], last["fetched"], last["matching"]

        key = ("resolve_fulltext", "entity_names", tenant_id, labels)
        hits = self.fetch_sizes.fetch(key, lookup, HITS_PER_LOOKUP)
        for hit in hits:
            lookups.add(hit["id"], "fulltext")
        return _Details(ids={hit["id"] for hit in hits}, records=last["records"], feedback=last["feedback"])

    def _context(self, mention: Mention, tenant_id: str, lookups: Lookups) -> None:
        """The organizations (or deals) named beside the mention, then their people whose name fits."""
        context = mention.context or ""
        organizations: dict[str, str] = {}
        leads: list[str] = []
        context_mention = parse_mention(context, now=self.clock())
        if context_mention.domain:
            rows = self.gateway.read(
                "resolve_domain",
                cypher.load("resolve_domain"),
                {"tenant": tenant_id, "domains": _domain_spellings(names.normalize_domain(context_mention.domain))},
                plain=True,
            )
            organizations.update({row["id"]: context for row in rows})
        query = lucene_query(_query_words(context, ("Organization",)), variants=False, field="name")
        if query and not organizations:  # a domain that matched says it all
            probe = Lookups()
            labels = ["Organization", "Lead"] if mention.context_is_deal else ["Organization"]
            ids = self._fulltext("entity_names", query, tenant_id, labels, probe, "context")
            records = self._details(ids, tenant_id, tuple(labels)) if ids else []
            scored = []
            for record in records:
                if record["type"] == "Organization":
                    verdict = names.compare_org_names(context, record["name"])
                else:
                    verdict = names.compare_text_names(context, record["name"])
                scored.append((verdict.score, record))
            best = max((s for s, _ in scored), default=0.0)
            for score, record in scored:
                if score >= 0.6 and score >= best - 0.2:
                    if record["type"] == "Organization":
                        organizations[record["id"]] = record["name"]
                    else:
                        leads.append(record["id"])
        if not organizations and not leads:
            return
        lookups.context_resolved = True
        rows = self.gateway.read(
            "resolve_context_people",
            cypher.load("resolve_context_people"),
            {
                "tenant": tenant_id,
                "organizations": sorted(organizations),
                "leads": leads,
                "max_rows": MAX_CONTEXT_ROWS,
            },
            plain=True,
        )
        for row in rows:
            verdict = person_name_similarity(mention.name or "", row["first_name"], row["last_name"])
            known = lookups.evidence.get(row["id"])
            if known is None and verdict.score < 0.3:
                continue  # someone else at that organization
            found = lookups.add(row["id"], "context")
            found.links.append((row["link"], row["via"]))

    def _window(self, mention: Mention, tenant_id: str, lookups: Lookups, *, add: bool) -> None:
        """People (and their organizations) in interactions of the mention's window."""
        window = mention.window
        assert window is not None
        lookups.window_checked = True
        rows = self.gateway.read(
            "resolve_window",
            cypher.load("resolve_window"),
            {
                "tenant": tenant_id,
                "start": window.start,
                "end": window.end,
                "kinds": list(mention.interaction_kinds),
                "max_interactions": MAX_WINDOW_INTERACTIONS,
            },
            plain=True,
        )
        seen: set[tuple[str, str]] = set()
        for row in rows:
            when = native_time(row["occurred_at"])
            for entity_id in (row["person"], row["organization"]):
                if entity_id is None or (entity_id, row["interaction"]) in seen:
                    continue
                seen.add((entity_id, row["interaction"]))
                if add:
                    found = lookups.add(entity_id, "window")
                elif entity_id in lookups.evidence:
                    found = lookups.evidence[entity_id]
                else:
                    continue
                found.window_hits.append((row["kind"], when, row["subject"]))

    def _details(self, ids: list[str], tenant_id: str, labels: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return self.gateway.read(
            "resolve_details",
            cypher.load("resolve_details"),
            {"tenant": tenant_id, "ids": ids, "types": list(labels), "max_people": MAX_ORGANIZATION_PEOPLE},
            plain=True,
        )

    def _details_and_feedback(
        self, ids: list[str], tenant_id: str, labels: Sequence[str], text: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """:meth:`_details`, and the feedback on ``text`` and on these candidates, in one query."""
        row = self._details_query(ids, tenant_id, labels, text)
        return row["records"], row["feedback"]

    def _details_query(
        self,
        ids: list[str],
        tenant_id: str,
        labels: Sequence[str],
        text: str,
        *,
        names: str | None = None,
        fetch: int = 0,
    ) -> dict[str, Any]:
        """``resolve_details_feedback``'s row: the details of ``ids`` and of the hits of the Lucene query
        ``names`` over the entity names (fetching ``fetch``), and the feedback on ``text``."""
        return self.gateway.read(
            "resolve_details_feedback",
            cypher.load("resolve_details_feedback"),
            {
                "tenant": tenant_id,
                "ids": ids,
                "types": list(labels),
                "max_people": MAX_ORGANIZATION_PEOPLE,
                "text": _feedback_text(text),
                "index": "entity_names",
                "query": names,
                "fetch": fetch,
                "labels": list(labels),
                "limit": HITS_PER_LOOKUP,
            },
            plain=True,
        )[0]


def _feedback_text(text: str) -> str:
    """A mention as the feedback on it is matched: trimmed, lower case."""
    return text.strip().lower()
