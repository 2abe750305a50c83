"""Duplicate people, with match weights fitted to the tenant's own data (Splink on DuckDB, in-process).

Why Splink: it is a well-kept Fellegi-Sunter implementation that estimates ``u`` by random
sampling and ``m`` by expectation maximisation on the data at hand, runs the comparisons as
SQL in an in-process DuckDB (a 100k-person tenant in seconds), and returns every pair's
per-comparison Bayes factors, from which the reasons in words are written. Writing EM
ourselves would repeat that and be slower (measured in ``eval/dedupe_compare.py``: the same
model scored by Splink is the fastest of the three systems there).

What kgcrm adds in front of and around Splink:

- **Normalisation** (:func:`clean`): Unicode NFKC, zero-width and control characters removed,
  homoglyphs mapped to their Latin look-alike from the Unicode confusables table (the
  ``confusable-homoglyphs`` package), accents and case folded; phones to E.164 with
  ``phonenumbers``; e-mail split into local part and domain; the employer as its
  organization's *name* (legal suffix dropped), so a misspelled company that became a
  second organization row still compares as "nearly the same employer".
- **Graded comparison levels that tolerate noise** (:data:`PERSON_SCHEMA`): names (exact,
  swapped, nickname, typo in each, initial …), e-mail (exact, domain typo, same local part,
  local-part typo …), phone (exact, one digit off …), employer and city (exact, typo, …).
  A missing value is a null level: neutral (weight 0).
- **Several blocking rules** (e-mail, phone, e-mail local part, name phonetics, sorted-name
  tokens, company with initials): a pair reaches comparison if any rule puts it in one block.
- **Reasons in words** per field with its weight (:attr:`ScoredPair.reasons`), the pair's
  total match weight and per-field contributions, for the ``POSSIBLY_SAME_AS`` edge.

The model is fitted per run on one tenant's records only (the tenant boundary holds: Splink
sees nothing else). Starting ``m`` values are set by hand so that a tenant too small to fit
still gets a sensible model; fitting then replaces them.
"""

from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kgcrm.core import names

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5  # Splink's own default cut; the fitted probabilities are calibrated enough for it
# A tenant's starting prior: this share of its records are someone else's duplicate (fitted from
# MIN_RECORDS_TO_FIT records on: then estimated from the pairs that agree on e-mail or phone and name).
DUPLICATE_SHARE = 0.02
MIN_RECORDS_TO_FIT = 200  # below this, EM has too few duplicates to learn from: the starting m values are kept
# A blocking key shared by more records than this is not used to make pairs (a switchboard phone of 200
# colleagues would make 19,900): the hard negatives it would bring are not duplicates, and a true pair in
# such a block still meets on its names. The largest blocks at 100k people are ~40 records (e-mail local
# part, name phonetics), so the cap only cuts shared numbers and mailboxes.
MAX_BLOCK = 100

# --- normalisation ------------------------------------------------------------------------------------

_INVISIBLE = {"Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"}  # format (zero-width …), control, surrogate, unassigned
_NON_WORD = re.compile(r"[^\w@.+-]+")
_ASCII_CONTROL = dict.fromkeys((*range(32), 127))  # the only invisible (Cc) characters in ASCII


@lru_cache(maxsize=4096)
def _latin_lookalike(ch: str) -> str:
    """The Latin letter a non-Latin character is confusable with (Cyrillic a → Latin a), or the character."""
    from confusable_homoglyphs import categories, confusables  # the Unicode confusables table, maintained

    if ch.isascii() or categories.alias(ch) in ("LATIN", "COMMON"):
        return ch
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if glyph["c"].isascii() and glyph["c"].isalpha():
                return str(glyph["c"])
    return ch


