"""The fitted person matcher: normalisation, the blocking keys, reasons in words (no graph)."""

from __future__ import annotations

import itertools

import pytest

from kgcrm.retrieval.dedupe_fit import FittedMatcher, cap_blocks, clean, clean_email, e164, prepare_person

CYRILLIC_A = "\u0430"
ZERO_WIDTH = "\u200b"


def test_clean_folds_compatibility_forms_invisible_characters_and_homoglyphs():
    assert clean(f"M{CYRILLIC_A}ria") == "maria"  # homoglyph mapped by the confusables table
    assert clean(f"Ma{ZERO_WIDTH}ria\u00ad") == "maria"  # zero-width space, soft hyphen
    assert clean("\uff2d\uff41\uff52\uff49\uff41") == "maria"  # full-width letters (NFKC)
    assert clean("  JOSÉ   Núñez ") == "jose nunez"
    assert clean("Михаил") == clean("Михаил")  # a real Cyrillic name is left comparable with itself
    assert clean(None) == ""


def test_clean_drops_ascii_control_characters_like_any_other_invisible_one():
    assert clean("Ma\tria\x00 \x7fLEE ") == "maria lee"  # plain ASCII takes a shorter path: the same result
    assert clean("Ma\tria\x00 \x7fLÉE ") == "maria lee"


def test_phones_to_e164_and_emails_split():
    forms = ["(415) 555-0101", "+1 415 555 0101", "415.555.0101", "1-415-555-0101", f"415{ZERO_WIDTH}5550101"]
    assert {e164(f) for f in forms} == {"+14155550101"}
    assert e164("12") is None
    assert clean_email(f" Jane.Doe@ACME.com{ZERO_WIDTH}") == ("jane.doe@acme.com", "jane.doe", "acme.com")
    assert clean_email("no-at-sign") is None


def test_employer_is_compared_by_organization_name_not_record():
    a = prepare_person({"id": "a", "first_name": "Ann", "last_name": "Lee", "employers": [
        {"id": "o1", "name": "Acme Corp.", "current": True}]})  # fmt: skip
    b = prepare_person({"id": "b", "first_name": "Ann", "last_name": "Lee", "employers": [
        {"id": "o2", "name": "ACME", "current": True}]})  # fmt: skip
    assert a["org"] == b["org"] == "acme"


def test_a_swap_keeps_its_blocking_keys():
    a = prepare_person({"id": "a", "first_name": "Maria", "last_name": "Lopez", "location": "Austin"})
    b = prepare_person({"id": "b", "first_name": "Lopez", "last_name": "Maria", "location": "Austin"})
    keys = [k for k in a if k.startswith("bk_") and a[k] is not None]
    assert keys and all(a[k] == b[k] for k in keys)


def _people() -> list[dict[str, object]]:
    """A small tenant: two records of Jane Doe written differently, and people who only look alike."""
    jane = {"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@acme.com", "phone": "(415) 555-0101",
            "location": "Austin", "employers": [{"id": "o1", "name": "Acme Inc", "current": True}]}  # fmt: skip
    noisy = {**jane, "first_name": f"J{CYRILLIC_A}ne", "email": "JANE.DOE@acme.co", "phone": "+1 415 555 0101",
             "location": "Austn", "employers": [{"id": "o9", "name": "Acme, Inc.", "current": True}]}  # fmt: skip
    people = [{"id": "jane-1", **jane}, {"id": "jane-2", **noisy}]
    # a namesake at the same company: another mailbox and phone
    people.append({**jane, "id": "jane-3", "email": "jdoe@acme.com", "phone": "(415) 555-0199"})
    firsts, lasts = ["Omar", "Lena", "Raj", "Ines", "Tom", "Yuki"], ["Haddad", "Berg", "Patel", "Silva", "Novak"]
    for i, (first, last) in enumerate(itertools.product(firsts, lasts)):
        employer = {"id": f"c{i}", "name": f"Corp {i}", "current": True}
        email = f"{first.lower()}.{last.lower()}@corp{i}.com"
        people.append({"id": f"p{i:02d}", "first_name": first, "last_name": last, "email": email,
                       "phone": f"212555{i:04d}", "location": "Boston", "employers": [employer]})  # fmt: skip
    return people


@pytest.fixture(scope="module")
def run():
    return FittedMatcher().match(_people(), keep_blocked=True)


def test_the_noisy_copy_is_found_and_explains_itself_field_by_field(run):
    pairs = {(p.a, p.b): p for p in run.pairs}
    assert ("jane-1", "jane-2") in pairs
    pair = pairs[("jane-1", "jane-2")]
    fields = {f.field: f for f in pair.fields}
    assert fields["email"].level == "domain typo" and fields["email"].weight > 0
    assert fields["phone"].level == "exact"  # two ways of writing one number
    assert fields["employer"].weight > 0  # two organization records, one name
    assert any("acme.com / acme.co" in reason for reason in pair.reasons)
    # the field weights add up to the pair's match weight, less one prior shared by every pair of the run
    priors = {round(p.weight - sum(f.weight for f in p.fields), 2) for p in run.pairs}
    assert len(priors) == 1 and priors.pop() < 0


def test_the_namesake_at_the_same_company_is_not_a_duplicate(run):
    found = {(p.a, p.b) for p in run.pairs}
    assert ("jane-1", "jane-3") not in found
    assert ("jane-1", "jane-3") in (run.blocked or set())  # compared, and turned down on the evidence


def test_missing_values_are_neutral():
    people = _people()
    people[1] = {**people[1], "phone": None, "location": None}
    pairs = {(p.a, p.b): p for p in FittedMatcher().match(people).pairs}
    assert "phone" not in {f.field for f in pairs[("jane-1", "jane-2")].fields}


def test_a_key_shared_by_more_records_than_the_cap_makes_no_pairs():
    rows = [{"phone": "+14155550100", "bk_sorted": f"name {i}"} for i in range(5)]
    rows.append({"phone": "+14155550199", "bk_sorted": "name 0"})
    assert cap_blocks(rows, ("phone", "bk_sorted"), max_block=4) == 1
    assert [r["bk_phone"] for r in rows] == [None] * 5 + ["+14155550199"]  # the switchboard is not a key
    assert [r["phone"] for r in rows][:5] == ["+14155550100"] * 5  # still compared when another key meets
    assert [r["bk_sorted"] for r in rows] == ["name 0", "name 1", "name 2", "name 3", "name 4", "name 0"]


def test_colleagues_on_one_switchboard_are_not_all_compared():
    firsts, lasts = ["Omar", "Lena", "Raj", "Ines", "Tom", "Yuki"], ["Haddad", "Berg", "Patel", "Silva", "Novak"]
    people = [
        {
            "id": f"s{i:02d}",
            "first_name": first,
            "last_name": last,
            "phone": "(415) 555-0100",
            "email": f"{first}.{last}@corp{i}.com",
            "location": ["Boston", "Denver", "Austin"][i % 3],
        }
        for i, (first, last) in enumerate(itertools.product(firsts, lasts))
    ]
    capped = FittedMatcher(max_block=10).match(people, keep_blocked=True)
    assert capped.blocked == set() and capped.compared == 0
    uncapped = FittedMatcher().match(people, keep_blocked=True)
    assert len(uncapped.blocked or ()) == 30 * 29 // 2  # every pair shares the phone
    assert set(capped.timings) >= {"prepare", "fit u", "predict", "explain"}
