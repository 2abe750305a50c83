"""Names: normalisation, nicknames and string similarity.

Pure functions, shared by the resolver (a mention against a record) and the
duplicate finder (a record against a record), so that both judge names alike:

- :func:`fold` / :func:`tokens` / :func:`compact`: case, accents, punctuation and
  whitespace do not matter ("  PRIYA  Pátel " → ``["priya", "patel"]``);
- :func:`first_name_variants`: nicknames and the names they stand for, from the
  ``nicknames`` package (Bob → Robert → Rob, Liz → Elizabeth);
- :func:`is_typo`: one or two slips of the keyboard (Damerau-Levenshtein, scaled
  to the length; rapidfuzz);
- :func:`compare_person_names` / :func:`compare_org_names`: a graded verdict
  (:class:`NameComparison`) with a similarity in 0..1 and the reason in words;
- :func:`org_core`: an organization's name without legal suffix ("Acme Corp." and
  "ACME Corporation" are both ``acme``);
- :func:`normalize_email`, :func:`normalize_domain`, :func:`normalize_phone`: the
  exact keys of lookups and blocking.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from nicknames import NickNamer
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

#: Words that end an organization's legal name and say nothing about which one it is.
LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp", "ltd", "limited",
        "plc", "gmbh", "ag", "kg", "sa", "sas", "sarl", "bv", "nv", "pty", "pte", "srl", "spa", "oy", "ab",
        "as", "group", "holding", "holdings",
    }
)  # fmt: skip

_TOKEN = re.compile(r"[^\W_]+")
_NON_DIGIT = re.compile(r"\D+")


# --- normalisation ------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)  # names repeat: the resolver and dedupe fold the same ones many times
def fold(text: str | None) -> str:
    """Lower case, accents removed, whitespace collapsed: the form every comparison uses."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def tokens(text: str | None) -> list[str]:
    """The words of ``text`` (letters and digits only), folded."""
    return _TOKEN.findall(fold(text))


def compact(text: str | None) -> str:
    """The words of ``text`` run together: "Helix Works" and "HelixWorks" are both ``helixworks``."""
    return "".join(tokens(text))


def org_core(name: str | None) -> list[str]:
    """An organization's name words without a leading "the" and trailing legal suffixes."""
    words = tokens(name)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    # "Foo, Inc." leaves "foo"; "Foo B.V." leaves "foo", "b", "v": drop one-letter leftovers of a suffix.
    # Each turn removes two words and needs a third to remain, so the loop ends ("S.A." alone stays "s", "a").
    while len(words) > 2 and len(words[-1]) == 1 and words[-2] in {"b", "n", "s"}:
        words = words[:-2]
    return words


def normalize_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.strip().lower() or None


def normalize_domain(domain: str | None) -> str | None:
    """``https://www.Acme.com/about`` → ``acme.com``."""
    if not domain:
        return None
    text = domain.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    return text or None


def normalize_phone(phone: str | None) -> str | None:
    """The last ten digits of a phone number (country codes and formatting ignored); None if under 7."""
    if not phone:
        return None
    digits = _NON_DIGIT.sub("", phone)
    return digits[-10:] if len(digits) >= 7 else None


# --- nicknames ---------------------------------------------------------------------------------


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def first_name_variants(first: str) -> frozenset[str]:
    """Folded names a person called ``first`` may go by: itself, its nicknames, the names it is short for."""
    name = fold(first)
    if not name:
        return frozenset()
    namer = _nicknamer()
    group = {name} | namer.nicknames_of(name) | namer.canonicals_of(name)
    for canonical in namer.canonicals_of(name):
        group |= namer.nicknames_of(canonical)
    return frozenset(group)


@cache
def ranked_name_variants(first: str) -> tuple[str, ...]:
    """The variants of a first name, most telling first: the names it is short for, its nicknames, the rest."""
    name = fold(first)
    namer = _nicknamer()
    canonicals = sorted(namer.canonicals_of(name))
    nicknames = sorted(namer.nicknames_of(name))
    rest = sorted(first_name_variants(name) - {name, *canonicals, *nicknames})
    return tuple(dict.fromkeys(v for v in (*canonicals, *nicknames, *rest) if v != name))