@lru_cache(maxsize=1 << 17)
def clean(text: str | None) -> str:
    """NFKC, invisible characters dropped, homoglyphs mapped to Latin, accents and case folded, spaces collapsed."""
    if not text:
        return ""
    if text.isascii():  # the same result, faster: NFKC and the homoglyph table leave ASCII as it is
        return " ".join(text.translate(_ASCII_CONTROL).lower().split())
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_latin_lookalike(ch) for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    return names.fold(text)


def clean_word(text: str | None) -> str:
    """:func:`clean`, letters and digits only: "O'Neil-Smith" → ``oneilsmith``."""
    return "".join(ch for ch in clean(text) if ch.isalnum())


def clean_email(email: str | None) -> tuple[str, str, str] | None:
    """(address, local part, domain), cleaned; None without an ``@``."""
    text = clean(email).replace(" ", "")
    local, at, domain = text.partition("@")
    if not at or not local or not domain:
        return None
    return text, local, domain


@lru_cache(maxsize=1 << 16)
def e164(phone: str | None, region: str = "US") -> str | None:
    """A phone number in E.164 (``+14155550101``) by ``phonenumbers``; its digits if it does not parse."""
    import phonenumbers  # the maintained port of Google's libphonenumber

    text = clean(phone)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
        if phonenumbers.is_possible_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    except phonenumbers.NumberParseException:
        pass
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) >= 7 else None


@lru_cache(maxsize=1 << 16)
def phonetic(word: str) -> str:
    """Metaphone of a cleaned word (``jellyfish``), so "Catherine" and "Katherine" share a key."""
    import jellyfish

    return str(jellyfish.metaphone(word)) if word else ""


@lru_cache(maxsize=1 << 16)  # a tenant's people share few employers: each name is cleaned once
def org_name(name: str | None) -> str:
    """An organization's name without "the" and legal suffix, cleaned: "Acme, Inc." → ``acme``."""
    return " ".join(names.org_core(clean(name)))


def _current_employer(record: Mapping[str, Any]) -> str | None:
    jobs = list(record.get("employers") or ())
    current = [j for j in jobs if j.get("current")] or jobs
    names_ = sorted(org_name(j.get("name")) for j in current if j.get("name"))
    return names_[0] if names_ and names_[0] else None


def _nickname_group(first: str) -> list[str]:
    """The first name, its nicknames and the names it is short for (not their other nicknames: Jody is no Joshua)."""
    return list(_nickname_tuple(first)) if first else []


@lru_cache(maxsize=1 << 16)  # first names repeat: each is looked up once
def _nickname_tuple(first: str) -> tuple[str, ...]:
    return tuple(sorted({first} | _nicknames().nicknames_of(first) | _nicknames().canonicals_of(first)))


@lru_cache(maxsize=1)
def _nicknames() -> Any:
    from nicknames import NickNamer  # the nickname table kgcrm's name functions use

    return NickNamer()


