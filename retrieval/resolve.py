"""Entity resolution: which entity of one tenant a mention names, with a calibrated score.

:class:`EntityResolver` parses the mention (:mod:`kgcrm.retrieval.mentions`), gathers
candidates from indexes only, scores each one from what it knows about it, and
returns a :class:`~kgcrm.retrieval.types.Resolution`.

Candidates (every query is bound to ``$tenant`` on every node it returns or crosses):

- exact keys: an e-mail address (range index ``(tenant_id, email)``; a past role's
  address through its organization's domain), a web domain (``(tenant_id, domain)``);
- fulltext ``entity_names``: the name words, each exact (boosted) or fuzzy (``~1``,
  ``~2`` by length), plus the nicknames and full names of first names (Bob → Robert);
  words are folded to letters and digits and escaped, so user text never reaches
  Lucene as syntax (:func:`lucene_query`);
- fulltext ``content_text`` for descriptions ("the robotics startup in Austin");
- the graph context: the organizations (or deals) named beside the mention, then
  their people (``WORKS_AT`` current or past, or a deal's contact): "Bob at Acme";
- time: the people (and their organizations) who took part in interactions of the
  mention's window and kind ("the company we met last week");
- optionally vector similarity (``embedder``): the ``entity`` index, over-fetched.

Neo4j 5.26 cannot filter fulltext or vector indexes by tenant: each call asks for
many more hits than needed, keeps the tenant's right after the call, and asks again
with ten times more when the over-fetch was cut short (up to :data:`MAX_FETCH`).

Scoring (:func:`score_candidate`): every candidate gets a logit, a weighted sum of
features (:class:`Weights`: name similarity, exact keys, context link, time window,
description, type hint, recency, vector similarity); the scores are then a softmax
over the candidates *and a "none of them" option of logit 0*, so a score is the
probability that the mention names that candidate: a lone exact e-mail match is
~1.0, two equally good "Maria"s get ~0.5 each, a weak fuzzy hit stays low.
Records that are probably the same real entity (a ``POSSIBLY_SAME_AS`` edge, or a
duplicate score of at least :data:`DUPLICATE_GROUP_THRESHOLD` from
:mod:`kgcrm.retrieval.dedupe` on the candidates' own fields) form one group: the group's
probability is the sum of its members', and every member reports it, so planted
near-duplicates both rank high and do not make the mention ambiguous.
``ambiguous`` is true when the best group's probability is below
:data:`AMBIGUOUS_BELOW`: close runners-up take probability from the best, so this
covers both "the top two are close" and "the best is weak". No candidate at all is
not ambiguous: nothing matched.

Calibration: the weights are set by hand, each from what its evidence is worth
(an exact e-mail settles it; a name alone of similarity 0.55 is a coin toss; a
context link or a time window is strong but not conclusive), then checked on the
seed's planted mentions with ``eval/resolution.py``: on 292 mentions of a four-tenant
seed (scale 20k, seed 42, not the one they were tuned on) top-1 is 98.6%, and the
top score's expected calibration error is 0.03 (Brier 0.002). The seed cannot fit the
weights: it plants no mention without an answer, and its mentions are separable.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from kgcrm import cypher
from kgcrm.core import names
from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.dedupe import organization_record, pair_score, person_record
from kgcrm.retrieval.mentions import ORGANIZATION_NOUNS, Mention, parse_mention
from kgcrm.retrieval.overfetch import FetchSizes
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

#: A mention whose best entity has a lower probability does not single one out.
AMBIGUOUS_BELOW = 0.5
#: Candidates under this probability are not returned.
MIN_SCORE = 0.005
#: Two candidates whose duplicate score reaches this are treated as one real entity.
DUPLICATE_GROUP_THRESHOLD = 0.9

_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
_MAX_QUERY_WORDS = 8
_MAX_VARIANTS = 10


@dataclass(frozen=True)
class Weights:
    """The logit of a candidate: ``Σ weight * feature``; "none of them" has logit 0.

    Set by hand and checked on the seed's mentions (see the module docstring).
    Features are in 0..1 unless said otherwise.
    """

    name: float = 9.0  # * name similarity (retrieval.names), when the mention has a name
    name_offset: float = -5.0  # added when the mention has a name: similarity 0.55 is even
    email: float = 10.0  # the e-mail address matches exactly
    email_conflict: float = -3.0  # the mention gives an address, the candidate has one at another domain
    email_other_address: float = -1.5  # … the candidate has another address at the same domain
    domain: float = 9.0  # the web domain matches exactly
    domain_label: float = 0.5  # * name similarity when the name came from a domain (northwind.io)
    context_current: float = 3.0  # works at the organization named beside the mention
    context_deal: float = 2.5  # the contact of a deal of that organization (or of the named deal)
    context_past: float = 2.0  # used to work there
    context_missing: float = -3.0  # an organization is named beside the mention, no link to it
    window: float = 4.0  # took part in an interaction of the mention's window (and kind)
    window_count: float = 0.3  # * ln(1 + interactions in the window)
    window_missing: float = -4.0  # the mention names a window, the candidate has nothing in it
    description: float = 7.0  # * share of the description's words found in the candidate
    description_offset: float = -5.0
    industry: float = 1.5  # the description names the candidate's industry ("the software company")
    location: float = 2.5  # the location named matches
    location_missing: float = -3.0  # a location is named, the candidate is elsewhere
    type_mismatch: float = -4.0  # the mention says "company" and this is a person, …
    recency: float = 0.5  # * exp(-days since the last interaction / 30)
    vector: float = 3.0  # * (cosine - 0.6), when an embedder is given
    team_member: float = -0.5  # the person is one of our users (mentions usually name others)


WEIGHTS = Weights()


# --- Lucene ------------------------------------------------------------------------------------


def lucene_escape(term: str) -> str:
    """Escape Lucene's special characters in one term (``+ - ! ( ) { } [ ] ^ " ~ * ? : \\ / & |``)."""
    return _LUCENE_SPECIAL.sub(r"\\\1", term)


