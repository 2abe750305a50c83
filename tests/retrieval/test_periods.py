"""parse_period (the template path's interface) reads through the semantic layer's time grammar."""

from __future__ import annotations

from datetime import UTC, datetime

from kgcrm.retrieval.periods import parse_period

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
