"""The fact model of a connections search: the ties between people, the facts behind them, the subgraph
explored, and the answers to the related questions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field

from kgcrm.core.errors import KgcrmError
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.types import EntityRef, IntroPath

KNOWS = "KNOWS"
INTERACTED = "INTERACTED"
COWORKER = "COWORKER"
WORKS_AT = "WORKS_AT"
#: The kind of the KNOWS tie a confirmed duplicate (SAME_AS, feedback of issue 14) becomes (its id: the feedback row).
SAME_AS_KIND = "same_as"

PERSON = "Person"
ORGANIZATION = "Organization"
USER = "User"

TARGET_TYPES = (PERSON, ORGANIZATION)


# --- the explored subgraph -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnowsFact:
    id: str
    kind: str | None
    strength: float | None
    since: date | None
    source: str  # the person the relationship row goes from


@dataclass(frozen=True)
class InteractedFact:
    count: int
    last_at: datetime | None
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class RoleFact:
    """One role (a contact row) at an organization."""

    contact_id: str | None
    org_id: str
    org_name: str | None
    since: date | None
    until: date | None
    title: str | None = None


@dataclass(frozen=True)
class CoworkerFact:
    org_id: str
    org_name: str | None
    headcount: int
    roles: tuple[tuple[str, RoleFact], tuple[str, RoleFact]]  # (person id, role) for both people
    overlap: st.Overlap


@dataclass(frozen=True)
class AffiliationFact:
    """A person's role at the target organization, or at a subsidiary or parent of it (``distance`` > 0)."""

    role: RoleFact
    distance: int
    target_org: str
    target_name: str | None


@dataclass
class Tie:
    """Everything known between two people (or between a person and the target organization)."""

    a: str
    b: str
    knows: dict[str, KnowsFact] = field(default_factory=dict)
    interacted: InteractedFact | None = None
    coworkers: dict[tuple[str | None, str | None], CoworkerFact] = field(default_factory=dict)
    affiliations: list[AffiliationFact] = field(default_factory=list)
    _scored: tuple[float, str] | None = None

    def score(self, now: datetime, params: st.StrengthParams) -> tuple[float, str]:
        """(strength in 0..1, the relation that contributes most)."""
        if self._scored is None:
            parts = self.components(now, params)
            best = max(parts, key=lambda p: p[1], default=(KNOWS, 0.0))
            self._scored = (st.combine(s for _, s in parts), best[0])
        return self._scored

    def components(self, now: datetime, params: st.StrengthParams) -> list[tuple[str, float]]:
        today = now.date()
        parts = [(KNOWS, st.knows_strength(k.strength, k.kind, params)) for k in self.knows.values()]
        if self.interacted is not None:
            i = self.interacted
            parts.append((INTERACTED, st.interaction_strength(i.count, i.last_at, now, params)))
        parts += [
            (COWORKER, st.coworker_strength(c.overlap, today, c.headcount, params)) for c in self.coworkers.values()
        ]
        parts += [
            (WORKS_AT, st.affiliation_strength(f.role.until, today, via_family=f.distance > 0, params=params))
            for f in self.affiliations
        ]
        return parts


class Subgraph:
    """The people (and target) a search has seen, and the ties between them."""

    def __init__(self) -> None:
        self.names: dict[str, str | None] = {}
        self.ties: dict[tuple[str, str], Tie] = {}
        self.adjacent: dict[str, set[str]] = defaultdict(set)

    def tie(self, a: str, b: str) -> Tie:
        key = (a, b) if a < b else (b, a)
        tie = self.ties.get(key)
        if tie is None:
            tie = self.ties[key] = Tie(*key)
            self.adjacent[a].add(b)
            self.adjacent[b].add(a)
        return tie

    def get(self, a: str, b: str) -> Tie | None:
        return self.ties.get((a, b) if a < b else (b, a))

    def add_row(self, row: Mapping[str, Any], today: date, params: st.StrengthParams) -> bool:
        """Add one row of ``connections_ties``; False when it holds no usable tie."""
        source, target, kind, data = row["source"], row["target"], row["type"], row["tie"]
        self.names.setdefault(target, row.get("name"))
        if kind == KNOWS:
            fact = KnowsFact(
                id=data["id"],
                kind=data.get("kind"),
                strength=as_float(data.get("strength")),
                since=as_date(data.get("since")),
                source=source if data.get("forward") else target,
            )
            self.tie(source, target).knows[fact.id] = fact
        elif kind == INTERACTED:
            self.tie(source, target).interacted = InteractedFact(
                count=int(data.get("count") or 0),
                last_at=as_datetime(data.get("last_at")),
                kinds=tuple(sorted(data.get("kinds") or ())),
            )
        elif kind == COWORKER:
            role_a = RoleFact(
                data.get("contact_a"),
                data["org_id"],
                data.get("org_name"),
                as_date(data.get("since_a")),
                as_date(data.get("until_a")),
            )
            role_b = RoleFact(
                data.get("contact_b"),
                data["org_id"],
                data.get("org_name"),
                as_date(data.get("since_b")),
                as_date(data.get("until_b")),
            )
            overlap = st.tenure_overlap(role_a.since, role_a.until, role_b.since, role_b.until, today, params)
            if overlap is None:
                return False
            pair = ((source, role_a), (target, role_b)) if source < target else ((target, role_b), (source, role_a))
            coworker = CoworkerFact(
                data["org_id"], data.get("org_name"), int(data.get("headcount") or 1), pair, overlap
            )
            self.tie(source, target).coworkers[(pair[0][1].contact_id, pair[1][1].contact_id)] = coworker
        else:  # pragma: no cover - the query returns only these three
            raise KgcrmError(f"connections_ties returned an unknown tie type {kind!r}")
        return True


# --- results of the related questions ---------------------------------------------------------------------


class KnownPerson(BaseModel):
    """Someone at an organization, and the team's strongest direct tie to them."""

    person: EntityRef
    organization: EntityRef  # where the role is: the organization, or a subsidiary or parent of it
    title: str | None = None
    current: bool
    strength: float = Field(ge=0.0, le=1.0)
    tie: IntroPath


class PeopleWeKnow(BaseModel):
    organization: EntityRef
    people: list[KnownPerson]
    summary: str


class TieReport(BaseModel):
    """How well the team knows someone: the strongest tie, and the trend of interactions."""

    target: EntityRef
    strongest: IntroPath | None  # the strongest direct tie, else the strongest introduction
    direct: bool  # someone on the team has a tie of their own to the target (or to someone there)
    window_days: int
    recent_interactions: int  # team ↔ target, in the last window
    previous_interactions: int  # in the window before
    trend: st.Trend
    last_interaction_at: datetime | None = None
    summary: str


# --- helpers ------------------------------------------------------------------------------------------------


def tie_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def as_date(value: str | None) -> date | None:
    """A date sent as ISO text (``toString(date)``)."""
    return date.fromisoformat(value) if value else None


def as_datetime(value: int | None) -> datetime | None:
    """A time sent as epoch milliseconds (``datetime.epochMillis``), as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1000, UTC) if value is not None else None


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)
