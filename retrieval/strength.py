"""Tie strength: how well two people know each other, in 0..1, from the evidence the graph holds.

Pure functions of the evidence and of "today" (no I/O, no clock): the caller passes
``now``. One function per kind of evidence, then :func:`combine` for a pair of
people with several kinds of evidence, and :func:`path_score` for a chain of hops.

- **Interactions** (``INTERACTED {count, last_at}``): frequency saturates with the
  count (``1 - exp(-count / frequency_scale)``), recency decays exponentially with
  the age of the last interaction (``half_life_days``) down to a floor, so an old
  but frequent tie is not forgotten entirely: ``frequency * (floor + (1 - floor) * recency)``.
- **Explicit ties** (``KNOWS {strength, kind}``): the recorded strength when there is
  one, else a default per kind (family and reporting lines count more than "knows").
- **Shared tenure** (two ``WORKS_AT`` to one organization): the overlap's length
  saturates (``overlap_scale_days``); a past overlap decays with the years since it
  ended; co-workers at a large organization likely never met (``team_size`` /
  headcount, square-rooted); capped at ``coworker_max``, below an explicit tie.
- **Affiliation** (the last hop to an organization): a current role counts fully, a
  past one decays with the years since it ended; a role at a subsidiary or parent
  counts ``family_factor`` of a direct one.

Evidence of several kinds for the same pair is combined as a noisy-or
(``1 - prod(1 - s)``): each kind is a separate chance that the two know each other
well. A path scores the product of its hops, so a longer path scores lower.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Literal

#: Strength of an explicit tie of each ``relationship.kind`` whose strength was not recorded.
KIND_DEFAULTS: Mapping[str, float] = MappingProxyType(
    {
        "family": 0.7,
        "reports_to": 0.7,
        "colleague": 0.6,
        "advisor": 0.6,
        "investor": 0.5,
        "knows": 0.5,
        "introduced": 0.4,
    }
)

Trend = Literal["rising", "steady", "falling", "none"]


@dataclass(frozen=True)
class StrengthParams:
    """The knobs of the scoring; the defaults are what kgcrm ranks with."""

    half_life_days: float = 90.0
    recency_floor: float = 0.25
    frequency_scale: float = 4.0
    kind_defaults: Mapping[str, float] = field(default_factory=lambda: KIND_DEFAULTS)
    unknown_kind_default: float = 0.4
    coworker_max: float = 0.6
    overlap_scale_days: float = 365.0
    past_half_life_days: float = 3 * 365.0
    team_size: int = 25
    unknown_tenure_days: int = 365  # assumed length of a role whose start is unknown
    past_affiliation: float = 0.6
    family_factor: float = 0.8

    def __post_init__(self) -> None:
        for name in ("half_life_days", "frequency_scale", "overlap_scale_days", "past_half_life_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"StrengthParams.{name} must be > 0, not {getattr(self, name)!r}")
        if not 0.0 <= self.recency_floor <= 1.0:
            raise ValueError(f"StrengthParams.recency_floor must be in 0..1, not {self.recency_floor!r}")


DEFAULT_PARAMS = StrengthParams()


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400.0


# --- interactions ---------------------------------------------------------------------------


def recency(last_at: datetime, now: datetime, half_life_days: float) -> float:
    """``0.5 ** (age / half_life)``: 1 for now (or a future time), 0.5 one half-life ago."""
    age = max(0.0, _days(now - last_at))
    return float(0.5 ** (age / half_life_days))


def frequency(count: int, scale: float) -> float:
    """``1 - exp(-count / scale)``: 0 for none, saturating towards 1."""
    return 1.0 - math.exp(-max(0, count) / scale)


def interaction_strength(
    count: int, last_at: datetime | None, now: datetime, params: StrengthParams = DEFAULT_PARAMS
) -> float:
    """Strength of an ``INTERACTED`` tie: frequency times (floored) recency."""
    if count <= 0 or last_at is None:
        return 0.0
    fresh = recency(last_at, now, params.half_life_days)
    return _clip(frequency(count, params.frequency_scale) * (params.recency_floor + (1 - params.recency_floor) * fresh))


# --- explicit ties --------------------------------------------------------------------------------


def knows_strength(strength: float | None, kind: str | None, params: StrengthParams = DEFAULT_PARAMS) -> float:
    """Strength of a ``KNOWS`` tie: as recorded, else the default of its kind."""
    if strength is not None:
        return _clip(float(strength))
    return params.kind_defaults.get(kind or "", params.unknown_kind_default)


# --- shared tenure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """When two roles at one organization overlapped; ``current`` when both still run."""

    start: date
    end: date
    current: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def tenure_overlap(
    since_a: date | None,
    until_a: date | None,
    since_b: date | None,
    until_b: date | None,
    today: date,
    params: StrengthParams = DEFAULT_PARAMS,
) -> Overlap | None:
    """The overlap of two roles (``until`` None: still running), or None when they did not overlap.

    A role with no start date is assumed to have lasted ``unknown_tenure_days``.
    """
    unknown = timedelta(days=params.unknown_tenure_days)
    end_a, end_b = min(until_a or today, today), min(until_b or today, today)
    start_a, start_b = since_a or end_a - unknown, since_b or end_b - unknown
    start, end = max(start_a, start_b), min(end_a, end_b)
    if end < start:
        return None
    return Overlap(start, end, current=until_a is None and until_b is None)


def headcount_factor(headcount: int, team_size: int) -> float:
    """1 up to ``team_size`` people, then ``sqrt(team_size / headcount)``."""
    if headcount <= team_size:
        return 1.0
    return math.sqrt(team_size / headcount)


def coworker_strength(overlap: Overlap, today: date, headcount: int, params: StrengthParams = DEFAULT_PARAMS) -> float:
    """Strength of a co-worker tie from the overlap of the two roles and the organization's size."""
    length = 1.0 - math.exp(-max(0, overlap.days) / params.overlap_scale_days)
    days_since = 0 if overlap.current else max(0, (today - overlap.end).days)
    fade = 0.5 ** (days_since / params.past_half_life_days)
    return _clip(params.coworker_max * length * fade * headcount_factor(headcount, params.team_size))


# --- the last hop to an organization ----------------------------------------------------------------------


def affiliation_strength(
    until: date | None, today: date, *, via_family: bool, params: StrengthParams = DEFAULT_PARAMS
) -> float:
    """How well a role (``until`` None: current) connects a person to an organization."""
    if until is None or until >= today:
        base = 1.0
    else:
        base = params.past_affiliation * 0.5 ** ((today - until).days / params.past_half_life_days)
    return _clip(base * (params.family_factor if via_family else 1.0))


# --- combining ------------------------------------------------------------------------------------


def combine(strengths: Iterable[float]) -> float:
    """Several pieces of evidence for one pair: ``1 - prod(1 - s)`` (0 for none)."""
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - _clip(s)
    return _clip(1.0 - miss)


def path_score(hop_strengths: Iterable[float]) -> float:
    """A path is as strong as the product of its hops (1 for no hop)."""
    score = 1.0
    for s in hop_strengths:
        score *= _clip(s)
    return score


def trend(recent: int, previous: int, *, tolerance: float = 0.25) -> Trend:
    """Compare interaction counts of two equal windows: rising, steady or falling (none: no interaction)."""
    if recent == 0 and previous == 0:
        return "none"
    if previous == 0:
        return "rising"
    ratio = recent / previous
    if ratio > 1 + tolerance:
        return "rising"
    if ratio < 1 - tolerance:
        return "falling"
    return "steady"