def nickname_reason(a: str, b: str) -> str:
    """How two first names are variants, in words: "nickname Bob → Robert", "Bob and Bill: both short for Robert"."""
    fa, fb = fold(a), fold(b)
    namer = _nicknamer()
    shown_a, shown_b = fa.capitalize(), fb.capitalize()
    if fb in namer.canonicals_of(fa) or fa in namer.nicknames_of(fb):
        return f"nickname {shown_a} → {shown_b}"
    if fa in namer.canonicals_of(fb) or fb in namer.nicknames_of(fa):
        return f"{shown_b} is short for {shown_a}"
    shared = sorted(namer.canonicals_of(fa) & namer.canonicals_of(fb))
    if shared:
        return f"{shown_a} and {shown_b}: both short for {shared[0].capitalize()}"
    return f"name variant {shown_a} ~ {shown_b}"


def are_name_variants(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same first name or nicknames of one another (Bob, Robert)."""
    fa, fb = fold(a), fold(b)
    return bool(fa) and (fa == fb or fb in first_name_variants(fa) or fa in first_name_variants(fb))


# --- similarity ----------------------------------------------------------------------------------


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two folded strings, 0..1."""
    return float(JaroWinkler.normalized_similarity(a, b))


def is_typo(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with a slip or two: one edit up to 5 letters, two from 6 (transpositions count one)."""
    if not a or not b or a == b:
        return False
    shortest = min(len(a), len(b))
    if shortest < 3:
        return False
    allowed = 1 if shortest <= 5 else 2
    return int(DamerauLevenshtein.distance(a, b, score_cutoff=allowed + 1)) <= allowed


# --- graded comparisons ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameComparison:
    """How two names compare: a level (for match weights), a similarity in 0..1 and a reason in words."""

    level: str
    score: float
    reason: str


NO_NAME = NameComparison("missing", 0.0, "no name to compare")


def _first_relation(a: str, b: str) -> str:
    if a == b:
        return "exact"
    if are_name_variants(a, b):
        return "nickname"
    if len(a) == 1 or len(b) == 1:
        return "initial" if a[:1] == b[:1] else "differ"
    if is_typo(a, b):
        return "typo"
    return "differ"


def _last_relation(a: str, b: str) -> str:
    if a == b:
        return "exact"
    if is_typo(a, b):
        return "typo"
    return "differ"


# (first relation, last relation) → (level, similarity)
_PERSON_GRADES: dict[tuple[str, str], tuple[str, float]] = {
    ("exact", "exact"): ("exact", 1.0),
    ("nickname", "exact"): ("nickname", 0.95),
    ("exact", "typo"): ("typo", 0.85),
    ("typo", "exact"): ("typo", 0.85),
    ("nickname", "typo"): ("typo", 0.75),
    ("initial", "exact"): ("initial", 0.7),
    ("typo", "typo"): ("weak", 0.5),
    ("initial", "typo"): ("weak", 0.45),
    ("differ", "exact"): ("last_only", 0.25),
    ("exact", "differ"): ("first_only", 0.15),
    ("nickname", "differ"): ("first_only", 0.12),
}


def _display(words: Sequence[str]) -> str:
    return " ".join(w.capitalize() for w in words)


@lru_cache(maxsize=1 << 16)
def compare_person_names(
    first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None
) -> NameComparison:
    """Compare two people's names, first with first and last with last (nicknames and typos allowed).

    ``a`` is the mention (or the first record), ``b`` the candidate: reasons read "nickname Bob → Robert".
    """
    fa, fb = compact(first_a), compact(first_b)
    la, lb = compact(last_a), compact(last_b)
    parts_a, parts_b = [p for p in (fa, la) if p], [p for p in (fb, lb) if p]
    if not parts_a or not parts_b:
        return NO_NAME
    if len(parts_a) == 1:  # a single name ("Bob", "Patel") against both parts of the other
        return compare_single_name(parts_a[0], first_b, last_b)
    if len(parts_b) == 1:
        return compare_single_name(parts_b[0], first_a, last_a)
    first_rel, last_rel = _first_relation(fa, fb), _last_relation(la, lb)
    if (first_rel, last_rel) not in _PERSON_GRADES and fa == lb and la == fb:
        return NameComparison("typo", 0.8, "first and last names swapped")
    level, score = _PERSON_GRADES.get((first_rel, last_rel), ("differ", 0.0))
    return NameComparison(level, score, _person_reason(level, first_a or "", first_b or "", last_a or "", last_b or ""))


def _person_reason(level: str, first_a: str, first_b: str, last_a: str, last_b: str) -> str:
    a = _display(tokens(f"{first_a} {last_a}"))
    b = _display(tokens(f"{first_b} {last_b}"))
    if level == "exact":
        return (
            "name matches exactly"
            if f"{first_a} {last_a}".split() == f"{first_b} {last_b}".split()
            else (f"name matches ({a}, ignoring case, accents and spacing)")
        )
    if level == "nickname":
        return nickname_reason(compact(first_a), compact(first_b))
    if level == "typo":
        return f"close spelling: {a} ≈ {b}"
    if level == "initial":
        return f"initial {_display(tokens(first_a))[:1]}. of {_display(tokens(first_b))}, same last name"
    if level == "weak":
        return f"similar name: {a} ≈ {b}"
    if level == "last_only":
        return f"same last name {_display(tokens(last_b))}, first name differs"
    if level == "first_only":
        return f"same first name {_display(tokens(first_b))}, last name differs"
    return "names differ"


def compare_single_name(word: str, first: str | None, last: str | None) -> NameComparison:
    """A mention of one name ("Bob", "Patel") against a person's first and last names."""
    w = compact(word)
    f, la = compact(first), compact(last)
    if not w or not (f or la):
        return NO_NAME
    if f and w == f:
        return NameComparison("first_only", 0.6, f"first name {_display([f])} matches")
    if f and are_name_variants(w, f):
        return NameComparison("first_only", 0.57, nickname_reason(w, f))
    if la and w == la:
        return NameComparison("last_only", 0.45, f"last name {_display([la])} matches")
    if f and is_typo(w, f):
        return NameComparison("weak", 0.4, f"first name close: {_display([w])} ≈ {_display([f])}")
    if la and is_typo(w, la):
        return NameComparison("weak", 0.35, f"last name close: {_display([w])} ≈ {_display([la])}")
    return NameComparison("differ", 0.0, "names differ")


@lru_cache(maxsize=1 << 16)
def compare_org_names(a: str | None, b: str | None) -> NameComparison:
    """Compare two organization names, ignoring case, punctuation and legal suffixes ("Acme Corp." = "ACME")."""
    core_a, core_b = org_core(a), org_core(b)
    if not core_a or not core_b:
        return NO_NAME
    shown = b or ""
    if core_a == core_b:
        if fold(a) == fold(b):
            return NameComparison("exact", 1.0, "name matches exactly")
        return NameComparison("exact", 0.97, f"name matches {shown} (ignoring case, punctuation and legal suffix)")
    ca, cb = "".join(core_a), "".join(core_b)
    if ca == cb:
        return NameComparison("exact", 0.95, f"name matches {shown} (ignoring spacing)")
    if len(core_a) < len(core_b) and core_b[: len(core_a)] == core_a:
        return NameComparison("short", 0.85, f"short name of {shown}")
    if len(core_b) < len(core_a) and core_a[: len(core_b)] == core_b:
        return NameComparison("partial", 0.6, f"{shown} is the start of the name")
    if is_typo(ca, cb):
        return NameComparison("typo", 0.8, f"close spelling: {_display(core_a)} ≈ {shown}")
    if len(core_a) < len(core_b) and is_typo(ca, "".join(core_b[: len(core_a)])):
        return NameComparison("typo", 0.7, f"close to the short name of {shown}")
    shared = set(core_a) & set(core_b)
    if shared:
        jaccard = len(shared) / len(set(core_a) | set(core_b))
        return NameComparison("partial", round(0.5 * jaccard, 3), f"shares the word(s) {_display(sorted(shared))}")
    return NameComparison("differ", 0.0, "names differ")


def compare_text_names(a: str | None, b: str | None) -> NameComparison:
    """Compare a mention with a free-text name (a deal's or an account's title): word overlap, typos allowed."""
    wa, wb = [w for w in tokens(a) if w not in LEGAL_SUFFIXES], tokens(b)
    if not wa or not wb:
        return NO_NAME
    matched = sum(1 for w in wa if w in wb or any(is_typo(w, x) for x in wb))
    if matched == 0:
        return NameComparison("differ", 0.0, "names differ")
    coverage = matched / len(wa)
    level = "exact" if coverage == 1.0 and len(wa) == len(wb) else "partial"
    score = 1.0 if level == "exact" else round(0.85 * coverage, 3)
    return NameComparison(level, score, f"title {b!r} contains {matched} of {len(wa)} word(s)")
