"""Time phrases in questions → half-open intervals ``[start, end)``: a thin wrapper over the semantic layer's grammar.

:func:`parse_period` keeps the template path's interface (one bounded :class:`Period` or None) and takes the first
time expression that :func:`kgcrm.retrieval.semantic_layer.timewords.find_time_expressions` reads: "this quarter", "last
month", "in March", "Q3 2025", "last 30 days", "YTD" … An open-ended one ("since June", "before 2026-05-01") is
closed at the edges of the representable calendar. Pure: the present comes from the caller's clock.

And back: :func:`ago` says how long ago a time was ("yesterday", "3 weeks ago").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kgcrm.retrieval.semantic_layer.timewords import MONTHS, find_time_expressions

__all__ = ["MONTHS", "Period", "ago", "parse_period"]

_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def parse_period(text: str, now: datetime) -> Period | None:
    """The first time phrase in ``text``, or None."""
    for match in find_time_expressions(text, now.astimezone(UTC)):
        return Period(match.start or _EARLIEST, match.end or _LATEST, match.label)
    return None


def ago(*, then: datetime, now: datetime) -> str:
    """How long before ``now`` ``then`` was, counted in calendar days (UTC).

    'today', 'yesterday', '3 days ago' (up to 13), '2 weeks ago' (up to 59 days), '5 months ago'
    (up to two years), '2 years ago'; a time after ``now`` is 'today'. A naive time is taken as UTC.
    """
    days = max(0, (_utc(now).date() - _utc(then).date()).days)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