def prepare_person(record: Mapping[str, Any]) -> dict[str, Any]:
    """A CRM person (graph row or generator record) as the columns the person model compares and blocks on."""
    first, last = clean_word(record.get("first_name")), clean_word(record.get("last_name"))
    if not first and not last and record.get("name"):
        parts = clean(record.get("name")).split()
        first, last = (clean_word(parts[0]), clean_word(parts[-1])) if len(parts) > 1 else ("", clean_word(parts[0]))
    email = clean_email(record.get("email"))
    phone = e164(record.get("phone"))
    org = _current_employer(record)
    city = clean(record.get("location")) or None
    group = _nickname_group(first)
    n1, n2 = sorted((first, last)) if first and last else (first or last, "")
    org_key = org.replace(" ", "")[:4] if org else ""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())[-10:]
    return {
        "unique_id": str(record["id"]),
        "first": first or None,
        "last": last or None,
        "full_name": f"{first} {last}".strip() or None,
        "first_group": group or None,
        "email": email[0] if email else None,
        "email_local": email[1] if email else None,
        "email_domain": email[2] if email else None,
        "phone": phone,
        "org": org,
        "city": city,
        # blocking keys: a pair is compared when any one of them is equal. The names are taken in sorted
        # order (a swap keeps its keys); each name's first letters with the other name's initial meet
        # the employer or the city, and both initials meet the employer and the city together, so a
        # typo in one name, the employer or the city still leaves a key. Measured per rule at 100k
        # people (bench/dedupe_scale.py): name prefix + employer, + city or + the other initial alone
        # made 0.4-1.3M pairs each for a few hundred true pairs no other rule found; with the other
        # name's initial (or both initials) in the key they make 70k each and find nearly all of them.
        "bk_local": email[1] if email and len(email[1]) >= 4 else None,
        "bk_phonetic": "|".join(sorted((phonetic(first), phonetic(last)))) if first and last else None,
        "bk_sorted": " ".join(sorted((first, last))) if first and last else None,
        "bk_n1_org": f"{n1[:3]}|{n2[:1]}|{org_key}" if n1 and n2 and org_key else None,
        "bk_n2_org": f"{n2[:3]}|{n1[:1]}|{org_key}" if n1 and n2 and org_key else None,
        "bk_n1_city": f"{n1[:3]}|{n2[:1]}|{city[:3]}" if n1 and n2 and city else None,
        "bk_n2_city": f"{n2[:3]}|{n1[:1]}|{city[:3]}" if n1 and n2 and city else None,
        "bk_initials": f"{n1[:1]}{n2[:1]}|{org_key}|{city[:3]}" if n1 and n2 and org_key and city else None,
        "bk_phone_head": digits[:5] if len(digits) == 10 else None,  # one wrong digit leaves one half
        "bk_phone_tail": digits[5:] if len(digits) == 10 else None,
    }


# --- the model: fields and their levels ---------------------------------------------------------------


@dataclass(frozen=True)
class LevelSpec:
    """One comparison level: its SQL (on ``_l``/``_r`` columns), its label, a starting m, words for the reason.

    ``words`` is formatted with the pair's values: ``{x_l}``/``{x_r}`` for any prepared column ``x``.
    """

    label: str
    sql: str
    m: float
    words: str
    fixed: bool = False  # keep ``m`` as set: EM cannot learn it (see the level's comment)
    tf: str | None = None  # term-frequency adjustment on this column: a common value is weaker evidence


@dataclass(frozen=True)
class FieldSpec:
    """A field: the SQL that makes it missing (neutral), and its levels best first (the last is "else")."""

    name: str
    null_sql: str
    levels: tuple[LevelSpec, ...]

    def settings(self) -> dict[str, Any]:
        levels: list[dict[str, Any]] = [
            {"sql_condition": self.null_sql, "label_for_charts": "missing", "is_null_level": True}
        ]
        for level in self.levels:
            entry: dict[str, Any] = {
                "sql_condition": level.sql,
                "label_for_charts": level.label,
                "m_probability": level.m,
            }
            if level.fixed:
                entry["fix_m_probability"] = True
            if level.tf:
                entry["tf_adjustment_column"] = level.tf
                entry["tf_adjustment_weight"] = 1.0
            levels.append(entry)
        return {"output_column_name": self.name, "comparison_levels": levels}

    def level_of(self, gamma: int) -> LevelSpec | None:
        """The level whose comparison vector value is ``gamma`` (-1: missing); Splink counts down to 0 (else)."""
        if gamma < 0:
            return None
        return self.levels[len(self.levels) - 1 - gamma]


def _null(*columns: str) -> str:
    return " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in columns)


