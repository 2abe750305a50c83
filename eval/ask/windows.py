"""Time windows of the bank, computed here independently of the parser's grammar.

Half-open ``[start, end)`` in UTC, weeks start on Monday. Windows counted in days ("the last 30
days", "not updated for six weeks") have several honest readings at the boundary (from ``now``, from
the start of today, today included as one of the days); each is returned and any is accepted. On a date
of past events (created, closed, completed, occurred) "this week/month/quarter/year" may also be read
"so far", up to ``now`` (excluded or included): rows stamped exactly ``now`` differ between these readings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

Window = tuple[datetime | None, datetime | None]


def _day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _month(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def _quarter_start(now: datetime, shift: int = 0) -> datetime:
    first = 3 * ((now.month - 1) // 3) + 1
    return _month(now.year, first + 3 * shift)


def _last_days(now: datetime, days: int) -> list[Window]:
    today = _day(now)
    return [
        (now - timedelta(days=days), None),
        (today - timedelta(days=days), None),
        (today - timedelta(days=days - 1), None),
    ]


def windows(name: str, now: datetime, *, past: bool = False) -> list[Window]:
    """The acceptable readings of a named window at ``now`` (the first is the primary one)."""
    now = now.astimezone(UTC)
    options = _windows(name, now)
    if past and name.startswith("this_"):
        start = options[0][0]
        options += [(start, now), (start, now + timedelta(microseconds=1))]
    return options


def _windows(name: str, now: datetime) -> list[Window]:
    today = _day(now)
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return [(monday, monday + timedelta(days=7))]
    if name == "last_week":
        return [(monday - timedelta(days=7), monday)]
    if name == "this_month":
        return [(_month(now.year, now.month), _month(now.year, now.month + 1))]
    if name == "rest_of_this_month":
        return [(today, _month(now.year, now.month + 1))]
    if name == "last_month":
        return [(_month(now.year, now.month - 1), _month(now.year, now.month))]
    if name == "this_quarter":
        return [(_quarter_start(now), _quarter_start(now, 1))]
    if name == "last_quarter":
        return [(_quarter_start(now, -1), _quarter_start(now))]
    if name == "next_quarter":
        return [(_quarter_start(now, 1), _quarter_start(now, 2))]
    if name == "this_year":
        return [(datetime(now.year, 1, 1, tzinfo=UTC), datetime(now.year + 1, 1, 1, tzinfo=UTC))]
    if name == "q3_2026":
        return [(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))]
    if name == "march":  # the most recent March not in the future
        year = now.year if now.month >= 3 else now.year - 1
        return [(datetime(year, 3, 1, tzinfo=UTC), datetime(year, 4, 1, tzinfo=UTC))]
    if name == "since_september":
        year = now.year if now.month >= 9 else now.year - 1
        return [(datetime(year, 9, 1, tzinfo=UTC), None)]
    if name == "before_this_year":
        return [(None, datetime(now.year, 1, 1, tzinfo=UTC))]
    if name.startswith("next_") and name.endswith("_days"):  # from today, the last day counted or not
        days = int(name[5:-5])
        return [(today, today + timedelta(days=days)), (today, today + timedelta(days=days + 1))]
    if name.startswith("last_") and name.endswith("_days"):
        return _last_days(now, int(name[5:-5]))
    raise ValueError(f"unknown window {name!r}")


def older_than(now: datetime, days: int) -> list[datetime]:
    """The acceptable cut-offs of "not … for N days": before ``now - N days``, or before that day's start."""
    today = _day(now)
    return [now - timedelta(days=days), today - timedelta(days=days), today - timedelta(days=days - 1)]