def lucene_phrase(field: str, text: str) -> str:
    """An exact phrase on one field, every special character escaped."""
    return f'{field}:"{lucene_escape(text)}"'


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


# --- evidence gathered about candidates ----------------------------------------------------------


@dataclass
class _Evidence:
    """What the lookups found about one candidate."""

    sources: set[str] = field(default_factory=set)
    vector: float | None = None
    email_via: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (current|past|deal, organization or deal name)
    window_hits: list[tuple[str, datetime, str | None]] = field(default_factory=list)  # (kind, when, subject)


@dataclass
class _Lookups:
    """Candidates by id, and the context the mention established."""

    evidence: dict[str, _Evidence] = field(default_factory=lambda: defaultdict(_Evidence))
    context_resolved: bool = False
    window_checked: bool = False

    def add(self, entity_id: str, source: str) -> _Evidence:
        found = self.evidence[entity_id]
        found.sources.add(source)
        return found


@dataclass(frozen=True)
class Scored:
    """A candidate before grouping: its logit and reasons."""

    id: str
    type: str
    name: str | None
    logit: float
    reasons: tuple[str, ...]
    record: Mapping[str, Any]


# --- the resolver ----------------------------------------------------------------------------------


def _needs_meaning(mention: Mention, lookups: _Lookups) -> bool:
    """Whether the vector lookup can add anything: a description ("the robotics startup in Austin"), or
    a mention the keys and names found nothing for. A name, an address or a domain that found its
    entities is settled by them (the vector query is the slowest lookup, and names embed poorly)."""
    if not lookups.evidence:
        return True
    return bool(mention.descriptor or mention.location) or not (mention.name or mention.email or mention.domain)


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
        if not tenant_id:
            raise DataError("a tenant is required", field="tenant_id")
        if limit < 1:
            raise DataError(f"must be at least 1, got {limit}", field="limit")
        now = self.clock()
        mention = parse_mention(text, now=now)
        labels = self._labels(types, mention)
        if mention.is_empty or not labels:
            return Resolution(text=mention.text, candidates=[], ambiguous=False)
        lookups = _Lookups()
        if mention.email and "Person" in labels:
            self._email(mention.email, tenant_id, labels, lookups)
            if not lookups.evidence:
                mention = email_fallback(mention)
        self._lookups(mention, tenant_id, labels, lookups)
        if not lookups.evidence:
            return Resolution(text=mention.text, candidates=[], ambiguous=False)
        if mention.window is not None and not lookups.window_checked:
            self._window(mention, tenant_id, lookups, add=False)
        records = self._details(list(lookups.evidence), tenant_id, labels)
        if mention.type_hint is not None and mention.type_hint not in labels:
            mention = replace(mention, type_hint=None)  # the caller asked for other types: no penalty
        scored = [
            score_candidate(mention, record, lookups.evidence[record["id"]], lookups, now, self.weights)
            for record in records
        ]
        candidates, ambiguous = rank(scored, limit=limit)
        return Resolution(text=mention.text, candidates=candidates, ambiguous=ambiguous)

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

    def _lookups(self, mention: Mention, tenant_id: str, labels: tuple[str, ...], lookups: _Lookups) -> None:
        if mention.domain and not mention.email and "Organization" in labels:
            self._domain(mention.domain, tenant_id, lookups)
        if mention.name:
            query = lucene_query(_query_words(mention.name, labels), field="name")
            if query:
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

    def _email(self, email: str, tenant_id: str, labels: Sequence[str], lookups: _Lookups) -> None:
        """Exact address (any case), or a past role's address; then the address as a fulltext phrase."""
        spellings = sorted({email, email.lower(), email.upper()})
        domain = names.normalize_domain(email.rsplit("@", 1)[1])
        domains = _domain_spellings(domain) if domain else []
        rows = self.gateway.read(
            "resolve_email",
            cypher.load("resolve_email"),
            {"tenant": tenant_id, "emails": spellings, "domains": domains},
        )
        for row in rows:
            found = lookups.add(row["id"], "email")
            found.email_via = found.email_via if found.email_via == "person" else row["via"]
        if not lookups.evidence:  # other capitalisations: the analyzer folds case, the scorer compares exactly
            self._fulltext("entity_names", lucene_phrase("email", email), tenant_id, labels, lookups, "email")

    def _domain(self, domain: str, tenant_id: str, lookups: _Lookups) -> None:
        normalized = names.normalize_domain(domain)
        if not normalized:
            return
        rows = self.gateway.read(
            "resolve_domain",
            cypher.load("resolve_domain"),
            {"tenant": tenant_id, "domains": _domain_spellings(normalized)},
        )
        for row in rows:
            lookups.add(row["id"], "domain")

    def _fulltext(
        self,
        index: str,
        query: str,
        tenant_id: str,
        labels: Sequence[str],
        lookups: _Lookups,
        source: str,
    ) -> list[str]:
        hits = self._over_fetch(
            "resolve_fulltext",
            {"index": index, "query": query, "tenant": tenant_id, "labels": list(labels), "limit": HITS_PER_LOOKUP},
        )
        for hit in hits:
            lookups.add(hit["id"], source)
        return [hit["id"] for hit in hits]

    def _vector(self, text: str, tenant_id: str, labels: Sequence[str], lookups: _Lookups) -> None:
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
            rows = self.gateway.read(name, cypher.load(name), {**params, "fetch": fetch})
            row = rows[0] if rows else {"fetched": 0, "matching": 0, "hits": []}
            return row["hits"], row["fetched"], row["matching"]

        key = (name, params.get("index"), params["tenant"], tuple(params["labels"]))
        return self.fetch_sizes.fetch(key, query, params["limit"])

    def _context(self, mention: Mention, tenant_id: str, lookups: _Lookups) -> None:
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
            )
            organizations.update({row["id"]: context for row in rows})
        query = lucene_query(_query_words(context, ("Organization",)), variants=False, field="name")
        if query and not organizations:  # a domain that matched says it all
            probe = _Lookups()
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
        )
        for row in rows:
            verdict = person_name_similarity(mention.name or "", row["first_name"], row["last_name"])
            known = lookups.evidence.get(row["id"])
            if known is None and verdict.score < 0.3:
                continue  # someone else at that organization
            found = lookups.add(row["id"], "context")
            found.links.append((row["link"], row["via"]))

    def _window(self, mention: Mention, tenant_id: str, lookups: _Lookups, *, add: bool) -> None:
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
        )
        seen: set[tuple[str, str]] = set()
        for row in rows:
            when = _native(row["occurred_at"])
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
        )


