"""Time expressions → half-open windows: a Duckling-style corpus at a fixed reference time.

The reference time is Wednesday 2026-11-18 10:00 UTC (Q4 2026; weeks start on Monday). Every expected window below
was worked out by hand from a calendar, never through the code under test. "now" is the reference instant, "-" an
open end; a bare date is midnight UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgcrm.retrieval.semantic_layer.timewords import find_time_expressions, time_spans

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

# phrase | start | end | direction (window unless written)
CORPUS = """
today | 2026-11-18 | 2026-11-19
yesterday | 2026-11-17 | 2026-11-18
tomorrow | 2026-11-19 | 2026-11-20
the day before yesterday | 2026-11-16 | 2026-11-17
the day after tomorrow | 2026-11-20 | 2026-11-21
this week | 2026-11-16 | 2026-11-23
current week | 2026-11-16 | 2026-11-23
last week | 2026-11-09 | 2026-11-16
previous week | 2026-11-09 | 2026-11-16
next week | 2026-11-23 | 2026-11-30
the week before last | 2026-11-02 | 2026-11-09
the week after next | 2026-11-30 | 2026-12-07
this month | 2026-11-01 | 2026-12-01
last month | 2026-10-01 | 2026-11-01
previous month | 2026-10-01 | 2026-11-01
next month | 2026-12-01 | 2027-01-01
the month before last | 2026-09-01 | 2026-10-01
this quarter | 2026-10-01 | 2027-01-01
current quarter | 2026-10-01 | 2027-01-01
this qtr | 2026-10-01 | 2027-01-01
last quarter | 2026-07-01 | 2026-10-01
previous quarter | 2026-07-01 | 2026-10-01
prior quarter | 2026-07-01 | 2026-10-01
next quarter | 2027-01-01 | 2027-04-01
the quarter before last | 2026-04-01 | 2026-07-01
this year | 2026-01-01 | 2027-01-01
last year | 2025-01-01 | 2026-01-01
next year | 2027-01-01 | 2028-01-01
this fiscal year | 2026-01-01 | 2027-01-01
last fiscal quarter | 2026-07-01 | 2026-10-01
the previous calendar year | 2025-01-01 | 2026-01-01
next fiscal year | 2027-01-01 | 2028-01-01
the year before last | 2024-01-01 | 2025-01-01
YTD | 2026-01-01 | now
ytd | 2026-01-01 | now
year to date | 2026-01-01 | now
year-to-date | 2026-01-01 | now
so far this year | 2026-01-01 | now
this year so far | 2026-01-01 | now
MTD | 2026-11-01 | now
month to date | 2026-11-01 | now
this month so far | 2026-11-01 | now
earlier this month | 2026-11-01 | now
QTD | 2026-10-01 | now
quarter to date | 2026-10-01 | now
so far this quarter | 2026-10-01 | now
WTD | 2026-11-16 | now
this week so far | 2026-11-16 | now
later this month | now | 2026-12-01
rest of the quarter | now | 2027-01-01
the rest of the year | now | 2027-01-01
Q1 | 2026-01-01 | 2026-04-01
Q2 | 2026-04-01 | 2026-07-01
Q3 | 2026-07-01 | 2026-10-01
Q4 | 2026-10-01 | 2027-01-01
q3 | 2026-07-01 | 2026-10-01
Q3 2026 | 2026-07-01 | 2026-10-01
Q3 2025 | 2025-07-01 | 2025-10-01
Q1 2027 | 2027-01-01 | 2027-04-01
Q3 '25 | 2025-07-01 | 2025-10-01
2025 Q3 | 2025-07-01 | 2025-10-01
2025-Q3 | 2025-07-01 | 2025-10-01
Q3 of 2025 | 2025-07-01 | 2025-10-01
Q2 FY25 | 2025-04-01 | 2025-07-01
next Q1 | 2027-01-01 | 2027-04-01
last Q4 | 2025-10-01 | 2026-01-01
first quarter | 2026-01-01 | 2026-04-01
third quarter of 2025 | 2025-07-01 | 2025-10-01
4th quarter 2025 | 2025-10-01 | 2026-01-01
H1 | 2026-01-01 | 2026-07-01
H2 | 2026-07-01 | 2027-01-01
H1 2025 | 2025-01-01 | 2025-07-01
first half of 2025 | 2025-01-01 | 2025-07-01
second half of the year | 2026-07-01 | 2027-01-01
in January | 2026-01-01 | 2026-02-01
in March | 2026-03-01 | 2026-04-01
in May | 2026-05-01 | 2026-06-01
in November | 2026-11-01 | 2026-12-01
in December | 2025-12-01 | 2026-01-01
during October | 2026-10-01 | 2026-11-01
next March | 2027-03-01 | 2027-04-01
next December | 2026-12-01 | 2027-01-01
last March | 2026-03-01 | 2026-04-01
last November | 2025-11-01 | 2025-12-01
this December | 2026-12-01 | 2027-01-01
March 2026 | 2026-03-01 | 2026-04-01
March 2025 | 2025-03-01 | 2025-04-01
Mar 2025 | 2025-03-01 | 2025-04-01
Sept 2025 | 2025-09-01 | 2025-10-01
September of 2025 | 2025-09-01 | 2025-10-01
December 2026 | 2026-12-01 | 2027-01-01
in Feb 2026 | 2026-02-01 | 2026-03-01
2026-03 | 2026-03-01 | 2026-04-01
February | 2026-02-01 | 2026-03-01
October | 2026-10-01 | 2026-11-01
2025 | 2025-01-01 | 2026-01-01
in 2025 | 2025-01-01 | 2026-01-01
during 2024 | 2024-01-01 | 2025-01-01
FY2025 | 2025-01-01 | 2026-01-01
FY25 | 2025-01-01 | 2026-01-01
2026 | 2026-01-01 | 2027-01-01
2026-05-01 | 2026-05-01 | 2026-05-02
on 2026-05-01 | 2026-05-01 | 2026-05-02
2026-11-18T09:00:00Z | 2026-11-18 | 2026-11-19
5/1/2026 | 2026-05-01 | 2026-05-02
14/03/2026 | 2026-03-14 | 2026-03-15
11/2 | 2026-11-02 | 2026-11-03
March 3 | 2027-03-03 | 2027-03-04
November 20 | 2026-11-20 | 2026-11-21
Nov 20th | 2026-11-20 | 2026-11-21
the 20th of November | 2026-11-20 | 2026-11-21
20 November 2025 | 2025-11-20 | 2025-11-21
January 5, 2026 | 2026-01-05 | 2026-01-06
on Monday | 2026-11-16 | 2026-11-17
on Friday | 2026-11-20 | 2026-11-21
last Friday | 2026-11-13 | 2026-11-14
last Wednesday | 2026-11-11 | 2026-11-12
next Monday | 2026-11-23 | 2026-11-24
next Wednesday | 2026-11-25 | 2026-11-26
this Thursday | 2026-11-19 | 2026-11-20
last 30 days | 2026-10-19T10:00 | now
past 30 days | 2026-10-19T10:00 | now
the last 30 days | 2026-10-19T10:00 | now
in the last 30 days | 2026-10-19T10:00 | now
over the past 30 days | 2026-10-19T10:00 | now
last thirty days | 2026-10-19T10:00 | now
previous 7 days | 2026-11-11T10:00 | now
last 7 days | 2026-11-11T10:00 | now
past week | 2026-11-11T10:00 | now
the past week | 2026-11-11T10:00 | now
past month | 2026-10-18T10:00 | now
past year | 2025-11-18T10:00 | now
past two weeks | 2026-11-04T10:00 | now
last 2 weeks | 2026-11-04T10:00 | now
the last couple of weeks | 2026-11-04T10:00 | now
past few days | 2026-11-15T10:00 | now
last 3 months | 2026-08-18T10:00 | now
last three months | 2026-08-18T10:00 | now
past 6 months | 2026-05-18T10:00 | now
last 2 quarters | 2026-05-18T10:00 | now
last 12 months | 2025-11-18T10:00 | now
trailing twelve months | 2025-11-18T10:00 | now
TTM | 2025-11-18T10:00 | now
last 2 years | 2024-11-18T10:00 | now
within 14 days | 2026-11-04T10:00 | now
within the last 14 days | 2026-11-04T10:00 | now
next 30 days | now | 2026-12-18T10:00
next 7 days | now | 2026-11-25T10:00
the next two weeks | now | 2026-12-02T10:00
next 3 months | now | 2027-02-18T10:00
coming 2 weeks | now | 2026-12-02T10:00
six weeks ago | 2026-10-05 | 2026-10-12
6 weeks ago | 2026-10-05 | 2026-10-12
a week ago | 2026-11-09 | 2026-11-16
3 days ago | 2026-11-15 | 2026-11-16
two days ago | 2026-11-16 | 2026-11-17
2 months ago | 2026-09-01 | 2026-10-01
a month ago | 2026-10-01 | 2026-11-01
a year ago | 2025-01-01 | 2026-01-01
more than 6 weeks ago | - | 2026-10-07T10:00 | before
over 6 weeks ago | - | 2026-10-07T10:00 | before
more than 30 days ago | - | 2026-10-19T10:00 | before
older than 30 days | - | 2026-10-19T10:00 | before
older than six weeks | - | 2026-10-07T10:00 | before
6 weeks old | - | 2026-10-07T10:00 | before
more than a month ago | - | 2026-10-18T10:00 | before
for six weeks | - | 2026-10-07T10:00 | before
for 6 weeks | - | 2026-10-07T10:00 | before
in six weeks | - | 2026-10-07T10:00 | before
in 6 weeks | - | 2026-10-07T10:00 | before
for over a month | - | 2026-10-18T10:00 | before
in more than 30 days | - | 2026-10-19T10:00 | before
for at least two weeks | - | 2026-11-04T10:00 | before
for 3 months | - | 2026-08-18T10:00 | before
for 90 days | - | 2026-08-20T10:00 | before
since June | 2026-06-01 | - | since
since last week | 2026-11-09 | - | since
since last month | 2026-10-01 | - | since
since Q2 | 2026-04-01 | - | since
since 2025 | 2025-01-01 | - | since
since 2026-03-01 | 2026-03-01 | - | since
since March 3 | 2026-03-03 | - | since
since the start of the year | 2026-01-01 | - | since
since the beginning of the month | 2026-11-01 | - | since
since yesterday | 2026-11-17 | - | since
after June | 2026-07-01 | - | since
after 2026-05-01 | 2026-05-02 | - | since
from June on | 2026-06-01 | - | since
from June onwards | 2026-06-01 | - | since
starting from June | 2026-06-01 | - | since
from last quarter | 2026-07-01 | 2026-10-01
from 2024 | 2024-01-01 | 2025-01-01
before 2026-05-01 | - | 2026-05-01 | before
before June | - | 2026-06-01 | before
before Q3 2025 | - | 2025-07-01 | before
before last week | - | 2026-11-09 | before
before 2025 | - | 2025-01-01 | before
prior to March 2026 | - | 2026-03-01 | before
until June | - | 2026-07-01 | before
until the end of the month | - | 2026-12-01 | before
by the end of the quarter | - | 2027-01-01 | before
by end of year | - | 2027-01-01 | before
by Friday | - | 2026-11-21 | before
through Q1 2027 | - | 2027-04-01 | before
from March to June | 2026-03-01 | 2026-07-01
between March and May 2026 | 2026-03-01 | 2026-06-01
from 2026-03-01 to 2026-04-15 | 2026-03-01 | 2026-04-16
2026-03-01 to 2026-04-15 | 2026-03-01 | 2026-04-16
between Q1 and Q2 2026 | 2026-01-01 | 2026-07-01
between 2024 and 2025 | 2024-01-01 | 2026-01-01
end of the quarter | now | 2027-01-01
Q3 last year | 2025-07-01 | 2025-10-01
Q1 of next year | 2027-01-01 | 2027-04-01
March last year | 2025-03-01 | 2025-04-01
in March of last year | 2025-03-01 | 2025-04-01
H1 last year | 2025-01-01 | 2025-07-01
between March and May 2025 | 2025-03-01 | 2025-06-01
from Nov to Jan 2026 | 2025-11-01 | 2026-02-01
from Q3 to Q1 2027 | 2026-07-01 | 2027-04-01
this past week | 2026-11-11T10:00 | now
end of last quarter | 2026-09-30 | 2026-10-01
by the end of next month | - | 2027-01-01 | before
by EOQ | - | 2027-01-01 | before
EOY | now | 2027-01-01
since the start of last month | 2026-10-01 | - | since
since the beginning of last year | 2025-01-01 | - | since
last weekend | 2026-11-14 | 2026-11-16
over the weekend | 2026-11-14 | 2026-11-16
this weekend | 2026-11-21 | 2026-11-23
next weekend | 2026-11-28 | 2026-11-30
last 24 hours | 2026-11-17T10:00 | now
in the past 2 hours | 2026-11-18T08:00 | now
3 hours ago | 2026-11-18T07:00 | 2026-11-18T08:00
for 48 hours | - | 2026-11-16T10:00 | before
in the lst 30 days | 2026-10-19T10:00 | now
last quater | 2026-07-01 | 2026-10-01
in six weks | - | 2026-10-07T10:00 | before
past 3 mnths | 2026-08-18T10:00 | now
sinc yesterday | 2026-11-17 | - | since
yesterdy | 2026-11-17 | 2026-11-18
nxt month | 2026-12-01 | 2027-01-01
in Septmber | 2026-09-01 | 2026-10-01
"""


def _moment(raw: str) -> datetime | None:
    raw = raw.strip()
    if raw == "-":
        return None
    if raw == "now":
        return NOW
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _cases() -> list[tuple[str, datetime | None, datetime | None, str]]:
    cases = []
    for line in CORPUS.strip().splitlines():
        parts = [p.strip() for p in line.split("|")]
        phrase, start, end = parts[:3]
        cases.append((phrase, _moment(start), _moment(end), parts[3] if len(parts) > 3 else "window"))
    return cases


CASES = _cases()
# Around each phrase: as typed in a question, capitalised, shouted, lower-case.
TEMPLATES = ["{}", "how many opps {}?", "{} - what did we win", "Deals {}, please."]


def _variants() -> list[tuple[str, str, datetime | None, datetime | None, str]]:
    out = []
    for phrase, start, end, direction in CASES:
        for template in TEMPLATES:
            out.append((template, phrase, start, end, direction))
        out.append(("{}", phrase.upper() if len(phrase) > 3 else phrase, start, end, direction))
        out.append(("{}", phrase.lower(), start, end, direction))
    return out


def test_the_corpus_is_large():
    assert len(CASES) >= 200 and len(_variants()) >= 1000


@pytest.mark.parametrize(("template", "phrase", "start", "end", "direction"), _variants())
def test_corpus(template, phrase, start, end, direction):
    text = template.format(phrase)
    found = find_time_expressions(text, NOW)

    assert len(found) == 1, (text, found)
    (match,) = found
    assert text[match.span[0] : match.span[1]] == phrase
    assert (match.start, match.end, match.direction) == (start, end, direction), match.label


@pytest.mark.parametrize(
    "text",
    [
        "deals over 2000",
        "top 5 deals",
        "over 50k",
        "which one is biggest",
        "may I see the pipeline",
        "March forward with the deal",
        "what's the last deal",
        "last name Smith",
        "the first deal",
        "this deal",
        "next step for Acme",
        "overdue tasks",
        "recent notes",
        "closing soon",
        "Q5 pipeline",
        "2026-13-45",
        "deals above $2025",
        "more than 2025 USD",
        "I sat on it",
        "the sun",
        "weekly report",
        "monthly recurring revenue",
        "the list of deals",
        "deals by age",
        "yeah show me",
        "lost deals",
        "the weak ones",
        "open deals as of today",
        "pipeline as of March 1",
        "",
    ],
)
def test_not_time_expressions(text):
    assert find_time_expressions(text, NOW) == []


def test_closing_in_six_weeks_looks_ahead():
    (match,) = find_time_expressions("deals closing in six weeks", NOW)
    assert (match.start, match.end, match.direction) == (NOW, NOW + timedelta(weeks=6), "window")
    (match,) = find_time_expressions("open deals nobody touched for six weeks", NOW)
    assert (match.start, match.end, match.direction) == (None, NOW - timedelta(weeks=6), "before")


def test_several_expressions_in_one_question_in_order():
    text = "deals created last quarter and closing next month over 50k"
    found = find_time_expressions(text, NOW)
    assert [text[m.span[0] : m.span[1]] for m in found] == ["last quarter", "next month"]


def test_labels_restate_the_window():
    (match,) = find_time_expressions("this quarter", NOW)
    assert match.label == "this quarter (2026-10-01 to 2026-12-31)"
    (match,) = find_time_expressions("past 6 weeks", NOW)
    assert match.label == "the last 6 weeks"
    (match,) = find_time_expressions("since June", NOW)
    assert match.label == "since June 2026 (from 2026-06-01)"


def test_weeks_can_start_on_sunday():
    (match,) = find_time_expressions("this week", NOW, week_starts=6)
    assert (match.start, match.end) == (datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))


def test_calendar_boundaries_follow_the_time_zone_of_now():
    tz = timezone(timedelta(hours=-8))
    now = datetime(2026, 12, 31, 20, 0, tzinfo=tz)  # already 2027 in UTC
    (match,) = find_time_expressions("this year", now)
    assert (match.start, match.end) == (datetime(2026, 1, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz))


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        find_time_expressions("today", datetime(2026, 11, 18))


def test_time_spans():
    assert time_spans("won last quarter over 50k", NOW) == [(4, 16)]


def test_month_edges_are_calendar_months():
    now = datetime(2026, 5, 31, 12, tzinfo=UTC)
    (match,) = find_time_expressions("last 3 months", now)
    assert match.start == datetime(2026, 2, 28, 12, tzinfo=UTC)


_WORDS = st.sampled_from(
    [
        "last",
        "past",
        "next",
        "this",
        "since",
        "before",
        "until",
        "between",
        "and",
        "from",
        "to",
        "in",
        "for",
        "ago",
        "older",
        "than",
        "weeks",
        "days",
        "months",
        "quarter",
        "year",
        "Q3",
        "Q4",
        "2026",
        "2025",
        "March",
        "May",
        "June",
        "Monday",
        "2026-05-01",
        "3/14",
        "ytd",
        "the",
        "of",
        "end",
        "start",
        "six",
        "6",
        "30",
        "a",
        "couple",
        "few",
        "-",
        ",",
        ".",
        "?",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    st.one_of(
        st.text(max_size=10_000),
        st.text(min_size=9_000, max_size=10_000),
        st.lists(_WORDS, max_size=2000).map(" ".join),
    )
)
def test_fuzz_terminates_fast_and_never_raises(text):
    started = time.perf_counter()
    for match in find_time_expressions(text, NOW):
        assert 0 <= match.span[0] < match.span[1] <= len(text)
        assert match.start is None or match.end is None or match.start < match.end
    assert time.perf_counter() - started < 2.0
