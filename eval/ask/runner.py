"""Ask every question of the bank and report exact / wrong / declined per split and per CRM.

An *asker* is a function ``question → answer dict`` (the ``/v1/ask`` response shape). The in-process
one (:func:`pipeline_asker`) calls the ask pipeline of a retrieval stack built like the API's, with the
tenant's id, the asking user's id (when the pipeline takes one) and a clock fixed at the bank's ``now``.
"""

from __future__ import annotations

import inspect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kgcrm.core.errors import KgcrmError
from kgcrm.eval.ask.bank import FAMILY_SPLITS, SPLIT_CHOICES, SPLITS, Question
from kgcrm.eval.ask.verdict import legacy_verdict, verdict

Asker = Callable[[str], Mapping[str, Any]]
VERDICTS = ("exact", "wrong", "declined")


@dataclass(frozen=True)
class Outcome:
    question: Question
    verdict: str
    answer: Mapping[str, Any]
    latency_ms: float
    error: str | None = None
    legacy: str = "declined"  # the verdict reading today's template answers as answers (baseline only)


@dataclass
class CrmReport:
    """The outcomes of one CRM (one tenant) at one reference time."""

    crm: str
    tenant: str
    now: datetime
    asker_user: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (family, why its values are missing)

    def counts(self, split: str | None = None, *, legacy: bool = False) -> dict[str, int]:
        """Per split; ``None``: every family question (the traps, judged by another rule, only in their own row)."""
        c = Counter(
            o.legacy if legacy else o.verdict
            for o in self.outcomes
            if (o.question.split == split if split is not None else o.question.split in FAMILY_SPLITS)
        )
        return {v: c.get(v, 0) for v in VERDICTS} | {"asked": sum(c.values())}

    def splits(self) -> tuple[str, ...]:
        """The splits this report asked (in bank order)."""
        asked = {o.question.split for o in self.outcomes}
        return tuple(s for s in SPLITS if s in asked)

    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

    def wrong(self, split: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == "wrong" and (split is None or o.question.split == split)]

    def as_json(self) -> dict[str, Any]:
        latencies = sorted(o.latency_ms for o in self.outcomes)
        return {
            "crm": self.crm,
            "tenant": self.tenant,
            "now": self.now.isoformat(),
            "asker_user": self.asker_user,
            "splits": {s: _with_shares(self.counts(s)) for s in self.splits()},
            "all": _with_shares(self.counts()),
            "legacy_reading": {s: _with_shares(self.counts(s, legacy=True)) for s in self.splits()},
            "p50_ms": _percentile(latencies, 0.5),
            "p95_ms": _percentile(latencies, 0.95),
            "skipped_families": [{"family": f, "why": w} for f, w in self.skipped],
            "errors": len(self.errors()),
            "wrong": [_outcome_json(o) for o in self.wrong()],
            "outcomes": [
                {
                    "family": o.question.family,
                    "split": o.question.split,
                    "question": o.question.text,
                    "verdict": o.verdict,
                    "method": o.answer.get("method"),
                    "interpretation": o.answer.get("interpretation"),
                    "unapplied": o.answer.get("unapplied"),
                    "error": o.error,
                }
                for o in self.outcomes
            ],
        }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _with_shares(counts: Mapping[str, int]) -> dict[str, Any]:
    asked = counts["asked"]
    return dict(counts) | {f"{v}_pct": round(100 * counts[v] / asked, 1) if asked else 0.0 for v in VERDICTS}


def _outcome_json(o: Outcome) -> dict[str, Any]:
    return {
        "family": o.question.family,
        "split": o.question.split,
        "question": o.question.text,
        "expected": o.question.expected.plain(),
        "got": o.answer.get("data"),
        "interpretation": o.answer.get("interpretation"),
        "answer": o.answer.get("answer"),
        "method": o.answer.get("method"),
    }


def run_questions(ask: Asker, questions: Iterable[Question], report: CrmReport) -> CrmReport:
    for q in questions:
        started = time.perf_counter()
        error = None
        try:
            answer = dict(ask(q.text))
        except KgcrmError as exc:  # a refusal is a decline; anything else is a bug and propagates
            answer, error = {"method": "error", "answer": str(exc)}, f"{type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - started) * 1e3
        report.outcomes.append(
            Outcome(q, verdict(q.expected, answer), answer, latency, error, legacy_verdict(q.expected, answer))
        )
    return report


def pipeline_asker(pipeline: Any, tenant_id: str, user_id: str | None) -> Asker:
    """``pipeline.ask`` as an asker; the user id is passed when the pipeline accepts one (issue 17's ``user_id``)."""
    from kgcrm.retrieval.json_values import jsonable

    takes_user = "user_id" in inspect.signature(pipeline.ask).parameters

    def ask(question: str) -> Mapping[str, Any]:
        kwargs = {"user_id": user_id} if takes_user else {}
        answer = pipeline.ask(question, tenant_id, **kwargs)
        out = answer.model_dump(mode="python")
        out["data"] = jsonable(answer.data)
        return out

    return ask