# --- scoring (pure) ------------------------------------------------------------------------------------


def _native(value: Any) -> datetime:
    native = value.to_native() if hasattr(value, "to_native") else value
    if isinstance(native, datetime) and native.tzinfo is None:
        return native.replace(tzinfo=UTC)
    return native  # type: ignore[no-any-return]


def _domain_spellings(domain: str | None) -> list[str]:
    if not domain:
        return []
    return sorted({domain, domain.upper(), f"www.{domain}", f"WWW.{domain.upper()}"})


def _query_words(text: str, labels: Sequence[str]) -> list[str]:
    """The words worth searching for: an organization's legal suffix adds nothing ("acme corp." → acme)."""
    words = names.tokens(text)
    if len(words) > 1 and words[-1] in names.LEGAL_SUFFIXES:
        words = words[:-1]
    return words


def email_fallback(mention: Mention) -> Mention:
    """An address nobody has: read its local part as a name and its domain as the organization.

    "priya@northwind.io" → Priya at the organization whose domain is northwind.io.
    """
    assert mention.email is not None
    local, _, domain = mention.email.partition("@")
    words = [w for w in re.split(r"[._+\-]+", local) if len(w) > 1 and w.isalpha()]
    return replace(mention, name=" ".join(words) or None, context=domain or None)


