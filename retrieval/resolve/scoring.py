"""The pure scoring of entity resolution: a logit per candidate from what the lookups found
(:func:`score_candidate`, weighed by :class:`Weights`), then duplicate groups and a softmax with a
"none of them" option (:func:`rank`). No I/O: see :mod:`kgcrm.retrieval.resolve` for the calibration.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgcrm.core import names
from kgcrm.retrieval.dedupe import MODELS, RECORDS
from kgcrm.retrieval.mentions import ORGANIZATION_NOUNS, Mention
from kgcrm.retrieval.periods import ago
from kgcrm.retrieval.types import Candidate

#: A mention whose best entity has a lower probability does not single one out.
AMBIGUOUS_BELOW = 0.5
#: Candidates under this probability are not returned.
MIN_SCORE = 0.005
#: Two candidates whose duplicate score reaches this are treated as one real entity.
DUPLICATE_GROUP_THRESHOLD = 0.9


@dataclass(frozen=True)
class Weights:
    """The logit of a candidate: ``Σ weight * feature``; "none of them" has logit 0.

    Set by hand and checked on the seed's mentions (see :mod:`kgcrm.retrieval.resolve`).
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


# --- evidence gathered about candidates ----------------------------------------------------------


@dataclass
class Evidence:
    """What the lookups found about one candidate."""

    sources: set[str] = field(default_factory=set)
    vector: float | None = None
    email_via: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (current|past|deal, organization or deal name)
    window_hits: list[tuple[str, datetime, str | None]] = field(default_factory=list)  # (kind, when, subject)


@dataclass
class Lookups:
    """Candidates by id, and the context the mention established."""

    evidence: dict[str, Evidence] = field(default_factory=lambda: defaultdict(Evidence))
    context_resolved: bool = False
    window_checked: bool = False

    def add(self, entity_id: str, source: str) -> Evidence:
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


# --- scoring ----------------------------------------------------------------------------------------


def native_time(value: Any) -> datetime:
    native = value.to_native() if hasattr(value, "to_native") else value
    if isinstance(native, datetime) and native.tzinfo is None:
        return native.replace(tzinfo=UTC)
    return native  # type: ignore[no-any-return]


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


def score_candidate(
    mention: Mention,
    record: Mapping[str, Any],
    evidence: Evidence,
    lookups: Lookups,
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
            reasons.append(f"{verb} {ago(then=last_at, now=now)}{what}{count}")
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
            when = native_time(last[0])
            logit += w.recency * math.exp(-_days(now, when) / 30.0)
            if mention.window is None:
                reasons.append(f"last interaction {ago(then=when, now=now)}")

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


def _same_entity(a: Scored, b: Scored, match_records: Mapping[str, Mapping[str, Any]]) -> bool:
    """Probable duplicates: ``same_as`` links, or the duplicate model's probability (``match_records``: by id)."""
    if a.type != b.type or a.type not in RECORDS:
        return False
    if b.id in (a.record.get("same_as") or []) or a.id in (b.record.get("same_as") or []):
        return True
    probability = MODELS[a.type].probability(match_records[a.id], match_records[b.id])
    return probability >= DUPLICATE_GROUP_THRESHOLD


def rank(scored: Sequence[Scored], *, limit: int) -> tuple[list[Candidate], bool]:
    """Duplicate groups, probabilities (softmax over groups with a null option of logit 0), order, ambiguity.

    A group of duplicate records is one real entity, so it is one alternative: its logit is
    its best member's (two records of one person do not count twice).
    """
    if not scored:
        return [], False
    ordered = sorted(scored, key=lambda s: (-s.logit, s.name or "", s.id))
    # each candidate's fields for the duplicate model, made once: a candidate is compared with every leader
    match_records = {c.id: RECORDS[c.type](c.record) for c in ordered if c.type in RECORDS}

    # group probable duplicates with the best-scored member they resemble (greedy, in score order)
    members: dict[str, list[Scored]] = {}
    for candidate in ordered:
        considered = len(members) < max(limit * 3, 10)
        leader = None
        if considered:
            leader = next((lead for lead in members if _same_entity(members[lead][0], candidate, match_records)), None)
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
