"""Time expressions in questions → half-open windows ``[start, end)`` at a fixed ``now``.

Pure: the present, and with it the time zone of calendar boundaries, comes from the caller's ``now`` (tz-aware).

What is read (case-insensitive; digits or words for counts):

- days: today, yesterday, tomorrow, the day before yesterday, the day after tomorrow; weekdays ("on Monday", "last
  Friday", "next Tuesday"); dates: ISO ``2026-05-01``, ``5/1/2026``, "March 3", "3rd of March", "March 3, 2026";
- calendar periods: this/last/next/previous/current week|month|quarter|year, "the week/month/quarter/year before last",
  "Q3", "Q3 2026", "2026-Q3", "third quarter", "H1 2026", "first half of 2026", "in March" (the latest March not in the
  future; "next March" looks ahead), "March 2026", "2026-03", "2026", "FY2026";
- to date: "YTD", "year to date", "MTD", "QTD", "this month so far", "so far this year", "earlier this week",
  "later this month" / "rest of the quarter" (from now to the end);
- rolling: last/past/previous/trailing N days|weeks|months|quarters|years ("last 30 days", "past two weeks",
  "the last couple of months"), "the past week" (7 days), "within N days", next N days; "TTM"/"LTM" (12 months);
- ago: "6 weeks ago" (that week), "more than 6 weeks ago" / "older than six weeks" / "over 6 weeks old" → before;
- "for six weeks" / "in six weeks" (no contact for, untouched in) → direction ``before`` (older than six weeks);
  after a closing word ("closing in six weeks", "due within 2 weeks") it is the window from now instead;
- bounds around any of the above: "since X"/"after X"/"from X on" (direction ``since``), "before X"/"until X"/"by X"
  (direction ``before``), "from X to Y", "between X and Y" (one window).

"overdue", "recent", "soon" are not time expressions here: the parser decides what they mean for a field.
Ambiguous bare words are left alone: "may", "march", "june", "august", "april" need a preposition, a day or a year;
a bare four-digit year needs to be 1990..2100 and not read as an amount ("over 2000", "2000 USD").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from rapidfuzz.distance import OSA
from text_to_num import text2num

__all__ = ["TimeMatch", "find_time_expressions", "time_spans"]

Direction = Literal["window", "before", "since"]


@dataclass(frozen=True)
class TimeMatch:
    span: tuple[int, int]
    start: datetime | None  # inclusive, tz-aware, None = open
    end: datetime | None  # exclusive, None = open
    label: str  # plain restatement: "this quarter (2026-10-01 to 2026-12-31)", "the last 6 weeks"
    direction: Direction  # "before May" / "older than 6 weeks" → before; "since June" → since


# --- vocabulary ---------------------------------------------------------------------------------------------------

_MONTH_NAMES = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sept", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
]
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# Month names that are also everyday words or first names: only with a preposition, a day or a year.
_AMBIGUOUS_MONTHS = {"march", "mar", "may", "june", "jun", "april", "apr", "august", "aug", "jan", "sep", "oct", "dec"}

_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_WEEKDAY = "(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b"

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "last": -1}

_UNITS = {
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "day": "day",
    "days": "day",
    "d": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "w": "week",
    "month": "month",
    "months": "month",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "qtr": "quarter",
    "qtrs": "quarter",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
}
_UNIT = r"(?P<unit>hours?|hrs?|days?|weeks?|wks?|months?|mos?|mths?|quarters?|qtrs?|years?|yrs?)\b"
_PERIOD = r"(?P<period>week|month|quarter|qtr|year|yr)\b"

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
_NUM = (
    rf"(?P<n>\d{{1,4}}|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several|an?"
    rf"|(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))?)"
)
_THIS = r"(?:this|the\s+current|current|this\s+calendar|this\s+fiscal|the\s+present)"
_LAST = r"(?:last|previous|prior|the\s+last|the\s+previous|the\s+prior)"
_NEXT = r"(?:next|the\s+next|coming|the\s+coming|upcoming|the\s+upcoming|following|the\s+following)"
_ROLL = r"(?:last|past|previous|prior|trailing|recent)"
_LEAD = r"(?:(?:in|during|on|for|within|over|throughout|at|of)\s+)?(?:the\s+)?"
_B = r"(?<![\w$€£-])"  # a word starts here (and is not a negative number or money)
#: The prepositions that may lead a month or a year ("in March", "since 2025"); the rule keeps them in ``lead``.
_LEADING_PREPOSITIONS = r"(?:in|during|for|of|throughout|since|before|after|until|till|by|from|through)"
_E = r"(?![\w%$€£]|[.,/-]\d)"  # a word ends here (and is not followed by more of a number)

_CLOSING_WORDS = re.compile(
    r"\b(?:clos(?:e|es|ed|ing)|due|expected|expect|expir(?:e|es|ing)|end(?:s|ing)?|renew(?:s|al|ing)?|land(?:s|ing)?|"
    r"scheduled|planned|upcoming|coming|starts?|starting|kick(?:s|ing)?\s+off|happen(?:s|ing)?|will|going\s+to)\b"
    r"[\w\s,'-]{0,30}$",
    re.I,
)
_AMOUNT_BEFORE = re.compile(
    r"(?:\b(?:over|above|under|below|than|exceeding|least|most|around|about|approx|approximately|worth|of|"
    r"top|first|bottom)|[<>=≥≤~$€£])\s*$",
    re.I,
)


# --- calendar helpers ---------------------------------------------------------------------------------------------


def _count(raw: str) -> int | None:
    raw = re.sub(r"\s+", " ", raw.strip().lower())
    if raw.isdigit():
        return int(raw)
    if raw in ("a", "an"):
        return 1
    if "couple" in raw:
        return 2
    if raw in ("few", "a few"):
        return 3
    if raw == "several":
        return None
    try:
        return int(text2num(raw.replace("-", " "), "en"))
    except (ValueError, TypeError):
        return None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _days_in_month(year, month)
    return date(year, month, min(day.day, last))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


class _Calendar:
    def __init__(self, now: datetime, week_starts: int) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.now = now
        self.tz: tzinfo = now.tzinfo
        self.today = now.date()
        self.week_starts = week_starts % 7

    def at(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz)

    def period(self, unit: str, day: date) -> tuple[date, date]:
        """The calendar ``unit`` holding ``day``: [first day, first day of the next)."""
        if unit == "day":
            return day, day + timedelta(days=1)
        if unit == "week":
            first = day - timedelta(days=(day.weekday() - self.week_starts) % 7)
            return first, first + timedelta(days=7)
        if unit == "month":
            first = date(day.year, day.month, 1)
            return first, _add_months(first, 1)
        if unit == "quarter":
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return first, _add_months(first, 3)
        if unit == "half":
            first = date(day.year, 1 if day.month <= 6 else 7, 1)
            return first, _add_months(first, 6)
        first = date(day.year, 1, 1)
        return first, date(day.year + 1, 1, 1)

    def shifted(self, unit: str, n: int, day: date | None = None) -> tuple[date, date]:
        """The calendar ``unit`` ``n`` units away from the one holding ``day`` (today)."""
        day = self.today if day is None else day
        if unit == "day":
            return self.period("day", day + timedelta(days=n))
        if unit == "week":
            return self.period("week", day + timedelta(weeks=n))
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[unit]
        return self.period(unit, _add_months(date(day.year, day.month, 1), months * n))

    def back(self, unit: str, n: int) -> datetime:
        """``now`` minus ``n`` units (calendar months and years, so "3 months ago" on May 31 is Feb 28)."""
        return self._move(unit, -n)

    def ahead(self, unit: str, n: int) -> datetime:
        return self._move(unit, n)

    def _move(self, unit: str, n: int) -> datetime:
        if unit == "hour":
            return self.now + timedelta(hours=n)
        if unit == "day":
            return self.now + timedelta(days=n)
        if unit == "week":
            return self.now + timedelta(weeks=n)
        months = {"month": 1, "quarter": 3, "year": 12}[unit] * n
        day = _add_months(self.today, months)
        return self.now.replace(year=day.year, month=day.month, day=day.day)


# --- results before bounds are applied ----------------------------------------------------------------------------


@dataclass
class _Found:
    start_at: int
    end_at: int
    start: datetime | None
    end: datetime | None
    label: str
    direction: Direction = "window"
    boundable: bool = True  # a calendar period or day: since/before/between can bound it
    yearless: tuple[int, int] | None = None  # (month, day) of a day written without its year
    edge: bool = False  # "the end of X": before it means up to X's end
    name: str = ""  # the short name, for bounds ("June 2026", "last week", "2026-05-01")
    # a month or quarter written without its year: the same in another year ("between March and May 2025")
    reyear: Callable[[int], tuple[date, date, str]] | None = None


def _fmt(day: date) -> str:
    return day.isoformat()


def _window_label(name: str, first: date, following: date) -> str:
    last = following - timedelta(days=1)
    if first == last:
        return f"{name} ({_fmt(first)})" if name != _fmt(first) else name
    return f"{name} ({_fmt(first)} to {_fmt(last)})"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


Rule = Callable[[re.Match[str], _Calendar, str], "_Found | None"]
_RULES: list[tuple[re.Pattern[str], Rule]] = []


def _rule(pattern: str) -> Callable[[Rule], Rule]:
    compiled = re.compile(pattern, re.IGNORECASE)

    def register(handler: Rule) -> Rule:
        _RULES.append((compiled, handler))
        return handler

    return register


def _calendar(m: re.Match[str], cal: _Calendar, name: str, first: date, following: date) -> _Found:
    label = _window_label(name, first, following)
    return _Found(m.start(), m.end(), cal.at(first), cal.at(following), label, name=name)


# --- days ---------------------------------------------------------------------------------------------------------


@_rule(
    rf"{_B}{_LEAD}(?P<word>today|tonight|yesterday|tomorrow|the\s+day\s+before\s+yesterday|"
    rf"the\s+day\s+after\s+tomorrow){_E}"
)
def _days(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    word = re.sub(r"\s+", " ", m.group("word").lower())
    shift = {
        "today": 0,
        "tonight": 0,
        "yesterday": -1,
        "tomorrow": 1,
        "the day before yesterday": -2,
        "the day after tomorrow": 2,
    }[word]
    first, following = cal.shifted("day", shift)
    return _calendar(m, cal, word.replace("tonight", "today"), first, following)


@_rule(
    rf"{_B}(?:(?P<lead>on|by|until|since|before|after|from)\s+)?(?:(?P<which>this|last|next|past|previous|coming)\s+)?"
    rf"(?P<weekday>{_WEEKDAY}){_E}"
)
def _weekday(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    raw = m.group("weekday").lower()
    which = (m.group("which") or "").lower()
    if len(raw) <= 3 and not which and raw in ("sat", "sun", "wed", "mon", "fri"):
        return None  # "sat on it", "the sun", bare abbreviations: too risky without a "last"/"next"
    weekday = _WEEKDAYS[raw]
    offset = (weekday - cal.today.weekday()) % 7
    if which in ("last", "past", "previous"):
        day = cal.today - timedelta(days=(cal.today.weekday() - weekday) % 7 or 7)
    elif which in ("next", "coming"):
        day = cal.today + timedelta(days=offset or 7)
    else:
        week_first, _ = cal.period("week", cal.today)
        day = week_first + timedelta(days=(weekday - cal.week_starts) % 7)
    name = f"{which + ' ' if which else ''}{raw.capitalize() if len(raw) > 3 else raw.title()}"
    found = _calendar(m, cal, name, day, day + timedelta(days=1))
    if (m.group("lead") or "").lower() != "on":
        found.start_at = m.start("which") if which else m.start("weekday")
    return found


@_rule(
    r"(?<![\w/.-])(?:on\s+)?(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w/.-]|\d)"
)
def _iso_day(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    try:
        day = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None
    return _calendar(m, cal, _fmt(day), day, day + timedelta(days=1))


@_rule(r"(?<![\w/.$€£-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\w/%]|[.,]\d)")
def _slash_day(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    a, b = int(m.group("a")), int(m.group("b"))
    month, day_n = (b, a) if a > 12 else (a, b)  # month first unless the first part cannot be a month
    day: date | None
    try:
        if m.group("y"):
            year = int(m.group("y"))
            year = year + 2000 if year < 100 else year
            day = date(year, month, day_n)
        else:
            day = _nearest_day(cal, month, day_n)
    except ValueError:
        return None
    if day is None:
        return None
    found = _calendar(m, cal, _fmt(day), day, day + timedelta(days=1))
    found.yearless = None if m.group("y") else (month, day_n)
    return found


def _nearest_day(cal: _Calendar, month: int, day_n: int) -> date | None:
    """A day written without its year: of the candidate years, the one closest to today."""
    candidates = []
    for year in (cal.today.year - 1, cal.today.year, cal.today.year + 1):
        try:
            candidates.append(date(year, month, day_n))
        except ValueError:
            continue
    return min(candidates, key=lambda d: (abs((d - cal.today).days), d > cal.today), default=None)


_DAY_NUM = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"


@_rule(
    rf"{_B}(?:(?:on|by|due)\s+)?(?:the\s+)?(?P<month>{_MONTH})\s+(?:the\s+)?{_DAY_NUM}(?:,?\s+(?P<y>(?:19|20)\d{{2}}))?"
    rf"(?![\w%$€£:]|[.,/]\d|\s*(?:k|m|bn|thousand|million|%)\b)"
)
def _month_day(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    return _month_day_result(m, cal)


@_rule(
    rf"{_B}(?:(?:on|by|due)\s+)?(?:the\s+)?{_DAY_NUM}\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<y>(?:19|20)\d{{2}}))?"
    rf"(?![\w])"
)
def _day_month(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    return _month_day_result(m, cal)


def _month_day_result(m: re.Match[str], cal: _Calendar) -> _Found | None:
    month = MONTHS[m.group("month").lower().rstrip(".")]
    day_n = int(m.group("d"))
    try:
        day = date(int(m.group("y")), month, day_n) if m.group("y") else _nearest_day(cal, month, day_n)
    except ValueError:
        return None
    if day is None:
        return None
    found = _calendar(m, cal, _fmt(day), day, day + timedelta(days=1))
    found.yearless = None if m.group("y") else (month, day_n)
    return found


# --- calendar periods ---------------------------------------------------------------------------------------------


def _unit(raw: str) -> str:
    return _UNITS[raw.lower()]


@_rule(
    rf"{_B}{_LEAD}(?P<which>{_THIS}|{_LAST}|{_NEXT})\s+(?:(?:fiscal|calendar)\s+)?{_PERIOD}"
    rf"(?!\s+(?:so\s+far|to\s+date))(?![\w])"
)
def _relative_period(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    which = re.sub(r"\s+", " ", m.group("which").lower()).removeprefix("the ").removesuffix(" fiscal")
    which = which.removesuffix(" calendar")
    unit = _unit(m.group("period"))
    shift = (
        0 if which.startswith(("this", "current", "present")) else -1 if which in ("last", "previous", "prior") else 1
    )
    first, following = cal.shifted(unit, shift)
    word = {0: "this", -1: "last", 1: "next"}[shift]
    return _calendar(m, cal, f"{word} {unit}", first, following)


@_rule(rf"{_B}{_LEAD}{_PERIOD}\s+(?P<rel>before\s+last|after\s+next)(?![\w])")
def _period_before_last(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    unit = _unit(m.group("period"))
    shift = -2 if "before" in m.group("rel").lower() else 2
    first, following = cal.shifted(unit, shift)
    return _calendar(m, cal, f"the {unit} {m.group('rel').lower()}", first, following)


def _p(name: str) -> str:
    return rf"(?P<{name}>week|month|quarter|qtr|year|yr)\b"


@_rule(
    rf"{_B}(?:(?:{_THIS}\s+)?{_p('p1')}[\s-]+to[\s-]+date|(?:so\s+far|to\s+date)\s+(?:this|in\s+the)\s+{_p('p2')}"
    rf"|(?:this|the)\s+{_p('p3')}\s+(?:so\s+far|to\s+date)|earlier\s+(?:this|in\s+the)\s+{_p('p4')}"
    rf"|(?P<abbr>ytd|qtd|mtd|wtd))(?![\w])"
)
def _to_date(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    if m.group("abbr"):
        unit = {"y": "year", "q": "quarter", "m": "month", "w": "week"}[m.group("abbr")[0].lower()]
    else:
        unit = _unit(next(m.group(g) for g in ("p1", "p2", "p3", "p4") if m.group(g)))
    first, _ = cal.period(unit, cal.today)
    return _Found(m.start(), m.end(), cal.at(first), cal.now, f"{unit} to date (since {_fmt(first)})")


@_rule(
    rf"{_B}(?:later\s+(?:this|in\s+the)\s+{_p('p1')}|(?:the\s+)?(?:rest|remainder)\s+of\s+(?:this|the)\s+{_p('p2')})"
    rf"(?![\w])"
)
def _rest_of(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    unit = _unit(m.group("p1") or m.group("p2"))
    _, following = cal.period(unit, cal.today)
    return _Found(m.start(), m.end(), cal.now, cal.at(following), f"the rest of this {unit} (to {_fmt(following)})")


_QUARTER_WORDS = r"(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th|last)\s+(?:quarter|qtr)"
_REL_YEAR = r"\s+(?:of\s+|in\s+)?(?P<ry>last|this|next|previous|the\s+previous|the\s+current|current)\s+year"
_YEAR_SUFFIX = (
    r"(?:\s*(?:of\s+|in\s+)?(?:fy\s*)?(?P<y>(?:19|20)\d{2})|\s*'(?P<y2>\d{2})|\s+fy(?P<y3>\d{2})|" + _REL_YEAR + ")?"
)


def _relative_year(m: re.Match[str], cal: _Calendar) -> int | None:
    rel = (m.groupdict().get("ry") or "").lower()
    if not rel:
        return None
    return cal.today.year + (-1 if rel.endswith(("last", "previous")) else 1 if rel == "next" else 0)


def _year_of(m: re.Match[str], *names: str) -> int | None:
    for name in names:
        value = m.groupdict().get(name)
        if value:
            year = int(value)
            return year + 2000 if year < 100 else year
    return None


@_rule(rf"{_B}{_LEAD}(?:(?P<which>this|last|next)\s+)?(?:q(?P<q>[1-4])|{_QUARTER_WORDS}){_YEAR_SUFFIX}(?![\w])")
def _quarter(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    q = int(m.group("q")) if m.group("q") else _ORDINALS[m.group("qw").lower()]
    q = 4 if q == -1 else q
    year = _year_of(m, "y", "y2", "y3") or _relative_year(m, cal)
    current_q = (cal.today.month - 1) // 3 + 1
    which = (m.group("which") or "").lower()
    if year is None:
        if which == "next":
            year = cal.today.year + (q <= current_q)
        elif which == "last":
            year = cal.today.year - (q >= current_q)
        elif which == "this":
            year = cal.today.year
        else:  # the latest such quarter that has started
            year = cal.today.year if q <= current_q else cal.today.year - 1
    first = date(year, 3 * (q - 1) + 1, 1)
    found = _calendar(m, cal, f"Q{q} {year}", first, _add_months(first, 3))
    if not which and _year_of(m, "y", "y2", "y3") is None and _relative_year(m, cal) is None:
        found.reyear = lambda y: (date(y, 3 * (q - 1) + 1, 1), _add_months(date(y, 3 * (q - 1) + 1, 1), 3), f"Q{q} {y}")
    return found


@_rule(rf"{_B}{_LEAD}(?:(?P<y>(?:19|20)\d{{2}})|fy\s*(?P<y3>\d{{2}}))\s*[-/ ]?\s*q(?P<q>[1-4])(?![\w])")
def _year_quarter(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    q, year = int(m.group("q")), _year_of(m, "y", "y3")
    assert year is not None
    first = date(year, 3 * (q - 1) + 1, 1)
    return _calendar(m, cal, f"Q{q} {year}", first, _add_months(first, 3))


@_rule(
    rf"{_B}{_LEAD}(?:h(?P<h>[12])|(?P<hw>first|second|1st|2nd)\s+half(?:\s+of)?(?:\s+(?:the|this)\s+year)?)"
    rf"{_YEAR_SUFFIX}(?![\w])"
)
def _half(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    h = int(m.group("h")) if m.group("h") else _ORDINALS[m.group("hw").lower()]
    year = _year_of(m, "y", "y2", "y3") or _relative_year(m, cal)
    if year is None:
        year = cal.today.year if h == 1 or cal.today.month > 6 else cal.today.year - 1
    first = date(year, 1 if h == 1 else 7, 1)
    return _calendar(m, cal, f"H{h} {year}", first, _add_months(first, 6))


@_rule(
    rf"(?<![\w$€£])(?P<lead>{_LEADING_PREPOSITIONS}\s+"
    rf"(?:the\s+month\s+of\s+)?|(?P<which>this|last|next|past|previous|coming)\s+|(?:early|mid|late|end\s+of)[\s-]+)?"
    rf"(?P<month>{_MONTH})(?:\s*(?:of\s+)?,?\s*(?P<y>(?:19|20)\d{{2}})|\s*'(?P<y2>\d{{2}})|{_REL_YEAR})?(?![\w])"
)
def _month(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    raw = m.group("month").lower().rstrip(".")
    month = MONTHS[raw]
    year = _year_of(m, "y", "y2") or _relative_year(m, cal)
    which = (m.group("which") or "").lower()
    if (
        year is None
        and not m.group("lead")
        and not which
        and (raw in _AMBIGUOUS_MONTHS or len(raw) <= 3)
        and not _SECOND_MONTH.search(text[max(0, m.start() - 30) : m.start()])
        and not _FIRST_MONTH.match(text, m.end())
    ):
        return None
    if year is None:
        if which in ("next", "coming"):
            year = cal.today.year + (month <= cal.today.month)
        elif which in ("last", "past", "previous"):
            year = cal.today.year - (month >= cal.today.month)
        elif which == "this":
            year = cal.today.year
        else:
            year = cal.today.year if month <= cal.today.month else cal.today.year - 1
    first = date(year, month, 1)
    found = _calendar(m, cal, f"{first:%B %Y}", first, _add_months(first, 1))
    if not which and _year_of(m, "y", "y2") is None and _relative_year(m, cal) is None:
        found.reyear = lambda y: (date(y, month, 1), _add_months(date(y, month, 1), 1), f"{date(y, month, 1):%B %Y}")
    lead = (m.group("lead") or "").strip().lower()
    if lead and lead.split()[0] in ("since", "before", "after", "until", "till", "by", "from", "through"):
        found.start_at = m.start("month")  # the bound is read by _bounds
    elif lead.startswith(("early", "mid", "late", "end")):
        found.start_at = m.start("month")
    return found


_FIRST_MONTH = re.compile(rf"\s*(?:to|and|through|thru|till|until|-|\u2013)\s*{_MONTH}", re.I)
_SECOND_MONTH = re.compile(rf"\b{_MONTH}\s*(?:to|and|through|thru|till|until|-|\u2013)\s*$", re.I)


@_rule(
    rf"{_B}(?:(?:the\s+)?(?P<edge>start|beginning|end)\s+of\s+(?:the\s+)?(?:(?P<which>this|current|last|previous|next)\s+)?"
    rf"{_PERIOD}|(?P<eo>eo[wmqy])(?![\w]))"
)
def _edge_of(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    if m.group("eo"):
        unit, shift, edge = {"w": "week", "m": "month", "q": "quarter", "y": "year"}[m.group("eo")[2].lower()], 0, "end"
    else:
        unit, edge = _unit(m.group("period")), m.group("edge").lower()
        which = (m.group("which") or "this").lower()
        shift = -1 if which in ("last", "previous") else 1 if which == "next" else 0
    first, following = cal.shifted(unit, shift)
    word = {0: "this", -1: "last", 1: "next"}[shift]
    if edge == "end":
        last = following - timedelta(days=1)
        start = cal.now if shift == 0 else cal.at(last)
        return _Found(
            m.start(),
            m.end(),
            start,
            cal.at(following),
            f"the end of {word} {unit} ({_fmt(last)})",
            edge=True,
            name=f"the end of {word} {unit}",
        )
    return _Found(
        m.start(),
        m.end(),
        cal.at(first),
        cal.at(first + timedelta(days=1)),
        f"the start of {word} {unit} ({_fmt(first)})",
        name=f"the start of {word} {unit}",
    )


@_rule(rf"{_B}{_LEAD}(?:(?P<which>this|last|next|past|previous|coming)\s+)?weekend(?![\w])")
def _weekend(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    which = (m.group("which") or "").lower()
    monday = cal.today - timedelta(days=cal.today.weekday())
    if which == "this" or (not which and cal.today.weekday() >= 5):
        saturday, word = monday + timedelta(days=5), "this weekend"
    elif which in ("next", "coming"):
        saturday, word = monday + timedelta(days=12), "next weekend"
    else:  # last / past / "over the weekend": the latest one that is over
        saturday, word = monday - timedelta(days=2), "last weekend"
    return _calendar(m, cal, word, saturday, saturday + timedelta(days=2))


@_rule(r"(?<![\w/.$€£-])(?P<y>(?:19|20)\d{2})-(?P<m>0?[1-9]|1[0-2])(?![\w/.-]|\d)")
def _iso_month(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    first = date(int(m.group("y")), int(m.group("m")), 1)
    return _calendar(m, cal, f"{first:%B %Y}", first, _add_months(first, 1))


@_rule(
    rf"{_B}(?P<lead>{_LEADING_PREPOSITIONS}\s+"
    rf"(?:the\s+year\s+|fiscal\s+year\s+|calendar\s+year\s+)?)?(?:fy\s*'?(?P<fy>\d{{2}}(?:\d{{2}})?)|(?P<y>(?:19|20)\d{{2}}))"
    rf"(?![\w%$€£]|[.,/-]\d|\s*(?:k|m|bn|thousand|million|usd|eur|gbp|dollars|euros|percent|%)\b)"
)
def _year(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    year = int(m.group("y") or m.group("fy"))
    year = year + 2000 if year < 100 else year
    if (
        m.group("y")
        and not m.group("lead")
        and (not 1990 <= year <= 2100 or _AMOUNT_BEFORE.search(text[max(0, m.start() - 20) : m.start()]))
    ):
        return None
    first = date(year, 1, 1)
    found = _calendar(m, cal, str(year), first, date(year + 1, 1, 1))
    lead = (m.group("lead") or "").split()
    if lead and lead[0].lower() in ("since", "before", "after", "until", "till", "by", "from", "through"):
        found.start_at = m.start() + len(m.group("lead"))
    return found


# --- rolling windows, ago, older than -----------------------------------------------------------------------------


@_rule(
    rf"{_B}(?:(?:in|during|for|within|over|throughout|from)\s+)?(?:the\s+)?{_ROLL}\s+{_NUM}\s+{_UNIT}"
    rf"(?:\s+(?:or\s+so|so\s+far))?(?![\w])"
)
def _rolling(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    n = _count(m.group("n"))
    if n is None or n == 0 or n > 5000:
        return None
    unit = _unit(m.group("unit"))
    start = cal.back(unit, n)
    return _Found(m.start(), m.end(), start, cal.now, f"the last {_plural(n, unit)}", boundable=False)


@_rule(
    rf"{_B}(?:(?:in|during|for|within|over|throughout)\s+)?(?:the\s+|this\s+)?(?P<roll>past|trailing|recent)\s+{_PERIOD}"
)
def _past_period(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    unit = _unit(m.group("period"))
    return _Found(m.start(), m.end(), cal.back(unit, 1), cal.now, f"the past {unit}", boundable=False)


@_rule(
    r"(?<![\w])(?:(?:in|during|for|over)\s+)?(?:the\s+)?(?:ttm|ltm|trailing\s+twelve\s+months|"
    r"last\s+twelve\s+months|trailing\s+12\s+months)(?![\w])"
)
def _ttm(m: re.Match[str], cal: _Calendar, text: str) -> _Found:
    return _Found(m.start(), m.end(), cal.back("month", 12), cal.now, "the last 12 months", boundable=False)


@_rule(rf"{_B}(?:(?:in|during|for|within|over)\s+)?(?:the\s+)?{_NEXT}\s+{_NUM}\s+{_UNIT}(?![\w])")
def _rolling_ahead(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    n = _count(m.group("n"))
    if n is None or n == 0 or n > 5000:
        return None
    unit = _unit(m.group("unit"))
    return _Found(m.start(), m.end(), cal.now, cal.ahead(unit, n), f"the next {_plural(n, unit)}", boundable=False)


@_rule(
    rf"{_B}(?P<more>(?:more|over|longer|greater)\s+than\s+|over\s+|at\s+least\s+|upwards\s+of\s+)?{_NUM}\s+{_UNIT}"
    rf"\s+(?P<ago>ago|back|old|or\s+more\s+ago|or\s+older)(?![\w])"
)
def _ago(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    n = _count(m.group("n"))
    if n is None or n > 5000:
        return None
    unit = _unit(m.group("unit"))
    ago = m.group("ago").lower()
    moment = cal.back(unit, n)
    if m.group("more") or ago in ("old",) or "more" in ago or "older" in ago:
        return _Found(
            m.start(),
            m.end(),
            None,
            moment,
            f"more than {_plural(n, unit)} ago (before {_fmt(moment.date())})",
            "before",
            boundable=False,
        )
    if unit == "hour":
        hour = moment.replace(minute=0, second=0, microsecond=0)
        return _Found(m.start(), m.end(), hour, hour + timedelta(hours=1), f"{_plural(n, unit)} ago", boundable=False)
    first, following = cal.period(unit, moment.date())
    return _calendar(m, cal, f"{_plural(n, unit)} ago", first, following)


@_rule(
    rf"{_B}(?:older\s+than|(?:for|in)\s+(?:over|more\s+than|longer\s+than|at\s+least)"
    rf"|(?P<plain>for|in|within))\s+(?:the\s+)?{_NUM}\s+{_UNIT}(?:\s+or\s+(?:more|longer))?"
    rf"(?P<plus>\+)?(?![\w])"
)
def _for_n(m: re.Match[str], cal: _Calendar, text: str) -> _Found | None:
    n = _count(m.group("n"))
    if n is None or n == 0 or n > 5000:
        return None
    unit = _unit(m.group("unit"))
    plain = (m.group("plain") or "").lower()
    if plain and _CLOSING_WORDS.search(text[max(0, m.start() - 60) : m.start()]):
        end = cal.ahead(unit, n)
        return _Found(m.start(), m.end(), cal.now, end, f"the next {_plural(n, unit)}", boundable=False)
    if plain == "within":
        return _Found(m.start(), m.end(), cal.back(unit, n), cal.now, f"the last {_plural(n, unit)}", boundable=False)
    moment = cal.back(unit, n)
    return _Found(
        m.start(),
        m.end(),
        None,
        moment,
        f"more than {_plural(n, unit)} ago (before {_fmt(moment.date())})",
        "before",
        boundable=False,
    )


# --- bounds: since / before / between -----------------------------------------------------------------------------

_AS_OF = re.compile(r"\bas\s+(?:(?:of|at)\s+)?$", re.I)
_SINCE = re.compile(
    r"(?:(?:\b(?:since|after|from|starting(?:\s+from)?|beginning|later\s+than|newer\s+than)|>=?|\u2265|=>)"
    r"(?:\s+(?:the\s+)?(?:start|beginning)(?:\s+of)?)?\s+(?:the\s+)?)$",
    re.I,
)
_AFTER = re.compile(r"(?:\b(?:after|later\s+than|newer\s+than)|>(?!=))\s*(?:the\s+)?$", re.I)
_BEFORE = re.compile(
    r"(?:(?:<=?|\u2264|=<)\s*(?:the\s+)?|\b(?:before|prior\s+to|earlier\s+than|older\s+than|until|till|til|up\s+to|through|thru|"
    r"by|no\s+later\s+than|ending|not\s+after)(?:\s+(?:the\s+)?(?:end|start|beginning)(?:\s+of)?)?\s+(?:the\s+)?|(?:\b|^)"
    r"(?:by\s+)?(?:the\s+)?end(?:\s+of)?\s+(?:the\s+)?)$",
    re.I,
)
_INCLUSIVE_BEFORE = re.compile(
    r"(?:<=|\u2264|=<|\b(?:until|till|til|up\s+to|through|thru|by|no\s+later\s+than|end\s+of|not\s+after))"
    r"(?:\s+of)?\s+(?:the\s+)?$",
    re.I,
)
_RANGE_HEAD = re.compile(r"\b(?:from|between)\s+(?:the\s+)?$", re.I)
_RANGE_JOIN = re.compile(r"\s*(?:to|until|till|through|thru|and|-|\u2013|\u2014)\s*(?:the\s+)?", re.I)
_ON_WARDS = re.compile(
    r"\s+(?:on(?:wards?)?|and\s+later|or\s+later|(?:until|till|to|up\s+to|through)\s+(?:now|today|date|the\s+present))\b",
    re.I,
)


def _bounds(found: list[_Found], text: str, cal: _Calendar) -> list[_Found]:
    out: list[_Found] = []
    i = 0
    while i < len(found):
        f = found[i]
        before = text[max(0, f.start_at - 40) : f.start_at]
        if _AS_OF.search(before):  # "as of today", "as at March 1": a snapshot, not a window; left to the parser
            i += 1
            continue
        if f.boundable and i + 1 < len(found) and found[i + 1].boundable:
            g = found[i + 1]
            join = _RANGE_JOIN.fullmatch(text, f.end_at, g.start_at)
            head = _RANGE_HEAD.search(before)
            if join and (head or text[f.end_at : g.start_at].strip().lower() in ("-", "\u2013", "\u2014", "to")):
                start_at = f.start_at - len(head.group(0)) if head else f.start_at
                if f.reyear is not None and g.reyear is None and g.start is not None:
                    first, _, name = f.reyear(g.start.year)
                    if cal.at(first) > g.start:
                        first, _, name = f.reyear(g.start.year - 1)
                    f.start, f.name = cal.at(first), name
                label = _bounded_label(f"{_short(f)} to {_short(g)}", f.start, g.end)
                out.append(_Found(start_at, g.end_at, f.start, g.end, label))
                i += 2
                continue
        if f.boundable:
            if m := _SINCE.search(before):
                if re.fullmatch(r"from\s+(?:the\s+)?", m.group(0), re.I) and not _ON_WARDS.match(text, f.end_at):
                    f.start_at -= len(m.group(0))  # "deals from last quarter": that quarter's, not since it
                    out.append(f)
                    i += 1
                    continue
                if f.yearless and f.start is not None and f.start > cal.now:  # "since March 3": the past one
                    day = (
                        date(f.start.year - 1, *f.yearless) if f.yearless != (2, 29) else date(f.start.year - 4, 2, 29)
                    )
                    f.start, f.end, f.label = cal.at(day), cal.at(day + timedelta(days=1)), _fmt(day)
                start = f.end if _AFTER.search(before) else f.start
                end_at = f.end_at
                if on := _ON_WARDS.match(text, end_at):
                    end_at = on.end()
                word = "after" if _AFTER.search(before) else "since"
                label = _bounded_label(f"{word} {_short(f)}", start, None)
                out.append(_Found(f.start_at - len(m.group(0)), end_at, start, None, label, "since"))
                i += 1
                continue
            if m := _BEFORE.search(before):
                end = f.end if _INCLUSIVE_BEFORE.search(before) or "end" in m.group(0).lower() or f.edge else f.start
                word = "until" if end == f.end else "before"
                label = _bounded_label(f"{word} {_short(f)}", None, end)
                out.append(_Found(f.start_at - len(m.group(0)), f.end_at, None, end, label, "before"))
                i += 1
                continue
        out.append(f)
        i += 1
    return out


def _short(f: _Found) -> str:
    return f.name or f.label


def _bounded_label(name: str, start: datetime | None, end: datetime | None) -> str:
    """ "since June 2026 (from 2026-06-01)", "before 2026-05-01", "March 2026 to June 2026 (…)"."""
    if start is not None and end is not None:
        last = (end - timedelta(days=1)).date() if end.time() == datetime.min.time() else end.date()
        return f"{name} ({_fmt(start.date())} to {_fmt(last)})"
    if start is not None:
        return name if name.endswith(_fmt(start.date())) else f"{name} (from {_fmt(start.date())})"
    assert end is not None
    return name if name.endswith(_fmt(end.date())) else f"{name} (before {_fmt(end.date())})"


# --- the finder ---------------------------------------------------------------------------------------------------

_MAX_TEXT = 20_000


# --- typos in the time words ("lst 30 days", "six weks", "last quater") --------------------------------------------

_VOCABULARY_WORDS = (
    "last past next this since before until ago previous week weeks month months quarter quarters year years day days "
    "today tomorrow yesterday hours january february september october november december monday tuesday wednesday "
    "thursday friday saturday sunday"
)
_VOCABULARY = _VOCABULARY_WORDS.split()
# Real words one letter away from a time word: never corrected.
_REAL_WORDS = (
    "lost list lust lass pest post pasta paste pas nest newt thus thin his weed weak wee mouth moth mouths yeah yearn "
    "dad dam dry dams dads dais daze age ado due date data dates lasts pasts nexts weeds tis yes yet say ways toady "
    "least lest beast pat dan"
)
_NOT_TYPOS = frozenset(_REAL_WORDS.split())
_WORD_TOKEN = re.compile(r"(?<![^\W\d_])[A-Za-z]{3,}(?![^\W\d_])")  # a whole word of ASCII letters


def _correct(word: str) -> str | None:
    low = word.lower()
    if low in _NOT_TYPOS or low in _VOCABULARY or low in _UNITS:
        return None
    best, best_distance = None, 3
    for target in _VOCABULARY:
        if target[0] != low[0] or abs(len(target) - len(low)) > 2:
            continue
        allowed = 1 if len(target) <= 6 else 2
        distance = OSA.distance(low, target, score_cutoff=allowed)
        if distance <= allowed and distance < best_distance:
            best, best_distance = target, distance
    return best


def _untypo(text: str) -> tuple[str, list[int], list[int]] | None:
    """``text`` with misspelt time words corrected, and maps from its offsets back to the text's; None if none."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = [0]
    last = 0
    changed = False
    for m in _WORD_TOKEN.finditer(text):
        fixed = _correct(m.group(0))
        if fixed is None:
            continue
        changed = True
        pieces.append(text[last : m.start()])
        starts.extend(range(last, m.start()))
        ends.extend(range(last + 1, m.start() + 1))
        pieces.append(fixed)
        starts.extend([m.start()] * len(fixed))
        ends.extend([m.end()] * len(fixed))
        last = m.end()
    if not changed:
        return None
    pieces.append(text[last:])
    starts.extend(range(last, len(text) + 1))
    ends.extend(range(last + 1, len(text) + 1))
    return "".join(pieces), starts, ends


