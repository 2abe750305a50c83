"""Names: normalisation, nicknames, typos and graded comparisons (pure functions)."""

from __future__ import annotations

import pytest

from kgcrm.core import names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  PRIYA   Pátel ", ["priya", "patel"]),
        ("O'Brien-Smith", ["o", "brien", "smith"]),
        ("Jonás Garión", ["jonas", "garion"]),
        ("", []),
        (None, []),
        ("name:* OR ~\\", ["name", "or"]),
    ],
)
def test_tokens_fold_case_accents_and_punctuation(text, expected):
    assert names.tokens(text) == expected


def test_compact_runs_words_together():
    assert names.compact("Helix Works") == names.compact("HELIXWORKS") == "helixworks"


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("Acme Corp.", ["acme"]),
        ("ACME Corporation", ["acme"]),
        ("Northwind Traders Inc.", ["northwind", "traders"]),
        ("Foo, Inc", ["foo"]),
        ("The Home Depot", ["home", "depot"]),
        ("Inc", ["inc"]),  # a suffix alone is the name
    ],
)
def test_org_core_drops_legal_suffixes(name, core):
    assert names.org_core(name) == core


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Bob", "Robert", True),
        ("robert", "BOB", True),
        ("Liz", "Elizabeth", True),
        ("Mike", "Michael", True),
        ("Bob", "Rob", True),  # both short for Robert
        ("Bob", "Priya", False),
        ("Michael", "Robert", False),
        ("", "Bob", False),
    ],
)
def test_first_name_variants(a, b, expected):
    assert names.are_name_variants(a, b) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("patel", "patell", True),
        ("white", "whtie", True),  # a transposition is one slip
        ("richardson", "richaedson", True),
        ("castillo", "castilllo", True),
        ("smith", "smythe", False),  # two edits in a short name
        ("lee", "lea", True),
        ("al", "ali", False),  # too short to tell
        ("chen", "chen", False),  # the same is no typo
    ],
)
def test_is_typo(a, b, expected):
    assert names.is_typo(a, b) is expected


@pytest.mark.parametrize(
    ("a", "b", "level", "reason"),
    [
        (("Robert", "Smith"), ("Robert", "Smith"), "exact", "name matches exactly"),
        (("ROBERT ", " smith"), ("Robert", "Smith"), "exact", "ignoring case"),
        (("Bob", "Smith"), ("Robert", "Smith"), "nickname", "nickname Bob → Robert"),
        (("Priya", "Patell"), ("Priya", "Patel"), "typo", "close spelling"),
        (("R", "Smith"), ("Robert", "Smith"), "initial", "initial R."),
        (("Anna", "Smith"), ("Robert", "Smith"), "last_only", "same last name"),
        (("Robert", "Jones"), ("Robert", "Smith"), "first_only", "same first name"),
        (("Smith", "Robert"), ("Robert", "Smith"), "typo", "swapped"),
        (("Maria", "Garcia"), ("Robert", "Smith"), "differ", "names differ"),
        (("Bob", None), ("Robert", "Smith"), "first_only", "nickname Bob → Robert"),
        ((None, "Smith"), ("Robert", "Smith"), "last_only", "last name Smith"),
    ],
)
def test_compare_person_names_levels_and_reasons(a, b, level, reason):
    verdict = names.compare_person_names(*a, *b)
    assert verdict.level == level
    assert reason in verdict.reason


def test_person_name_similarity_orders_the_levels():
    def score(first: str, last: str) -> float:
        return names.compare_person_names(first, last, "Robert", "Smith").score

    assert score("Robert", "Smith") > score("Bob", "Smith") > score("Robert", "Smyth") > score("Anna", "Smith")
    assert score("Anna", "Jones") == 0.0


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("acme corp.", "ACME Corporation", "exact"),
        ("Globex Corp", "Globex", "exact"),
        ("Helix Works", "Helixworks", "exact"),
        ("Northwind", "Northwind Traders Inc.", "short"),
        ("Fisher Suply", "Fisher Supply Ltd", "typo"),
        ("Acme Europe", "Acme", "partial"),
        ("Globex", "Initech", "differ"),
    ],
)
def test_compare_org_names(a, b, level):
    assert names.compare_org_names(a, b).level == level


def test_compare_text_names_counts_words_of_the_title():
    verdict = names.compare_text_names("Northwind", "Northwind Traders — renewal")
    assert verdict.level == "partial"
    assert 0 < verdict.score < 1
    assert names.compare_text_names("Globex", "Northwind Traders — renewal").score == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("WWW.acme.com.", "acme.com"),
        ("acme.com:443", "acme.com"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_domain(value, expected):
    assert names.normalize_domain(value) == expected


def test_normalize_email_and_phone():
    assert names.normalize_email(" Robert.Smith@ACME.com ") == "robert.smith@acme.com"
    assert names.normalize_email("not an address") is None
    assert names.normalize_phone("+1 415-555-0101") == names.normalize_phone("(415) 555 0101") == "4155550101"
    assert names.normalize_phone("12 34") is None
