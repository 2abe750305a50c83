"""Small pure helpers of the generator: weighted picks, quarters, typing mistakes, names."""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kgcrm.crm import seed_vocab as vocab

if TYPE_CHECKING:
    from kgcrm.crm.seed_generate.records import Org


def cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    """A random item, weighted by the cumulative weights ``cum``."""
    return items[bisect_left(cum, rng.random() * cum[-1])]


CITY_CUM = cumulative([c.weight for c in vocab.CITIES])


def quarter_of(d: date | datetime) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def quarter_first_day(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def quarter_last_day(d: date) -> date:
    start = quarter_first_day(d)
    month = start.month + 3
    nxt = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return nxt - timedelta(days=1)


def misspell(rng: random.Random, word: str) -> str:
    """A plausible typing mistake: swap, drop, double or replace one letter (never the first)."""
    if len(word) < 4:
        return word + word[-1]
    for _ in range(10):
        i = rng.randrange(1, len(word) - 1)
        op = rng.randrange(4)
        if op == 0:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == 1:
            out = word[:i] + word[i + 1 :]
        elif op == 2:
            out = word[:i] + word[i] + word[i:]
        else:
            vowels = "aeiou"
            out = word[:i] + rng.choice([v for v in vowels if v != word[i].lower()]) + word[i + 1 :]
        if out.lower() != word.lower():
            return out
    return word + word[-1]


def strip_legal_suffix(name: str) -> str:
    """ "Acme Corp." → "Acme", "Northwind Traders Inc." → "Northwind Traders"."""
    words = name.replace(",", "").split()
    while len(words) > 1 and words[-1].rstrip(".").lower() in LEGAL_WORDS:
        words.pop()
    return " ".join(words)


LEGAL_WORDS = frozenset(
    ("inc", "corp", "corporation", "llc", "ltd", "co", "plc", "gmbh", "b.v", "sas", "incorporated", "company")
)


def what(org: Org) -> str:
    """What an organization is, as its description says: "robotics startup", "manufacturer"."""
    if org.kind in ("manufacturer", "retailer"):
        return org.kind
    return f"{org.industry.name.lower()} {org.kind}"


def money(value: float) -> Decimal:
    return Decimal(int(value)).quantize(Decimal("0.01"))
