"""Time phrases in questions → half-open intervals ``[start, end)``: a thin wrapper over the semantic layer's grammar.

:func:`parse_period` keeps the template path's interface (one bounded :class:`Period` or None) and takes the first
time expression that :func:`kgcrm.retrieval.semantic_layer.timewords.find_time_expressions` reads: "this quarter", "last
month", "in March", "Q3 2025", "last 30 days", "YTD" … An open-ended one ("since June", "before 2026-05-01") is
closed at the edges of the representable calendar. Pure: the present comes from the caller's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kgcrm.retrieval.semantic_layer.timewords import MONTHS, find_time_expressions

__all__ = ["MONTHS", "Period", "parse_period"]

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