_LEAD_WORDS = re.compile(r"(?:(?:in|during|on|for|within|over|throughout|at|of|the)\s+)+", re.I)


def _core_length(f: _Found, text: str) -> int:
    """The length of a match without its leading prepositions: "of March" is shorter than "March 1"."""
    lead = _LEAD_WORDS.match(text, f.start_at, f.end_at)
    return f.end_at - (lead.end() if lead else f.start_at)


def find_time_expressions(text: str, now: datetime, *, week_starts: int = 0) -> list[TimeMatch]:
    """The time expressions in ``text``, in order, not overlapping; windows computed at ``now`` (tz-aware).

    ``week_starts``: 0 = weeks start on Monday (ISO), 6 = on Sunday. A time word one typo away is read as that word
    ("lst 30 days", "six weks"); spans are always into ``text`` as given.
    """
    if not isinstance(text, str) or not text:
        return []
    text = text[:_MAX_TEXT]
    cal = _Calendar(now, week_starts)
    corrected = _untypo(text)
    read = corrected[0] if corrected else text
    candidates: list[_Found] = []
    for pattern, handler in _RULES:
        for m in pattern.finditer(read):
            try:
                found = handler(m, cal, read)
            except (ValueError, OverflowError, KeyError):  # a date past the calendar's edges: not a time expression
                found = None
            if found is not None and found.end_at > found.start_at:
                candidates.append(found)
    candidates.sort(key=lambda f: (-_core_length(f, read), -(f.end_at - f.start_at), f.start_at))
    chosen: list[_Found] = []
    for f in candidates:
        if all(f.end_at <= c.start_at or c.end_at <= f.start_at for c in chosen):
            chosen.append(f)
    chosen.sort(key=lambda f: f.start_at)
    out = []
    for f in _bounds(chosen, read, cal):
        span = (corrected[1][f.start_at], corrected[2][f.end_at]) if corrected else (f.start_at, f.end_at)
        out.append(TimeMatch(span, f.start, f.end, f.label, f.direction))
    return out


def time_spans(text: str, now: datetime) -> list[tuple[int, int]]:
    """The spans of the time expressions in ``text`` (for ``amounts.find_numbers(exclude_spans=…)``)."""
    return [m.span for m in find_time_expressions(text, now)]
