"""The template answers' small formatting helpers (the answers themselves: test_ask.py)."""

from datetime import UTC, date, datetime

from neo4j.time import DateTime

from kgcrm.retrieval.templates import _day


def test_day_of_a_date_a_time_and_a_neo4j_time() -> None:
    assert _day(date(2026, 3, 4)) == "2026-03-04"
    assert _day(datetime(2026, 3, 4, 23, 59, tzinfo=UTC)) == "2026-03-04"
    assert _day(DateTime(2026, 3, 4, 8, 0, 0, tzinfo=UTC)) == "2026-03-04"


def test_day_of_a_missing_value_is_said_not_a_crash() -> None:
    assert _day(None) == "no date"