def _jw(column: str, at_least: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {at_least}"


def _dl(column: str, at_most: int) -> str:
    # The length test first: the same answer (the distance is at least the difference in length; both
    # count bytes in DuckDB), and DuckDB computes the distance only for the rows that pass it.
    return (
        f"(abs(strlen({column}_l) - strlen({column}_r)) <= {at_most} "
        f"AND damerau_levenshtein({column}_l, {column}_r) <= {at_most})"
    )


ELSE = "ELSE"

NAME = FieldSpec(
    "name",
    "full_name_l IS NULL OR full_name_r IS NULL",
    (
        # No term-frequency adjustment: a tenant's duplicates raise their own name's frequency (two
        # records of "Kyle Richardson" in 121 cost a true pair -5.9 bits on the seed), so it punishes them.
        LevelSpec("exact", "full_name_l = full_name_r", 0.75, "same name {full_name_l}"),
        LevelSpec("swapped", "first_l = last_r AND last_l = first_r", 0.02, "first and last name swapped"),
        LevelSpec(
            "nickname",
            "last_l = last_r AND (list_contains(first_group_l, first_r) OR list_contains(first_group_r, first_l))",
            0.04,
            "first name a nickname ({first_l} / {first_r})",
        ),
        LevelSpec(
            "typo",
            f"({_jw('first', 0.88)} AND {_jw('last', 0.88)}) OR {_dl('full_name', 2)}",
            0.1,
            "names one or two letters apart ({full_name_l} / {full_name_r})",
        ),
        LevelSpec(
            "same last, first initial",
            "last_l = last_r AND (length(first_l) = 1 OR length(first_r) = 1) AND first_l[1] = first_r[1]",
            0.02,
            "same last name, one first name is the other's initial ({first_l} / {first_r})",
        ),
        LevelSpec(
            "similar",
            f"({_jw('first', 0.8)} AND {_jw('last', 0.8)}) OR {_dl('full_name', 3)}",
            0.03,
            "similar names ({full_name_l} / {full_name_r})",
        ),
        # Fixed: relatives and colleagues sharing a last name agree on the e-mail, phone, city or
        # employer, so EM counts them as matches and learns that one shared name is evidence *for*.
        # A first name that is neither equal, a nickname nor a typo is rare among true duplicates.
        LevelSpec(
            "one name equal",
            "first_l = first_r OR last_l = last_r OR first_l = last_r OR last_l = first_r",
            0.0002,
            "only one name in common ({full_name_l} / {full_name_r})",
            fixed=True,
        ),
        LevelSpec(ELSE, ELSE, 0.02, "different names ({full_name_l} / {full_name_r})"),
    ),
)
EMAIL = FieldSpec(
    "email",
    _null("email"),
    (
        LevelSpec("exact", "email_l = email_r", 0.6, "same email {email_l}"),
        LevelSpec(
            "domain typo",
            f"email_local_l = email_local_r AND {_dl('email_domain', 2)}",
            0.08,
            "same email name, domain typo ({email_domain_l} / {email_domain_r})",
        ),
        LevelSpec(
            "local typo",
            f"email_domain_l = email_domain_r AND ({_dl('email_local', 1)} "
            f"OR ({_dl('email_local', 2)} AND length(email_local_l) >= 8))",
            0.08,
            "same email domain, name one or two letters apart ({email_local_l} / {email_local_r})",
        ),
        # Only a local part not made of the person's name: "michael.smith@" at two companies repeats the
        # name's evidence (common names share it), so such a pair falls to "different emails".
        LevelSpec(
            "same local part",
            "email_local_l = email_local_r AND NOT (coalesce(strpos(email_local_l, last_l) > 0, false) "
            "OR coalesce(length(first_l) >= 3 AND strpos(email_local_l, first_l) > 0, false))",
            0.04,
            "same email name at another domain ({email_l} / {email_r})",
        ),
        # Fixed: another mailbox at the same domain is another person (namesakes at one company agree on
        # every other field, so EM would learn this level as evidence for a match). Set far below any
        # tenant's u (about one over the number of e-mail domains) so it stays strong evidence against.
        LevelSpec(
            "same domain",
            "email_domain_l = email_domain_r",
            0.00001,
            "another mailbox at the same domain ({email_local_l} / {email_local_r} @{email_domain_l})",
            fixed=True,
        ),
        LevelSpec(ELSE, ELSE, 0.15, "different emails ({email_l} / {email_r})"),
    ),
)
PHONE = FieldSpec(
    "phone",
    _null("phone"),
    (
        LevelSpec("exact", "phone_l = phone_r", 0.6, "same phone {phone_l}"),
        LevelSpec("one digit", _dl("phone", 1), 0.1, "phones one digit apart ({phone_l} / {phone_r})"),
        LevelSpec("two digits", _dl("phone", 2), 0.05, "phones two digits apart ({phone_l} / {phone_r})"),
        LevelSpec(ELSE, ELSE, 0.25, "different phones ({phone_l} / {phone_r})"),
    ),
)
# The employer and the city in one comparison: people of one company mostly sit in its city, so
# scored apart the two would count the same evidence twice (namesakes at one company would win).
EMPLOYER = FieldSpec(
    "employer",
    "(org_l IS NULL OR org_r IS NULL) AND (city_l IS NULL OR city_r IS NULL)",
    (
        LevelSpec(
            "same employer and city",
            f"org_l = org_r AND (city_l = city_r OR {_dl('city', 2)})",
            0.55,
            "same employer ({org_l}) in {city_l}",
        ),
        LevelSpec("same employer", "org_l = org_r", 0.1, "same employer name ({org_l})"),
        LevelSpec(
            "employer typo",
            f"{_dl('org', 2)} OR {_jw('org', 0.93)}",
            0.15,
            "employer names one or two letters apart ({org_l} / {org_r})",
        ),
        LevelSpec(
            "similar employer",
            f"{_jw('org', 0.85)} OR split_part(org_l, ' ', 1) = split_part(org_r, ' ', 1)",
            0.04,
            "similar employer names ({org_l} / {org_r})",
        ),
        LevelSpec("same city", f"city_l = city_r OR {_dl('city', 2)}", 0.06, "both in {city_l}"),
        LevelSpec(ELSE, ELSE, 0.1, "different employers and locations ({org_l}, {city_l} / {org_r}, {city_r})"),
    ),
)


@dataclass(frozen=True)
class MatchSchema:
    """How one kind of record is prepared, compared, blocked and fitted."""

    prepare: Callable[[Mapping[str, Any]], dict[str, Any]]
    fields: tuple[FieldSpec, ...]
    blocking: tuple[str, ...]  # columns: records with equal (non-null) values are compared
    training: tuple[tuple[str, ...], ...]  # EM passes: each blocks on these columns (fits the other fields)
    prior: float  # starting probability that two random records match (re-estimated from the data)
    prior_rules: tuple[tuple[str, ...], ...] = (("email",), ("phone", "bk_phonetic"))  # near-certain matches


PERSON_SCHEMA = MatchSchema(
    prepare=prepare_person,
    fields=(NAME, EMAIL, PHONE, EMPLOYER),
    blocking=(
        "email",
        "phone",
        "bk_local",
        "bk_phonetic",
        "bk_sorted",
        "bk_n1_org",
        "bk_n2_org",
        "bk_n1_city",
        "bk_n2_city",
        "bk_initials",
        "bk_phone_head",
        "bk_phone_tail",
    ),
    training=(("email",), ("bk_phonetic",), ("phone",)),
    prior=1e-4,
)


# --- the matcher -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldContribution:
    field: str
    level: str
    weight: float  # log2 of the Bayes factor, 0 when missing
    reason: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.weight:+.1f})"


