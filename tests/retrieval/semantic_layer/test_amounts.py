"""Numbers and money as people type them in questions; dates never read as amounts; any text terminates."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgcrm.retrieval.semantic_layer.amounts import (
    date_spans,
    find_amounts,
    find_currencies,
    find_numbers,
    find_percentages,
)


def one(text: str) -> tuple[str, Decimal, str | None]:
    found = find_numbers(text)
    assert len(found) == 1, (text, found)
    match = found[0]
    return text[match.span[0] : match.span[1]], match.value, match.currency


@pytest.mark.parametrize(
    ("text", "written", "value", "currency"),
    [
        ("how many open opps are above 75k", "75k", "75000", None),
        ("deals over 75K", "75K", "75000", None),
        ("bigger than $1.2M", "$1.2M", "1200000", "USD"),
        ("over 1.2m", "1.2m", "1200000", None),
        ("at least €50,000", "€50,000", "50000", "EUR"),
        ("at least 50 000 EUR please", "50 000 EUR", "50000", "EUR"),
        ("more than 2.5 million", "2.5 million", "2500000", None),
        ("worth $3bn", "$3bn", "3000000000", "USD"),
        ("over 1.5 bn", "1.5 bn", "1500000000", None),
        ("above fifty thousand", "fifty thousand", "50000", None),
        ("above seventy-five k", "seventy-five k", "75000", None),
        ("above twenty five k dollars", "twenty five k dollars", "25000", "USD"),
        ("one hundred and twenty five thousand", "one hundred and twenty five thousand", "125000", None),
        ("a hundred deals", "a hundred", "100", None),
        ("show six", "six", "6", None),
        ("a dozen accounts", "a dozen", "12", None),
        ("two dozen accounts", "two dozen", "24", None),
        ("half a million", "half a million", "500000", None),
        ("top five deals", "five", "5", None),
        ("1,250,000", "1,250,000", "1250000", None),
        ("1,250,000.50 usd", "1,250,000.50 usd", "1250000.5", "USD"),
        ("USD 50,000", "USD 50,000", "50000", "USD"),
        ("EUR50k", "EUR50k", "50000", "EUR"),
        ("50k euros", "50k euros", "50000", "EUR"),
        ("£20k", "£20k", "20000", "GBP"),
        ("20 grand", "20 grand", "20000", None),
        ("100 bucks", "100 bucks", "100", "USD"),
        ("fifty thousand pounds", "fifty thousand pounds", "50000", "GBP"),
        ("3 mil", "3 mil", "3000000", None),
        ("over .5M", ".5M", "500000", None),
        ("CHF 12k", "CHF 12k", "12000", "CHF"),
        ("US$ 9k", "US$ 9k", "9000", "USD"),
        ("5 real deals", "5", "5", None),
        ("deals over 500", "500", "500", None),
        ("deals over 2000", "2000", "2000", None),
        ("in the last 6 weeks", "6", "6", None),
    ],
)
def test_numbers_and_money(text, written, value, currency):
    assert one(text) == (written, Decimal(value), currency)


@pytest.mark.parametrize(
    ("text", "value"),
    [("above 60%", 60), ("60 percent or more", 60), ("probability over 75 %", 75), ("at 12.5 per cent", 12.5)],
)
def test_percentages_are_numbers_marked_percent(text, value):
    (match,) = find_percentages(text)
    assert match.value == Decimal(str(value)) and match.currency is None
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "deals closing Q3 2026",
        "created on 2026-03-01",
        "since 2026-03-01T10:00:00Z",
        "due March 3",
        "due March 3rd, 2026",
        "the 3rd of March",
        "in March 2026",
        "won in 2025",
        "since 2024",
        "before 2026",
        "for FY2026",
        "due 3/14",
        "due 14/03/2026",
        "2025-2026 pipeline",
        "the biggest one",
        "which one is it?",
        "one of them",
        "",
        "no numbers here",
    ],
)
def test_dates_and_pronouns_are_not_numbers(text):
    assert find_numbers(text) == []


def test_a_date_beside_an_amount_leaves_the_amount():
    text = "deals won in Q3 2026 over $10,000 since March 3"
    (match,) = find_amounts(text)
    assert text[match.span[0] : match.span[1]] == "$10,000" and match.value == 10000


def test_several_amounts_in_order_without_overlap():
    text = "between 50k and 1.2M EUR, top 5"
    found = find_numbers(text)
    assert [(text[a.span[0] : a.span[1]], a.value, a.currency) for a in found] == [
        ("50k", 50000, "EUR"),  # a range shares its currency
        ("1.2M EUR", 1200000, "EUR"),
        ("5", 5, None),
    ]
    assert [a.value for a in find_amounts(text)] == [50000, 1200000]


def test_exclude_spans_from_the_caller_add_to_the_built_in_date_finder():
    text = "last 30 days over 50k in 2025"
    assert [a.value for a in find_numbers(text)] == [30, 50000]
    assert [a.value for a in find_numbers(text, exclude_spans=[(0, 12)])] == [50000]
    assert [a.value for a in find_numbers(text, exclude_spans=[])] == [30, 50000]


def test_magnitude_and_words_flags():
    (k,) = find_numbers("75k")
    (plain,) = find_numbers("75")
    (words,) = find_numbers("fifty thousand")
    assert (k.magnitude, plain.magnitude, words.magnitude, words.words) == (True, False, True, True)


def test_date_spans_cover_the_date():
    text = "from Q3 2026 to 2026-12-01"
    assert [text[a:b] for a, b in date_spans(text)] == ["Q3 2026", "2026-12-01"]


_NOISE = st.lists(
    st.sampled_from(
        [
            *list("0123456789.,$€£%kKmMbB -/'\"()[]{}<>!?;:\n\t"),
            "\xa0",
            "é",
            "🙂",
            "零",
            *[
                "one",
                "two",
                "three",
                "hundred",
                "thousand",
                "million",
                "and",
                "dozen",
                "a",
                "half",
                "k",
                "grand",
                "usd",
                "eur",
                "dollars",
                "percent",
                "Q3",
                "March",
                "in",
                "since",
            ],
        ]
    ),
    max_size=3000,
).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(st.text(max_size=10_000), st.text(min_size=9_000, max_size=10_000), _NOISE))
def test_fuzz_terminates_fast_and_never_raises(text):
    started = time.perf_counter()
    for match in find_numbers(text) + find_amounts(text):
        assert 0 <= match.span[0] < match.span[1] <= len(text)
    assert time.perf_counter() - started < 2.0


def test_ten_kilobytes_of_number_words_is_fast():
    text = ("one two three four hundred and fifty thousand, " * 250)[:10_000] + " " + "9" * 5000
    started = time.perf_counter()
    find_numbers(text)
    find_amounts("$" * 10_000)
    find_amounts("1," * 5000)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("average deal size in EUR", [("EUR", "EUR")]),
        ("deals in euros", [("euros", "EUR")]),
        ("total in dollars and pounds", [("dollars", "USD"), ("pounds", "GBP")]),
        ("usd deals", [("usd", "USD")]),
        ("sum in $", [("$", "USD")]),
        ("deals over 50k EUR", []),  # the amount's currency, not a currency filter of its own
        ("Try it", []),
        ("the real deal", []),
    ],
)
def test_currencies_named_on_their_own(text, expected):
    assert [(text[c.span[0] : c.span[1]], c.currency) for c in find_currencies(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deals between 50 and 75k", [(50000, None), (75000, None)]),
        ("50-75k", [(50000, None), (75000, None)]),
        ("$50 to 75k", [(50000, "USD"), (75000, "USD")]),
        ("between 50 and 75k EUR", [(50000, "EUR"), (75000, "EUR")]),
        ("between fifty and seventy-five thousand dollars", [(50000, "USD"), (75000, "USD")]),
        ("between 2 and 3 million", [(2000000, None), (3000000, None)]),
        ("500 to 1k", [(500, None), (1000, None)]),  # 500k is not below 1k: a range of plain 500 and 1,000
        ("5 to 10 deals", [(5, None), (10, None)]),
        ("top 5 or 10k deals", [(5, None), (10000, None)]),
    ],
)
def test_a_range_shares_its_magnitude_and_currency(text, expected):
    assert [(a.value, a.currency) for a in find_numbers(text)] == [(Decimal(v), c) for v, c in expected]


def test_a_range_of_percentages():
    assert [(a.value, a.percent) for a in find_numbers("probability 50-60%")] == [(50, True), (60, True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€1.250.000", [(1250000, "EUR")]),
        ("1.250.000,50 EUR", [(Decimal("1250000.5"), "EUR")]),
        ("50.000 €", []),  # fifty thousand in Europe, fifty elsewhere: not read rather than misread
        ("$1.250M", [(1250000, "USD")]),
    ],
)
def test_european_digit_groups(text, expected):
    assert [(a.value, a.currency) for a in find_numbers(text)] == [(Decimal(v), c) for v, c in expected]
