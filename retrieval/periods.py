"""Time phrases in questions → half-open UTC intervals ``[start, end)``.

"this quarter", "last quarter", "next quarter", "this month", "last month",
"this year", "last year", "this week", "last week", "yesterday", "today",
"in March" (the most recent March up to now), "in March 2025", "in Q3" /
"Q3 2025", "in 2025", "last 30 days", "past 2 weeks". Pure: the present comes
from the caller's clock.

And back: :func:`ago` says how long ago a time was ("yesterday", "3 weeks ago").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    label: str

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter(year: int, quarter: int, label: str) -> Period:
    start = _quarter_start(year, quarter)
    return Period(_at(start), _at(_add_months(start, 3)), label)


def _month(year: int, month: int, label: str) -> Period:
    start = date(year, month, 1)
    return Period(_at(start), _at(_add_months(start, 1)), label)


def parse_period(text: str, now: datetime) -> Period | None:
    """The first time phrase in ``text``, or None."""
    t = text.lower()
    today = now.astimezone(UTC).date()
    quarter = (today.month - 1) // 3 + 1

    if m := re.search(r"\b(this|last|next|previous|current)\s+(quarter|month|year|week)\b", t):
        which, unit = m.groups()
        shift = {"this": 0, "current": 0, "last": -1, "previous": -1, "next": 1}[which]
        if unit == "quarter":
            index = today.year * 4 + quarter - 1 + shift
            return _quarter(index // 4, index % 4 + 1, f"{which} quarter (Q{index % 4 + 1} {index // 4})")
        if unit == "month":
            start = _add_months(date(today.year, today.month, 1), shift)
            return _month(start.year, start.month, f"{which} month ({start:%B %Y})")
        if unit == "year":
            year = today.year + shift
            return Period(_at(date(year, 1, 1)), _at(date(year + 1, 1, 1)), f"{which} year ({year})")
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
        return Period(_at(monday), _at(monday + timedelta(weeks=1)), f"{which} week (from {monday:%Y-%m-%d})")
    if re.search(r"\byesterday\b", t):
        day = today - timedelta(days=1)
        return Period(_at(day), _at(today), f"yesterday ({day:%Y-%m-%d})")
    if re.search(r"\btoday\b", t):
        return Period(_at(today), _at(today + timedelta(days=1)), f"today ({today:%Y-%m-%d})")
    if m := re.search(r"\b(?:last|past|previous)\s+(\d{1,3})\s+(day|week|month)s?\b", t):
        count, unit = int(m.group(1)), m.group(2)
        days = count * {"day": 1, "week": 7, "month": 30}[unit]
        start = now - timedelta(days=days)
        return Period(start, now, f"the last {count} {unit}{'s' if count != 1 else ''}")
    if m := re.search(r"\bq([1-4])(?:\s*(?:of\s+)?(\d{4}))?\b", t):
        q = int(m.group(1))
        year = int(m.group(2)) if m.group(2) else (today.year if q <= quarter else today.year - 1)
        return _quarter(year, q, f"Q{q} {year}")
    # A month needs a preposition or a year beside it: "Jan", "May", "June" are also names.
    if m := re.search(rf"\b(?:in|during|since)\s+({_MONTH_RE})\b(?:\s+(\d{{4}}))?", t) or re.search(
        rf"\b({_MONTH_RE})\s+(\d{{4}})\b", t
    ):
        month = MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else today.year if month <= today.month else today.year - 1
        return _month(year, month, f"{date(year, month, 1):%B %Y}")
    if m := re.search(r"\b(?:in|during|for)\s+(\d{4})\b", t):
        year = int(m.group(1))
        return Period(_at(date(year, 1, 1)), _at(date(year + 1, 1, 1)), str(year))
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
