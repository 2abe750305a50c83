"""Duplicate detection of one large tenant: kgcrm's fitted matcher beside the hand-set model it replaces.

The people come from the noisy CRM generator (``kgcrm.eval.noisy_crm``, medium noise, scaled to
``--people``), in memory: the timed part is what ``DuplicateFinder`` does with a tenant's people
once read from the graph (normalise, block, fit u/m by Splink on DuckDB, score, explain the pairs
at the default threshold). Reading the people from Neo4j and writing the edges are not included.
The old hand-set model runs on the same records in the same process as the baseline; both are
scored against the generator's truth. Peak memory is the process's maximum resident set.

    .venv/bin/python bench/dedupe_scale.py --people 100000

The goal (issue 13): the fitted run of a 100k-person tenant in at most 60 s of wall time. The run's
phases (prepare, u, prior, EM, predict, explain) are listed with their wall and CPU seconds, so a
miss says where the time went.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
from datetime import UTC, datetime

from common import machine, record_results, stopwatch  # the bench folder's helpers (on sys.path as a script)

from kgcrm.eval.duplicates import prf
from kgcrm.eval.noisy_crm import MEDIUM, generate, sized
from kgcrm.retrieval.dedupe import DEFAULT_THRESHOLD as OLD_THRESHOLD
from kgcrm.retrieval.dedupe import PERSON_MODEL, candidate_pairs, person_keys
from kgcrm.retrieval.dedupe_fit import FittedMatcher


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads: on a loaded shared machine it says more than the clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the hand-set model.")
    parser.add_argument("--section", help="The bench/RESULTS.md section to write (default dedupe_scale_<people>).")
    parser.add_argument("--goal", type=float, default=60.0, help="Wall seconds the fitted run should take at most.")
    args = parser.parse_args()
    started_on = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}"
    logging.getLogger("splink").setLevel(logging.ERROR)

    data = generate(sized(MEDIUM, args.people))
    records = data.records()
    before = peak_mb()
    cpu = cpu_seconds()
    with stopwatch() as fitted_time:
        run = FittedMatcher().match(records)
    fitted_cpu = cpu_seconds() - cpu
    fitted_peak = peak_mb()
    found = {(p.a, p.b) for p in run.pairs}
    rows = [
        (
            "kgcrm (fitted)",
            fitted_time[0],
            fitted_cpu,
            run.compared,
            prf(found, data.pairs),
            f"{fitted_peak:.0f} (data alone {before:.0f})",
        )
    ]
    if not args.no_baseline:
        cpu = cpu_seconds()
        with stopwatch() as old_time:
            by_id = {str(r["id"]): r for r in records}
            pairs = candidate_pairs(by_id.values(), person_keys)
            old = {p for p in pairs if PERSON_MODEL.score(by_id[p[0]], by_id[p[1]]).probability >= OLD_THRESHOLD}
        old_cpu = cpu_seconds() - cpu
        rows.append(
            ("kgcrm before (hand-set)", old_time[0], old_cpu, len(pairs), prf(old, data.pairs), f"{peak_mb():.0f}")
        )

    command = "bench/dedupe_scale.py " + " ".join(sys.argv[1:])
    verdict = "MET" if fitted_time[0] <= args.goal else "NOT MET"
    lines = [
        f"Started {started_on} · `{command}`",
        "",
        f"{len(records)} people in one tenant (noisy CRM generator, medium noise), {len(data.pairs)} true pairs; "
        f"weights fitted: {run.fitted}. Machine: {machine()}.",
        "",
        "| system | wall s | CPU s | pairs compared | precision | recall | F1 | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {sec:.1f} | {cpu_s:.1f} | {n} | {f.precision:.3f} | {f.recall:.3f} | {f.f1:.3f} | {mem} |"
            for name, sec, cpu_s, n, f, mem in rows
        ),
    ]
    if len(rows) == 2:
        lines += [
            "",
            f"Fitted / hand-set time: {rows[0][1] / rows[1][1]:.2f} (wall), {rows[0][2] / rows[1][2]:.2f} (CPU).",
        ]
    lines += [
        "",
        f"Goal: the fitted run in at most {args.goal:.0f} s wall: {verdict} ({fitted_time[0]:.1f} s).",
        "",
        "Where the fitted run's time went (CPU includes DuckDB's threads):",
        "",
        "| phase | wall s | CPU s |",
        "|---|---|---|",
        *(f"| {phase} | {wall:.2f} | {cpu_s:.2f} |" for phase, (wall, cpu_s) in run.timings.items()),
    ]
    lines += ["", f"Machine at the end: {machine()}."]
    body = "\n".join(lines)
    print(body)
    section = args.section or f"dedupe_scale_{args.people}"
    record_results(section, f"## dedupe_scale.py --people {args.people} ({section})\n\n{body}\n")


if __name__ == "__main__":
    main()