@dataclass(frozen=True)
class ScoredPair:
    a: str
    b: str
    probability: float
    weight: float  # the total match weight (prior included), bits
    fields: tuple[FieldContribution, ...]

    @property
    def reasons(self) -> list[str]:
        return [str(f) for f in sorted(self.fields, key=lambda f: -abs(f.weight))]


@dataclass
class MatchRun:
    """What a run did: the pairs at or over the threshold, how many were compared, whether it was fitted."""

    pairs: list[ScoredPair] = field(default_factory=list)
    compared: int = 0
    fitted: bool = False
    blocked: set[tuple[str, str]] | None = None  # every compared pair, when asked for (evaluation)
    # phase → (wall s, CPU s of the process, DuckDB's threads included): where a run's time goes
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)


class _Phases:
    """Times the phases of one run into :attr:`MatchRun.timings` (wall and process CPU seconds)."""

    def __init__(self, run: MatchRun) -> None:
        self.run = run
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def done(self, phase: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.run.timings[phase] = (round(wall - self.wall, 3), round(cpu - self.cpu, 3))
        self.wall, self.cpu = wall, cpu


class FittedMatcher:
    """Prepares records, fits a Splink model to them and scores the blocked pairs (all in-process)."""

    def __init__(
        self, schema: MatchSchema = PERSON_SCHEMA, *, seed: int = 13, u_pairs: float = 2e5, max_block: int = MAX_BLOCK
    ) -> None:
        self.schema = schema
        self.seed = seed
        self.u_pairs = u_pairs
        self.max_block = max_block

    def settings(self, link_type: str, records: int = 0) -> dict[str, Any]:
        """Splink settings; the starting prior assumes :data:`DUPLICATE_SHARE` of ``records`` are duplicates."""
        prior = min(0.5, 2 * DUPLICATE_SHARE / records) if records > 1 else self.schema.prior
        return {
            "link_type": link_type,
            "unique_id_column_name": "unique_id",
            "probability_two_random_records_match": prior,
            "comparisons": [f.settings() for f in self.schema.fields],
            "blocking_rules_to_generate_predictions": [
                {"blocking_rule": f"l.{c} = r.{c}"} for c in map(_block_key, self.schema.blocking)
            ],
            "retain_matching_columns": True,
            "retain_intermediate_calculation_columns": True,
            "max_iterations": 25,
            "em_convergence": 0.001,
        }

    def match(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        partition: Callable[[Mapping[str, Any]], Any] | None = None,
        keep_blocked: bool = False,
    ) -> MatchRun:
        """Fit on ``records`` and return the pairs scoring at least ``threshold`` (best first).

        ``partition`` (record linkage, two files): only pairs across partitions, Splink's ``link_only``.
        """
        run = MatchRun()
        phases = _Phases(run)
        import pyarrow as pa
        from splink import DuckDBAPI, Linker

        phases.done("import")
        rows = [self.schema.prepare(r) for r in records]
        capped = cap_blocks(rows, self.schema.blocking, self.max_block)
        if capped:
            log.info("dedupe: %d blocking key(s) shared by more than %d records not used", capped, self.max_block)
        phases.done("prepare")
        if len(rows) < 2:
            return run
        db = DuckDBAPI()
        if partition is not None:
            groups: dict[Any, list[dict[str, Any]]] = {}
            for record, row in zip(records, rows, strict=True):
                groups.setdefault(partition(record), []).append(row)
            tables = [
                db.register(pa.Table.from_pylist(g)) for _, g in sorted(groups.items(), key=lambda kv: str(kv[0]))
            ]
            linker = Linker(tables, self.settings("link_only", len(rows)), log_level=logging.ERROR)
        else:
            linker = Linker(
                db.register(pa.Table.from_pylist(rows)),
                self.settings("dedupe_only", len(rows)),
                log_level=logging.ERROR,
            )
        phases.done("load")
        run.fitted = self._fit(linker, len(rows), phases)
        scored = linker.inference.predict()  # every blocked pair, scored (a DuckDB table)
        frame = scored.as_duckdbpyrelation()
        counted = frame.aggregate("count(*)").fetchall()
        run.compared = int(counted[0][0]) if counted else 0
        phases.done("predict")
        if keep_blocked:
            run.blocked = {_ordered(str(a), str(b)) for a, b in frame.select("unique_id_l, unique_id_r").fetchall()}
        kept = frame.filter(f"match_probability >= {float(threshold)!r}")  # the cut in SQL: few rows to Python
        columns = kept.columns
        for fetched in kept.fetchall():
            values = dict(zip(columns, fetched, strict=True))
            a, b = _ordered(str(values["unique_id_l"]), str(values["unique_id_r"]))
            run.pairs.append(
                ScoredPair(
                    a, b, float(values["match_probability"]), float(values["match_weight"]), self._explain(values)
                )
            )
        run.pairs.sort(key=lambda p: (-p.probability, p.a, p.b))
        phases.done("explain")
        return run

    def _fit(self, linker: Any, n: int, phases: _Phases) -> bool:
        """u by random sampling and the prior always; m by EM on each training block from
        :data:`MIN_RECORDS_TO_FIT` records (a smaller tenant has too few duplicates for EM: the
        starting m values stay). Returns whether m was fitted."""
        from splink import block_on

        try:
            linker.training.estimate_u_using_random_sampling(max_pairs=self.u_pairs, seed=self.seed)
        except Exception as exc:  # Splink raises plain exceptions on degenerate data
            log.info("dedupe: u not estimated (%s); the starting values are used", exc)
        phases.done("fit u")
        if n < MIN_RECORDS_TO_FIT:
            return False
        try:
            linker.training.estimate_probability_two_random_records_match(
                [block_on(*columns) for columns in self.schema.prior_rules], recall=0.7
            )
        except Exception as exc:
            log.info("dedupe: prior not estimated (%s); the starting value is used", exc)
        phases.done("fit prior")
        try:
            for columns in self.schema.training:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*(_block_key(c) if c in self.schema.blocking else c for c in columns)),
                    estimate_without_term_frequencies=True,
                )
        except Exception as exc:  # Splink raises plain exceptions when a level never occurs
            log.info("dedupe: EM stopped (%s); the starting m values are used where not fitted", exc)
            return False
        finally:
            phases.done("fit m (EM)")
        return True

    def _explain(self, values: Mapping[str, Any]) -> tuple[FieldContribution, ...]:
        out = []
        blank = _Blank(values)
        for spec in self.schema.fields:
            gamma = values.get(f"gamma_{spec.name}")
            level = spec.level_of(int(gamma)) if gamma is not None else None
            if level is None:
                continue
            weight = float(values.get(f"mw_{spec.name}") or 0.0)  # Splink's log2 Bayes factor of the level
            if not math.isfinite(weight):
                weight = -60.0 if weight < 0 else 60.0
            out.append(FieldContribution(spec.name, level.label, round(weight, 3), level.words.format_map(blank)))
        return tuple(out)


def _block_key(column: str) -> str:
    """The column a blocking rule joins on: a ``bk_`` column itself, else its capped copy ``bk_<column>``."""
    return column if column.startswith("bk_") else f"bk_{column}"


def cap_blocks(rows: Sequence[dict[str, Any]], columns: Sequence[str], max_block: int) -> int:
    """Set each row's blocking keys (:func:`_block_key`), leaving out values shared by more than
    ``max_block`` rows, in place. Returns how many values were left out."""
    dropped = 0
    for column in columns:
        key = _block_key(column)
        counts = Counter(row[column] for row in rows if row.get(column) is not None)
        big = {value for value, count in counts.items() if count > max_block}
        dropped += len(big)
        for row in rows:
            value = row.get(column)
            row[key] = None if value is None or value in big else value
    return dropped


class _Blank:
    """A pair's values for a reason's template: ``?`` where a value is missing (read, never copied)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def __getitem__(self, key: str) -> Any:
        value = self.values.get(key)
        return "?" if value is None else value


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)