def person_name_similarity(text: str, first: str | None, last: str | None) -> names.NameComparison:
    """The best reading of a mention's name words against a person's first and last names.

    "Robert J. Smith" is tried as (Robert, J Smith) and (Robert, Smith); one word as a first or a last name.
    """
    words = names.tokens(text)
    if not words:
        return names.NO_NAME
    if len(words) == 1:
        return names.compare_single_name(words[0], first, last)
    readings = [(words[0], " ".join(words[1:])), (words[0], words[-1])]
    if len(words) > 2:
        readings.append((" ".join(words[:-1]), words[-1]))
    return max(
        (names.compare_person_names(f, la, first, last) for f, la in readings),
        key=lambda verdict: verdict.score,
    )


def _name_verdict(mention: Mention, record: Mapping[str, Any]) -> names.NameComparison:
    text = mention.name or ""
    kind = record["type"]
    if kind == "Person":
        return person_name_similarity(text, record.get("first_name"), record.get("last_name"))
    if kind == "User":
        full = names.tokens(record.get("full_name") or record.get("name"))
        return person_name_similarity(text, full[0] if full else None, " ".join(full[1:]) or None)
    if kind == "Organization":
        verdict = names.compare_org_names(text, record.get("name"))
        domain = names.normalize_domain(record.get("domain"))
        label = domain.split(".")[0] if domain else None
        if label and verdict.score < 0.85 and names.compact(text) == label:
            return names.NameComparison("short", 0.85, f"name matches its web domain {domain}")
        return verdict
    return names.compare_text_names(text, record.get("name"))


def _word_weight(word: str) -> float:
    """A kind of organization ("company", "firm") tells less than what it does ("robots")."""
    return 0.5 if word in ORGANIZATION_NOUNS else 1.0


def _days(now: datetime, then: datetime) -> float:
    return max((now - then).total_seconds() / 86_400, 0.0)