def render_reports(reports: list[CrmReport], *, show_wrong: int = 50) -> Any:
    """A rich renderable: one table of counts per CRM and split, then the wrong answers."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title="kgcrm eval ask: exact / wrong / declined")
    for column in ("CRM", "split", "asked", "exact", "wrong", "declined", "skipped families", "p95 ms"):
        table.add_column(column, justify="left" if column in ("CRM", "split") else "right")
    for r in reports:
        latencies = sorted(o.latency_ms for o in r.outcomes)
        for split in (*r.splits(), None):
            c = _with_shares(r.counts(split))
            if split is None and not c["asked"]:
                continue  # traps only
            table.add_row(
                f"{r.crm} ({r.tenant})",
                split or "all families",
                str(c["asked"]),
                f"{c['exact']} ({c['exact_pct']}%)",
                f"{c['wrong']} ({c['wrong_pct']}%)",
                f"{c['declined']} ({c['declined_pct']}%)",
                str(len(r.skipped)) if split is None else "",
                f"{_percentile(latencies, 0.95):.0f}" if split is None else "",
            )
    parts: list[Any] = [table]
    if any(o.question.split == "traps" for r in reports for o in r.outcomes):
        parts.append(
            Text(
                "traps (questions with a constraint the semantic model cannot express): exact = declined or said "
                "what it did not apply; wrong = answered by the semantic layer with nothing unapplied.",
                style="dim",
            )
        )
    legacy = [r for r in reports if any(o.legacy != "declined" for o in r.outcomes)]
    if legacy:
        parts.append(
            Text(
                "Reading today's template answers as answers (the baseline before the semantic layer): "
                + "; ".join(
                    f"{r.crm} {s}: {c['exact']} exact, {c['wrong']} wrong, {c['declined']} declined of {c['asked']}"
                    for r in legacy
                    for s in r.splits()
                    for c in [r.counts(s, legacy=True)]
                ),
                style="dim",
            )
        )
    for r in reports:
        wrong = r.wrong()
        if wrong:
            parts.append(Text(f"\nWrong answers on {r.crm} ({len(wrong)}):", style="bold red"))
            for o in wrong[:show_wrong]:
                parts.append(Text(f"- [{o.question.split}] {o.question.family}: {o.question.text!r}"))
                parts.append(Text(f"    expected {o.question.expected.plain()}"))
                parts.append(Text(f"    got {o.answer.get('data')}"))
                parts.append(Text(f"    interpretation: {o.answer.get('interpretation')}"))
        for o in r.errors()[:10]:
            parts.append(Text(f"error on {r.crm}: {o.question.text!r}: {o.error}", style="yellow"))
        for family, why in r.skipped:
            parts.append(Text(f"skipped on {r.crm}: {family}: {why}", style="dim"))
    return Group(*parts)


@dataclass(frozen=True)
class CrmTarget:
    """One CRM to ask: a name for the report, its tenant (slug) and the reference time of its questions."""

    name: str
    tenant_slug: str
    now: datetime


def evaluate_ask(
    engine: Any,
    targets: Iterable[CrmTarget],
    make_pipeline: Callable[[datetime], Any],
    *,
    families: list[Any] | None = None,
    family_ids: set[str] | None = None,
    splits: tuple[str, ...] = SPLIT_CHOICES["both"],
) -> list[CrmReport]:
    """Instantiate the bank on each CRM (truth by SQL on ``engine``) and ask every question through
    ``make_pipeline(now).ask`` as the CRM's asking user."""
    import sqlalchemy as sa

    from kgcrm.eval.ask.bank import instantiate, load_bank, load_traps
    from kgcrm.eval.ask.params import Params

    bank = families if families is not None else load_bank()
    traps = load_traps() if "traps" in splits else []
    if family_ids is not None:  # family ids, or trap ids
        bank = [f for f in bank if f.id in family_ids]
        traps = [t for t in traps if t.id in family_ids]
    reports = []
    for target in targets:
        with engine.connect() as conn:
            tenant_id = conn.execute(
                sa.text("SELECT id FROM tenant WHERE slug = :s"), {"s": target.tenant_slug}
            ).scalar()
            if tenant_id is None:
                raise LookupError(f"no tenant '{target.tenant_slug}' in the CRM")
            me = Params(conn, str(tenant_id)).me
            items = list(instantiate(bank, conn, str(tenant_id), target.now, splits=splits, traps=traps))
        report = CrmReport(target.name, target.tenant_slug, target.now, f"{me['full_name']} <{me['email']}>")
        report.skipped = [i for i in items if isinstance(i, tuple)]
        questions = [i for i in items if isinstance(i, Question)]
        run_questions(pipeline_asker(make_pipeline(target.now), str(tenant_id), str(me["id"])), questions, report)
        reports.append(report)
    return reports
