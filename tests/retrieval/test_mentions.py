"""Parsing mentions: names, exact keys, context, type hints, descriptions and time windows (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kgcrm.retrieval.mentions import MAX_MENTION_CHARS, parse_mention

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)  # a Wednesday


def parsed(text: str) -> dict[str, object]:
    """The fields a mention set, besides its text."""
    mention = parse_mention(text, now=NOW)
    return {k: v for k, v in vars(mention).items() if v and k != "text"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Liz Chen", {"name": "Liz Chen"}),
        ("acme corp.", {"name": "acme corp"}),
        ("Bob at Acme", {"name": "Bob", "context": "Acme"}),
        ("Robert Smith from Acme", {"name": "Robert Smith", "context": "Acme"}),
        ("Bob @ Acme", {"name": "Bob", "context": "Acme"}),
        ("Bob (Acme)", {"name": "Bob", "context": "Acme"}),
        ("Acme's Bob", {"name": "Bob", "context": "Acme"}),
        ("Priya from the Northwind deal", {"name": "Priya", "context": "Northwind", "context_is_deal": True}),
        (
            "priya@northwind.io",
            {"email": "priya@northwind.io", "domain": "northwind.io", "type_hint": "Person"},
        ),
        ("northwind.io", {"name": "northwind", "domain": "northwind.io", "type_hint": "Organization"}),
        ("https://www.acme.com/about", {"name": "acme", "domain": "acme.com", "type_hint": "Organization"}),
        (
            "the robotics startup in Austin",
            {"type_hint": "Organization", "descriptor": ("robotics", "startup"), "location": "Austin"},
        ),
        (
            "a company that makes warehouse robots",
            {"type_hint": "Organization", "descriptor": ("company", "warehouse", "robots")},
        ),
        (
            "the firm building AI-assisted radiology",
            {"type_hint": "Organization", "descriptor": ("firm", "building", "ai", "assisted", "radiology")},
        ),
        ("the Northwind deal", {"name": "Northwind", "type_hint": "Lead"}),
        ("the Acme account", {"name": "Acme", "type_hint": "Account"}),
        ("Bank of America", {"name": "Bank of America"}),
        ("Kim at sparrowspaces.com", {"name": "Kim", "context": "sparrowspaces.com"}),
    ],
)
def test_names_keys_and_context(text, expected):
    assert parsed(text) == expected


def test_the_company_we_met_last_week():
    mention = parse_mention("the company we met last week", now=NOW)
    assert mention.name is None
    assert mention.type_hint == "Organization"
    assert mention.interaction and mention.interaction_kinds == ("meeting",)
    assert mention.window is not None
    assert (mention.window.start, mention.window.end) == (
        datetime(2026, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 16, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "kinds", "type_hint"),
    [
        ("who we met yesterday", ("meeting",), "Person"),
        ("the person we called last week", ("call",), "Person"),
        ("people we emailed in March", ("email",), "Person"),
        ("the startup we texted today", ("message",), "Organization"),
        ("the company we talked to last month", (), "Organization"),
    ],
)
def test_interaction_verbs_and_type_hints(text, kinds, type_hint):
    mention = parse_mention(text, now=NOW)
    assert mention.interaction
    assert mention.interaction_kinds == kinds
    assert mention.type_hint == type_hint
    assert mention.name is None


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("yesterday", "2026-03-17", "2026-03-18"),
        ("today", "2026-03-18", "2026-03-19"),
        ("this week", "2026-03-16", "2026-03-23"),
        ("last week", "2026-03-09", "2026-03-16"),
        ("last month", "2026-02-01", "2026-03-01"),
        ("this month", "2026-03-01", "2026-04-01"),
        ("in March", "2026-03-01", "2026-04-01"),
        ("in December", "2025-12-01", "2026-01-01"),  # the latest December, last year
        ("last March", "2025-03-01", "2025-04-01"),
        ("3 days ago", "2026-03-15", "2026-03-16"),
        ("two weeks ago", "2026-03-02", "2026-03-09"),
        ("on Monday", "2026-03-16", "2026-03-17"),
        ("on Wednesday", "2026-03-11", "2026-03-12"),  # today is Wednesday: the one before
        ("last year", "2025-01-01", "2026-01-01"),
    ],
)
def test_time_windows_are_relative_to_now(phrase, start, end):
    mention = parse_mention(f"Bob we met {phrase}", now=NOW)
    assert mention.name == "Bob"
    assert mention.window is not None
    assert mention.window.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert mention.window.end == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_rolling_windows_end_now():
    mention = parse_mention("the company we met in the last 10 days", now=NOW)
    assert mention.window is not None
    assert mention.window.contains(NOW)
    assert (NOW - mention.window.start).days == 10


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        'name:* OR id:* AND "x"~2 \\',
        '") MATCH (n) DETACH DELETE n //',
        "' OR 1=1 --",
        "Robert\u200b Smith\u202e",
        "😀 at 🏢",
        "x" * 10_000,
        "the the the",
        "at from @",
    ],
)
def test_any_text_parses_without_error(text):
    mention = parse_mention(text, now=NOW)
    assert len(mention.text) <= MAX_MENTION_CHARS
    assert all(ord(ch) >= 32 for ch in mention.text)


def test_empty_text_names_nothing():
    assert parse_mention("  the  ", now=NOW).is_empty
    assert not parse_mention("Bob", now=NOW).is_empty
