"""Value linking: the tenant's own values named in a question ("Negotiation", "Financial Services", "austin", "Dana").

Questions name values, not columns. :class:`ValueIndex` holds one tenant's categorical values, read from the graph:
status names (per entity type) and status categories, industries, locations, account tiers, currencies, lead and
interaction sources, interaction kinds, relationship kinds, job employment types, partnership types, and team members
(full and first name; the value is the user's id). :meth:`ValueIndex.link` finds them in free text:

- case, accents and punctuation are folded: "closed-won", "CLOSED WON" and "Closed Won" are one value;
- a value of several words matches as a whole ("Financial Services"), the longest first;
- a location matches by its first part too: "austin" → "Austin, TX";
- a last word's plural matches the singular value and back: "meetings" → "meeting";
- a typo matches through rapidfuzz (ratio ≥ 85, same first letter, words of at least 4 letters that are not
  everyday words): "Negotation" → "Negotiation";
- matches never overlap; the best (then the longest) wins, and they are returned best first.

When one phrase names several values (two users called Dana; "email", an interaction kind and an interaction source),
the match carries one and lists the others, same span, in ``alternatives``: the parser decides, or asks.

``entity_types`` says which entity types carry the value: for a status, its ``entity_type`` values ("opportunity",
"task" …); for the others the type of the rows that carry it ("organization", "person", "job", "interaction",
"relationship", "account", "lead", "partnership").

:class:`ValueIndexCache` keeps one index per tenant (bounded, least recently used out) and reloads a tenant's index
when the sync's checkpoint moves (:class:`kgcrm.retrieval.cache.GraphVersion`).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from kgcrm.cypher import load
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.cache import GraphVersion
from kgcrm.retrieval.semantic_layer.amounts import _NAMES as CURRENCY_NAMES
from kgcrm.retrieval.semantic_layer.amounts import _WEAK_NAMES as WEAK_CURRENCY_NAMES

__all__ = ["ValueIndex", "ValueIndexCache", "ValueMatch", "fold"]


@dataclass(frozen=True)
class ValueMatch:
    span: tuple[int, int]
    dimension: (
        str  # "status", "status_category", "industry", "location", "tier", "currency", "source", "kind", "user" …
    )
    entity_types: tuple[str, ...]  # the entity types carrying the value (for a status: its entity_type values)
    value: str  # the stored value, exactly as in the graph; a user's id for "user"
    display: str  # what to show ("Negotiation", "Austin, TX", "Dana Lee")
    score: float  # 0..1: 1 exact, 0.9-0.95 an alias (first name, city, plural), below that a typo
    alternatives: tuple[ValueMatch, ...] = ()  # other values the same words name, best first


# When one phrase names values of several dimensions, the first here is the match, the rest its alternatives.
DIMENSION_ORDER = (
    "status_category",
    "status",
    "user",
    "industry",
    "tier",
    "location",
    "kind",
    "employment_type",
    "partnership_type",
    "currency",
    "source",
)

# Words too common to be a typo of a value, or to be a first name, a city or a currency name on their own.
# (Exact values are still matched: a tenant whose status is "New" gets "new deals".)
_COMMON = """
a about above account accounts active after again against all also am among an and any are as at away back
be been before being below best between big biggest both but by call calls can close closed closes closing come
companies company contact contacts could count current customer customers date day days deal deals did do does
doing done down due during each either email emails ever every few find first for from get give go going good
had has have having he her here his how i if in into is it its just largest last late lead leads least less like
list lost made make many may me meeting meetings message messages more most much must my new next no nobody none
nor not note notes now number of off old on once one only open opened opportunities opportunity opps or order
org orgs other our out over own past people per person pipeline please plate rep reps same see sell seller
sellers she should show since smallest so some still such sum take task tasks than that the their them then
there these they this those through time to today too top total touched under until up us value very want was
we week weeks were what when where which while who whom whose why will with won would year years yet you your
amount average closing group grand mark bill grant chase art rose june april august
summer winter spring fall earn said says sign signed work worked works working team name names
don max min hope joy grace faith amber lane dean king young long page price rich sale sales ray drew guy sky
"""
COMMON_WORDS = frozenset(_COMMON.split())
# Words that are never a value on their own, even exactly (a tenant whose industry is "Other" still gets "other").
_FUNCTION = "a an and or of in on at to for by with the is are me my i it its this that"
FUNCTION_WORDS = frozenset(_FUNCTION.split())

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_FUZZY_CUTOFF = 85.0
_MAX_NGRAM = 6
_MAX_FUZZY_TOKENS = 400  # a very long question is matched exactly throughout, and fuzzily only at its start


# Letters that do not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


def fold(text: str) -> str:
    """Lower case, accents off: "São Paulo" → "sao paulo", "Tromsø" → "tromso" (punctuation is the tokenizer's)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(text: str) -> tuple[str, ...]:
    return tuple(fold(t) for t in _TOKEN.findall(text))


def _singular(word: str) -> str | None:
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return None
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


@dataclass
class _Entry:
    dimension: str
    value: str
    display: str
    entity_types: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Alias:
    entry_key: tuple[str, str]  # (dimension, value)
    score: float
    weak: bool  # an everyday word: only when written with a capital ("Will", not "will")


class ValueIndex:
    """One tenant's categorical values, and the linking of them in free text. Built by :meth:`load` (three reads)."""

    def __init__(
        self,
        tenant_id: str,
        *,
        statuses: Iterable[Mapping[str, Any]] = (),
        properties: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """From rows shaped as the ``semantic_values_*`` queries return them (no I/O)."""
        self.tenant_id = tenant_id
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._aliases: dict[tuple[str, ...], list[_Alias]] = defaultdict(list)
        for row in statuses:
            entity_type = row.get("entity_type")
            if row.get("name"):
                self._add("status", str(row["name"]), str(row["name"]), entity_type)
            if row.get("category"):
                self._add("status_category", str(row["category"]), str(row["category"]), entity_type)
        currencies: set[str] = set()
        for row in properties:
            value = row.get("value")
            if value is None or isinstance(value, bool) or str(value).strip() == "":
                continue
            dimension = str(row["dimension"])
            self._add(dimension, str(value), str(value), row.get("entity_type"))
            if dimension == "location":
                self._add_location_alias(str(value))
            if dimension == "currency":
                currencies.add(str(value))
        for name, code in CURRENCY_NAMES.items():
            if code in currencies and name not in WEAK_CURRENCY_NAMES:
                self._alias((name,), ("currency", code), 0.95, weak=True)
        for row in users:
            self._add_user(row)
        self._finish()

    # --- building -------------------------------------------------------------------------------------------------

    def _add(self, dimension: str, value: str, display: str, entity_type: Any) -> None:
        entry = self._entries.get((dimension, value))
        if entry is None:
            entry = self._entries[(dimension, value)] = _Entry(dimension, value, display)
            key = _key(value)
            if key and not (len(key) == 1 and key[0] in FUNCTION_WORDS):
                self._alias(key, (dimension, value), 1.0, weak=False)
        if entity_type:
            entry.entity_types.add(str(entity_type))

    def _alias(self, key: tuple[str, ...], entry_key: tuple[str, str], score: float, *, weak: bool) -> None:
        if not key or (len(key) == 1 and key[0] in FUNCTION_WORDS):
            return
        weak = weak and len(key) == 1 and key[0] in COMMON_WORDS
        for existing in self._aliases[key]:
            if existing.entry_key == entry_key:
                return
        self._aliases[key].append(_Alias(entry_key, score, weak))

    def _add_location_alias(self, value: str) -> None:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) > 1 and len(re.sub(r"\W", "", parts[0])) >= 3:
            self._alias(_key(parts[0]), ("location", value), 0.95, weak=True)

    def _add_user(self, row: Mapping[str, Any]) -> None:
        user_id = row.get("id")
        name = (row.get("full_name") or "").strip()
        if not user_id or not name:
            return
        entry = self._entries.setdefault(("user", str(user_id)), _Entry("user", str(user_id), name, {"user"}))
        entry.display = name
        self._alias(_key(name), ("user", str(user_id)), 1.0, weak=False)
        first = _key(name)[:1]
        if first and len(first[0]) >= 2 and len(_key(name)) > 1:
            self._alias(first, ("user", str(user_id)), 0.9, weak=True)

    def _finish(self) -> None:
        rank = {d: i for i, d in enumerate(DIMENSION_ORDER)}
        for aliases in self._aliases.values():
            aliases.sort(key=lambda a: (-a.score, rank.get(a.entry_key[0], len(rank)), a.entry_key[1]))
        # fuzzy candidates: by token count and first letter
        self._fuzzy: dict[tuple[int, str], list[str]] = defaultdict(list)
        self._fuzzy_keys: dict[str, tuple[str, ...]] = {}
        for key in self._aliases:
            joined = " ".join(key)
            if len(joined.replace(" ", "")) < 4 or (len(key) == 1 and key[0] in COMMON_WORDS):
                continue
            self._fuzzy[(len(key), joined[0])].append(joined)
            self._fuzzy_keys[joined] = key
        self._words = frozenset(word for key in self._aliases for word in key)
        self._max_ngram = min(_MAX_NGRAM, max((len(k) for k in self._aliases), default=1))

    # --- reading ----------------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, gateway: GraphGateway, tenant_id: str) -> ValueIndex:
        """Read one tenant's values from the graph: three reads, each bound to ``$tenant_id``."""
        params = {"tenant_id": tenant_id}
        return cls(
            tenant_id,
            statuses=gateway.read("semantic_values_statuses", load("semantic_values_statuses"), params),
            properties=gateway.read("semantic_values_properties", load("semantic_values_properties"), params),
            users=gateway.read("semantic_values_users", load("semantic_values_users"), params),
        )

    def values(self, dimension: str) -> list[ValueMatch]:
        """Every value of one dimension (span ``(0, 0)``, score 1), in stored order: for menus and validation."""
        return [self._match(e, (0, 0), 1.0) for (d, _), e in sorted(self._entries.items()) if d == dimension]

    def words(self) -> frozenset[str]:
        """Every word of every value and alias, folded: words the typo corrector must not "correct"."""
        return self._words

    def dimensions(self) -> set[str]:
        return {d for d, _ in self._entries}

    def __len__(self) -> int:
        return len(self._entries)

    def _match(self, entry: _Entry, span: tuple[int, int], score: float) -> ValueMatch:
        return ValueMatch(span, entry.dimension, tuple(sorted(entry.entity_types)), entry.value, entry.display, score)

    # --- linking ----------------------------------------------------------------------------------------------------

    def link(
        self,
        text: str,
        *,
        dimensions: Iterable[str] | None = None,
        exclude_spans: Iterable[tuple[int, int]] = (),
    ) -> list[ValueMatch]:
        """The values named in ``text``: non-overlapping, best first (then longest, then leftmost).

        ``dimensions`` keeps only those dimensions; ``exclude_spans`` are parts of the text already read as
        something else (a time expression, an amount): no match overlaps them.
        """
        if not isinstance(text, str) or not text or not self._aliases:
            return []
        wanted = set(dimensions) if dimensions is not None else None
        excluded = list(exclude_spans)
        tokens = [(m.start(), m.end(), fold(m.group(0)), m.group(0)) for m in _TOKEN.finditer(text)]
        candidates: list[tuple[float, int, int, int, list[ValueMatch]]] = []
        for i in range(len(tokens)):
            for n in range(min(self._max_ngram, len(tokens) - i), 0, -1):
                window = tokens[i : i + n]
                span = (window[0][0], window[-1][1])
                if any(span[0] < b and a < span[1] for a, b in excluded):
                    continue
                starts = i == 0 or text[tokens[i - 1][1] : window[0][0]].strip()[-1:] in (".", "!", "?")
                found = self._exact(window, wanted, starts)
                if i < _MAX_FUZZY_TOKENS:
                    near = self._fuzzy_match(window, wanted, starts)
                    if found:  # a near status of another entity type ("negotiating": "Negotiation" of deals)
                        exact = {a.entry_key for a, _ in found}
                        near = [(a, sc) for a, sc in near if a.entry_key[0] == "status" and a.entry_key not in exact]
                    found += near
                if found:
                    matches = [self._match(self._entries[a.entry_key], span, s) for a, s in found]
                    candidates.append((matches[0].score, span[1] - span[0], -span[0], n, matches))
        candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
        chosen: list[ValueMatch] = []
        taken: list[tuple[int, int]] = []
        for _, _, _, _, matches in candidates:
            span = matches[0].span
            if any(span[0] < b and a < span[1] for a, b in taken):
                continue
            taken.append(span)
            best, *others = matches
            chosen.append(
                ValueMatch(
                    best.span, best.dimension, best.entity_types, best.value, best.display, best.score, tuple(others)
                )
            )
        return chosen

    def _allowed(self, alias: _Alias, wanted: set[str] | None, original: Sequence[str], sentence_start: bool) -> bool:
        if wanted is not None and alias.entry_key[0] not in wanted:
            return False
        # an everyday word ("will", "don", "mark") is a name only when capitalised, and not where a sentence starts
        return not alias.weak or (original[0][:1].isupper() and not sentence_start)

    def _exact(
        self, window: Sequence[tuple[int, int, str, str]], wanted: set[str] | None, starts: bool
    ) -> list[tuple[_Alias, float]]:
        key = tuple(t[2] for t in window)
        original = [t[3] for t in window]
        out = [(a, a.score) for a in self._aliases.get(key, ()) if self._allowed(a, wanted, original, starts)]
        if out:
            return out
        last = key[-1]
        variants = []
        if singular := _singular(last):
            variants.append((*key[:-1], singular))
        if len(last) >= 3 and last.isalpha():
            variants.append((*key[:-1], last + "s"))
        for variant in variants:
            out = [
                (a, a.score * 0.95)
                for a in self._aliases.get(variant, ())
                if self._allowed(a, wanted, original, starts)
            ]
            if out:
                return out
        return []

    def _fuzzy_match(
        self, window: Sequence[tuple[int, int, str, str]], wanted: set[str] | None, starts: bool
    ) -> list[tuple[_Alias, float]]:
        words = [t[2] for t in window]
        if any(len(w) < 4 or not w.isalpha() or w in COMMON_WORDS for w in (words[0], words[-1])):
            return []
        if len(words) == 1 and len(words[0]) < 4:
            return []
        joined = " ".join(words)
        choices = self._fuzzy.get((len(words), joined[0]))
        if not choices:
            return []
        best = process.extract(joined, choices, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=3)
        if not best and len(joined) >= 5:  # one edit in a short value ("Enregy": two letters swapped, ratio 83);
            best = [  # not a team member's name: a name typed wrong is the resolver's, with its whole surname
                (choice, 100.0 * (1 - distance / max(len(joined), len(choice))), key)
                for choice, distance, key in process.extract(
                    joined, choices, scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=3
                )
                if all(alias.entry_key[0] != "user" for alias in self._aliases[self._fuzzy_keys[choice]])
            ]
        out: list[tuple[_Alias, float]] = []
        original = [t[3] for t in window]
        for choice, score, _ in best:
            for alias in self._aliases[self._fuzzy_keys[choice]]:
                if self._allowed(alias, wanted, original, starts):
                    out.append((alias, round(alias.score * score / 100 * 0.98, 4)))
        out.sort(key=lambda pair: -pair[1])
        return out


class ValueIndexCache:
    """One :class:`ValueIndex` per tenant, reloaded when the sync's checkpoint moves; at most ``max_tenants`` kept.

    ``refresh_every_s`` bounds the reloads of a busy CRM, whose checkpoint moves every few seconds: a tenant's index
    is then reloaded at most that often (its values at most that much older than the graph). 0: on every move.
    """

    def __init__(
        self,
        gateway: GraphGateway,
        version: GraphVersion,
        max_tenants: int = 256,
        *,
        refresh_every_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.version = version
        self.max_tenants = max_tenants
        self.refresh_every_s = refresh_every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._indexes: OrderedDict[str, tuple[tuple[Any, ...], float, ValueIndex]] = OrderedDict()
        self.loads = 0

    def get(self, tenant_id: str) -> ValueIndex:
        version = self.version.current()
        now = self.clock()
        with self._lock:
            cached = self._indexes.get(tenant_id)
            if cached is not None and (cached[0] == version or now - cached[1] < self.refresh_every_s):
                self._indexes.move_to_end(tenant_id)
                return cached[2]
        index = ValueIndex.load(self.gateway, tenant_id)
        with self._lock:
            self.loads += 1
            self._indexes[tenant_id] = (version, now, index)
            self._indexes.move_to_end(tenant_id)
            while len(self._indexes) > self.max_tenants:
                self._indexes.popitem(last=False)
        return index

    def invalidate(self, tenant_id: str | None = None) -> None:
        """Forget one tenant's index (or all), e.g. after this process wrote to the graph."""
        with self._lock:
            if tenant_id is None:
                self._indexes.clear()
            else:
                self._indexes.pop(tenant_id, None)
        self.version.expire()
