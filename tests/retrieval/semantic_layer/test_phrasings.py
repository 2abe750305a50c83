"""The talk around a question is taken out from a closed list only: what is not on it stays for the parser to use
or to report."""

from __future__ import annotations

import pytest

from kgcrm.retrieval.semantic_layer.phrasings import strip_talk


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("hey, quick q — # of opps in Prospecting atm?? pls", "# of opps in Prospecting atm??"),
        ("um how many deals are like still open right now", "how many deals are still open right now"),
        ("my boss wants to know: what's our single biggest open deal?", "what's our single biggest open deal?"),
        ("hey so the MD asked and i dont have it handy — how many deals are open", "how many deals are open"),
        ("can someone pull the 5 biggest open opps — fyi it's for the QBR", "can someone pull the 5 biggest open opps"),
        ("can u list my open tasks pls, trying to plan my day", "can u list my open tasks"),
        ("How many organisations are there in the CRM? Cheers.", "How many organisations are there in the CRM?"),
        ("how many deals did we win in q three twenty twenty six", "how many deals did we win in Q3 2026"),
        ("deals created since september first", "deals created since september 1"),
        ("won in the July to September quarter of 2026", "won in Q3 2026"),
        ("How many deals are sat in Prospecting?", "How many deals are in Prospecting?"),
        (
            "how many contact roles are still current, i.e. not ended?",
            "how many contact roles are still current, not ended?",
        ),
        ("How many deals haven't got an account linked?", "How many deals without an account linked?"),
        ("what's the average top end of the salary band?", "what's the average maximum salary?"),
        ("How many contacts stand on Nurture?", "How many contacts in Nurture?"),
        (
            "How many deals have we won in the 3rd quarter from 2026?",
            "How many deals have we won in the 3rd quarter of 2026?",
        ),
        ("List the open opportunities owned by the current user.", "List the open opportunities owned by me."),
        (
            "How many deals do we have in the 10k to 50k USD range, any idea?",
            "How many deals do we have in the 10k to 50k USD range",
        ),
        ("How are our deals spread over the stages?", "How are our deals by stage?"),
        ("How many deals came to us over referral?", "How many deals came to us via referral?"),
    ],
)
def test_talk_is_taken_out_and_the_question_kept(said: str, read: str) -> None:
    assert strip_talk(said) == read


@pytest.mark.parametrize(
    "question",
    [
        "open deals for the west region",  # a purpose-like "for the …" that is a constraint: stays, to be reported
        "how many deals did we win, for the quarterly report",  # "quarterly" may be the window meant: stays
        "I'd like to know how many deals are open",  # "I'd like" is not a spoken "like"
        "companies like Acme",  # nor is a comparison with a company
        "how many open deals does my team have",  # "my team" stays: the parser must report it, not read "mine"
        "tasks due on the first of the month",  # "the first of the month" is not a date of a named month
        "how many leads came in over the last month",  # "over" a period is not "via"
        "how many open deals are we working on",  # "we" may be the asker: not taken out
    ],
)
def test_words_that_may_carry_meaning_stay(question: str) -> None:
    assert strip_talk(question) == question
