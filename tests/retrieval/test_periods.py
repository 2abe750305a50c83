"""Time phrases: ``ago`` (a time → "3 days ago"), the one wording of both resolution and connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kgcrm.retrieval.periods import ago

NOW = datetime(2026, 3, 18, 8, 0, tzinfo=UTC)


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
    assert ago(then=NOW - timedelta(days=days), now=NOW) == words


def test_ago_counts_calendar_days_in_utc() -> None:
    late_yesterday = datetime(2026, 3, 17, 23, 0, tzinfo=UTC)  # 9 hours before NOW, but another day
    in_tokyo = datetime(2026, 3, 18, 1, 0, tzinfo=timezone(timedelta(hours=9)))  # 2026-03-17 16:00 UTC

    assert ago(then=late_yesterday, now=NOW) == "yesterday"
    assert ago(then=in_tokyo, now=NOW) == "yesterday"
    assert ago(then=datetime(2026, 3, 18, 0, 5, tzinfo=UTC), now=NOW) == "today"


def test_ago_of_a_future_time_is_today() -> None:
    assert ago(then=NOW + timedelta(days=3), now=NOW) == "today"


def test_ago_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        ago(NOW, NOW)  # type: ignore[misc]
