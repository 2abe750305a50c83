"""parse_period (the template path's interface) reads through the semantic layer's time grammar; ``ago`` says a time
back ("3 days ago"), the one wording of both resolution and connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kgcrm.retrieval.periods import ago, parse_period

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_first_time_phrase_as_a_bounded_period():
    period = parse_period("How many deals did we win this quarter?", NOW)
    assert period is not None
    assert (period.start, period.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period.contains(NOW) and not period.contains(datetime(2027, 1, 1, tzinfo=UTC))


def test_last_n_days_ends_now_and_open_ends_are_closed_at_the_calendar_edges():
    period = parse_period("deals created in the last 30 days", NOW)
    assert period is not None and (period.start, period.end) == (datetime(2026, 10, 26, 9, tzinfo=UTC), NOW)
    since = parse_period("deals won since June", NOW)
    assert (
        since is not None
        and since.start == datetime(2026, 6, 1, tzinfo=UTC)
        and since.contains(datetime(2030, 1, 1, tzinfo=UTC))
    )


def test_no_time_phrase():
    assert parse_period("What is the total value of all deals?", NOW) is None


AGO_NOW = datetime(2026, 3, 18, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "today"),
        (1, "yesterday"),
        (2, "2 days ago"),
        (13, "13 days ago"),
        (14, "2 weeks ago"),
        (59, "8 weeks ago"),
        (60, "2 months ago"),
        (729, "24 months ago"),
        (730, "2 years ago"),
        (1100, "3 years ago"),
    ],
)
def test_ago_in_days_weeks_months_years(days: int, words: str) -> None:
    assert ago(then=AGO_NOW - timedelta(days=days), now=AGO_NOW) == words


def test_ago_counts_calendar_days_in_utc() -> None:
    late_yesterday = datetime(2026, 3, 17, 23, 0, tzinfo=UTC)  # 9 hours before AGO_NOW, but another day
    in_tokyo = datetime(2026, 3, 18, 1, 0, tzinfo=timezone(timedelta(hours=9)))  # 2026-03-17 16:00 UTC

    assert ago(then=late_yesterday, now=AGO_NOW) == "yesterday"
    assert ago(then=in_tokyo, now=AGO_NOW) == "yesterday"
    assert ago(then=datetime(2026, 3, 18, 0, 5, tzinfo=UTC), now=AGO_NOW) == "today"


def test_ago_of_a_future_time_is_today() -> None:
    assert ago(then=AGO_NOW + timedelta(days=3), now=AGO_NOW) == "today"


def test_ago_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        ago(AGO_NOW, AGO_NOW)  # type: ignore[misc]