def _ago(now: datetime, then: datetime) -> str:
    days = (now.date() - then.astimezone(UTC).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def score_candidate(
    mention: Mention,
    record: Mapping[str, Any],
    evidence: _Evidence,
    lookups: _Lookups,
    now: datetime,
    weights: Weights = WEIGHTS,
) -> Scored:
    """The logit of one candidate and its reasons in words (pure: see :class:`Weights`)."""
    w = weights
    kind = record["type"]
    logit = 0.0
    reasons: list[str] = []

    if mention.name:
        verdict = _name_verdict(mention, record)
        from_domain = mention.domain is not None and not mention.email
        name_weight = w.domain_label if from_domain else w.name
        logit += name_weight * verdict.score + (0.0 if from_domain else w.name_offset)
        if verdict.score > 0:
            reasons.append(verdict.reason)

    if mention.email:
        theirs = names.normalize_email(record.get("email"))
        if theirs == names.normalize_email(mention.email) or evidence.email_via == "contact":
            logit += w.email
            reasons.append(
                "email matches exactly" if evidence.email_via != "contact" else "email of a past or current role"
            )
        elif theirs:
            given = names.normalize_email(mention.email) or ""
            same_domain = theirs.rsplit("@", 1)[-1] == given.rsplit("@", 1)[-1]
            logit += w.email_other_address if same_domain else w.email_conflict
            reasons.append("another address at the same domain on file" if same_domain else "another email on file")

    if mention.domain and not mention.email:
        theirs = names.normalize_domain(record.get("domain"))
        if theirs and theirs == names.normalize_domain(mention.domain):
            logit += w.domain
            reasons.append(f"domain {theirs} matches")

    if mention.context and lookups.context_resolved:
        links = evidence.links
        best = None
        for link in ("current", "deal", "past"):
            match = next((via for kind_, via in links if kind_ == link), None)
            if match is not None:
                best = (link, match)
                break
        if best is None:
            logit += w.context_missing
        else:
            link, via = best
            logit += {"current": w.context_current, "deal": w.context_deal, "past": w.context_past}[link]
            reasons.append(
                {
                    "current": f"works at {via} (current)",
                    "past": f"worked at {via} (past role)",
                    "deal": f"contact on the deal {via}",
                }[link]
            )

    if mention.window is not None:
        hits = evidence.window_hits
        if hits:
            logit += w.window + w.window_count * math.log1p(len(hits))
            last_kind, last_at, subject = max(hits, key=lambda h: h[1])
            verb = {"meeting": "met", "call": "called", "email": "emailed", "message": "messaged"}.get(
                last_kind, "interacted"
            )
            what = f" ({subject})" if subject else ""
            count = f", {len(hits)} interactions in {mention.window.label}" if len(hits) > 1 else ""
            reasons.append(f"{verb} {_ago(now, last_at)}{what}{count}")
        else:
            logit += w.window_missing

    if mention.descriptor or mention.location:
        haystack = set(
            names.tokens(
                " ".join(str(record.get(k) or "") for k in ("industry", "description", "name", "title", "location"))
            )
        )
        if mention.descriptor:
            found = [word for word in mention.descriptor if names.fold(word) in haystack]
            share = sum(_word_weight(word) for word in found) / sum(_word_weight(word) for word in mention.descriptor)
            logit += w.description * share + w.description_offset
            if found:
                reasons.append(f"description matches: {', '.join(found)}")
            industry = names.tokens(record.get("industry"))
            if industry and set(industry) <= {names.fold(word) for word in mention.descriptor}:
                logit += w.industry
                reasons.append(f"industry {record.get('industry')}")
        if mention.location:
            place = names.tokens(mention.location)
            where = names.tokens(record.get("location"))
            if place and where and where[: len(place)] == place:
                logit += w.location
                reasons.append(f"located in {record.get('location')}")
            else:
                logit += w.location_missing

    if mention.type_hint and kind != mention.type_hint:
        logit += w.type_mismatch

    if kind == "Person":
        if record.get("is_user"):
            logit += w.team_member
            reasons.append("one of our users")
        last = record.get("last_interaction") or []
        if last:
            when = _native(last[0])
            logit += w.recency * math.exp(-_days(now, when) / 30.0)
            if mention.window is None:
                reasons.append(f"last interaction {_ago(now, when)}")

    if evidence.vector is not None:
        logit += w.vector * (evidence.vector - 0.6)
        reasons.append(f"semantic similarity {evidence.vector:.2f}")

    return Scored(
        id=record["id"],
        type=kind,
        name=record.get("name"),
        logit=logit,
        reasons=tuple(reasons),
        record=record,
    )


def _same_entity(a: Scored, b: Scored) -> bool:
    if a.type != b.type or a.type not in ("Person", "Organization"):
        return False
    if b.id in (a.record.get("same_as") or []) or a.id in (b.record.get("same_as") or []):
        return True
    if a.type == "Person":
        verdict = pair_score(person_record(a.record), person_record(b.record), kind="Person")
    else:
        verdict = pair_score(organization_record(a.record), organization_record(b.record), kind="Organization")
    return verdict.probability >= DUPLICATE_GROUP_THRESHOLD


def rank(scored: Sequence[Scored], *, limit: int) -> tuple[list[Candidate], bool]:
    """Duplicate groups, probabilities (softmax over groups with a null option of logit 0), order, ambiguity.

    A group of duplicate records is one real entity, so it is one alternative: its logit is
    its best member's (two records of one person do not count twice).
    """
    if not scored:
        return [], False
    ordered = sorted(scored, key=lambda s: (-s.logit, s.name or "", s.id))

    # group probable duplicates with the best-scored member they resemble (greedy, in score order)
    members: dict[str, list[Scored]] = {}
    for candidate in ordered:
        considered = len(members) < max(limit * 3, 10)
        leader = None
        if considered:
            leader = next((lead for lead in members if _same_entity(members[lead][0], candidate)), None)
        if leader is None:
            members[candidate.id] = [candidate]
        else:
            members[leader].append(candidate)
    logits = {lead: group[0].logit for lead, group in members.items()}
    shift = max(max(logits.values()), 0.0)  # for numerical stability; the null option's logit is 0
    weights = {lead: math.exp(logit - shift) for lead, logit in logits.items()}
    total = math.exp(-shift) + sum(weights.values())
    probability = {lead: weight / total for lead, weight in weights.items()}

    results: list[Candidate] = []
    for lead in sorted(members, key=lambda key: -probability[key]):
        group = members[lead]
        score = min(max(probability[lead], 0.0), 1.0)
        if score < MIN_SCORE:
            continue
        for member in group:
            reasons = list(member.reasons)
            others = [m for m in group if m.id != member.id]
            if others:
                shown = ", ".join(f"{m.name or m.id}" for m in others)
                reasons.append(f"possibly the same {member.type.lower()} as {shown} (duplicate record)")
            results.append(
                Candidate(id=member.id, type=member.type, name=member.name, score=round(score, 4), reasons=reasons)
            )
    best = max(probability.values(), default=0.0)
    ambiguous = bool(results) and best < AMBIGUOUS_BELOW
    return results[:limit], ambiguous
