"""Typos of the semantic model's own words, made systematically (two letters swapped, one dropped, one doubled), are
written right; and a typo is never turned into another word of the model (which would ask another question)."""

from __future__ import annotations

from kgcrm.retrieval.semantic_layer.model import ENTITIES
from kgcrm.retrieval.semantic_layer.parser import _GRAMMAR_WORDS, correct_typos

VOCABULARY = sorted(_GRAMMAR_WORDS | {w for e in ENTITIES for w in e.synonyms if " " not in w and "-" not in w})


def single_edit_typos(word: str) -> set[str]:
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    dropped = {word[:i] + word[i + 1 :] for i in range(len(word))}
    doubled = {word[:i] + word[i] + word[i:] for i in range(len(word))}
    return (swapped | dropped | doubled) - set(VOCABULARY)


def test_most_single_edit_typos_of_the_models_words_are_corrected_and_few_change_meaning() -> None:
    cases = [(typo, word) for word in VOCABULARY if len(word) >= 4 for typo in single_edit_typos(word)]
    corrected = [typo for typo, word in cases if correct_typos(typo) == word]
    # another word of the model, not merely its plural or singular ("deall" → "deals" asks the same question)
    changed = [
        (typo, word, got)
        for typo, word in cases
        if (got := correct_typos(typo)) not in (typo, word) and got.rstrip("s") != word.rstrip("s")
    ]
    assert len(corrected) >= 0.85 * len(cases), f"{len(corrected)} of {len(cases)}"
    assert len(changed) <= 0.005 * len(cases), changed


def test_a_real_word_is_not_a_typo_of_a_short_model_word() -> None:
    assert correct_typos("web form leads") == "web form leads"  # "form" is not "from"
    assert correct_typos("lots of opne dael") == "lots of open deal"  # "lots" is not "lost"; swapped letters are
