"""The words of a connections answer (pure): the evidence behind a hop, the one-sentence explanation
of a path, and the summaries of the related questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from kgcrm.retrieval import strength as st
from kgcrm.retrieval.connections.facts import (
    COWORKER,
    INTERACTED,
    KNOWS,
    ORGANIZATION,
    PERSON,
    SAME_AS_KIND,
    KnownPerson,
    Tie,
    TieReport,
)
from kgcrm.retrieval.periods import ago
from kgcrm.retrieval.types import EntityRef, RowEvidence


def evidence(
    tie: Tie, a: str, names: Mapping[str, str | None], interactions: list[RowEvidence]
) -> list[RowEvidence | EntityRef]:
    """The rows behind a hop: relationship rows, interactions, the shared employer and the two contacts."""
    out: list[RowEvidence | EntityRef] = []
    for k in sorted(tie.knows.values(), key=lambda k: (-(k.strength or 0.0), k.id)):
        strength = f", strength {k.strength:g}" if k.strength is not None else ""
        if k.kind == SAME_AS_KIND:  # feedback (issue 14): a confirmed duplicate, cited by its decision
            out.append(RowEvidence(table="feedback", id=k.id, summary="the same person (confirmed duplicate)"))
            continue
        out.append(RowEvidence(table="relationship", id=k.id, summary=f"{k.kind or 'knows'}{strength}"))
    out += interactions
    for c in sorted(tie.coworkers.values(), key=lambda c: (c.overlap.end, c.org_id), reverse=True):
        out.append(EntityRef(id=c.org_id, type=ORGANIZATION, name=c.org_name))
        for person, role in sorted(c.roles, key=lambda r: r[0] != a):
            if role.contact_id:
                summary = f"{names.get(person) or person} at {c.org_name}, {_span(role.since, role.until)}"
                out.append(RowEvidence(table="contact", id=role.contact_id, summary=summary))
    for f in sorted(tie.affiliations, key=lambda f: (f.role.until is not None, f.distance, f.role.org_id)):
        if f.role.contact_id:
            title = f"{f.role.title} at " if f.role.title else ""
            summary = f"{title}{f.role.org_name}, {_span(f.role.since, f.role.until)}"
            out.append(RowEvidence(table="contact", id=f.role.contact_id, summary=summary))
        if f.distance > 0:
            out.append(EntityRef(id=f.role.org_id, type=ORGANIZATION, name=f.role.org_name))
    return out


DASH = "\u2013"  # en dash, as in "2019–2022"  # noqa: RUF003

_VERBS = {"email": "emailed", "meeting": "met", "call": "called", "message": "messaged"}


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _span(since: date | None, until: date | None) -> str:
    if until is None:
        return f"since {since.year}" if since else "now"
    return f"{since.year}{DASH}{until.year}" if since else f"until {until.year}"


def _clause(tie: Tie, a: str, b: str, name_a: str, name_b: str, now: datetime, params: st.StrengthParams) -> str:
    _, relation = tie.score(now, params)
    if relation == INTERACTED and tie.interacted is not None:
        i = tie.interacted
        verb = _VERBS.get(i.kinds[0], "was in touch with") if len(i.kinds) == 1 else "was in touch with"
        if i.last_at is None:
            return f"{name_a} {verb} {name_b} {_times(i.count)}"
        if i.count == 1:
            return f"{name_a} {verb} {name_b} once, {ago(then=i.last_at, now=now)}"
        when = ago(then=i.last_at, now=now)
        last = f"most recently {when}" if when in ("today", "yesterday") else f"last {when}"
        return f"{name_a} {verb} {name_b} {_times(i.count)}, {last}"
    if relation == KNOWS and tie.knows:
        k = max(tie.knows.values(), key=lambda k: (k.strength or 0.0, k.id))
        forward = k.source == a
        if k.kind == "reports_to":
            return f"{name_a} {'reports to' if forward else 'manages'} {name_b}"
        if k.kind == "introduced":
            return f"{name_a} was introduced to {name_b}"
        if k.kind in ("colleague", "family"):
            return f"{name_a} and {name_b} are {'colleagues' if k.kind == 'colleague' else 'family'}"
        if k.kind in ("investor", "advisor"):
            return f"{name_a} knows {name_b} ({k.kind})"
        return f"{name_a} knows {name_b}"
    if relation == COWORKER and tie.coworkers:
        c = max(tie.coworkers.values(), key=lambda c: (c.overlap.current, c.overlap.days))
        if c.overlap.current:
            return f"{name_a} works with {name_b} at {c.org_name} (since {c.overlap.start.year})"
        return f"{name_a} worked with {name_b} at {c.org_name} {c.overlap.start.year}{DASH}{c.overlap.end.year}"
    f = max(tie.affiliations, key=lambda f: (f.role.until is None, -f.distance))
    where = f.role.org_name if f.distance == 0 else f"{f.role.org_name}, part of {f.target_name}"
    if f.role.until is None:
        return f"{name_a} works at {where}"
    return f"{name_a} worked at {where} until {f.role.until.year}"


def _short(name: str | None) -> str:
    return (name or "someone").split()[0]


def explain(
    nodes: Sequence[EntityRef], ties: Sequence[Tie], now: datetime, params: st.StrengthParams, *, you: bool
) -> str:
    """One sentence: 'Ann Lee (you) emailed Bob Smith 12 times, last 3 days ago; Bob knows Priya Patel.'"""
    mentioned: set[str] = set()

    def name(ref: EntityRef, first: bool) -> str:
        full = ref.name or ref.id
        if ref.id in mentioned:
            return _short(full) if ref.type == PERSON else full
        mentioned.add(ref.id)
        if first:
            return f"{full} ({'you' if you else 'on your team'})"
        return full

    clauses = []
    for i, tie in enumerate(ties):
        a, b = nodes[i], nodes[i + 1]
        clauses.append(_clause(tie, a.id, b.id, name(a, i == 0), name(b, False), now, params))
    return "; ".join(clauses) + "."


def known_summary(org: EntityRef, known: Sequence[KnownPerson]) -> str:
    if not known:
        return f"Nobody on the team has a direct tie to anyone at {org.name}."
    shown = []
    for k in known[:5]:
        role = (k.title if k.current else "formerly") or ""
        details = ", ".join(p for p in (role, f"via {k.tie.from_user.name}") if p)
        shown.append(f"{k.person.name} ({details})")
    more = f" and {len(known) - 5} more" if len(known) > 5 else ""
    people = "person" if len(known) == 1 else "people"
    return f"The team knows {len(known)} {people} at {org.name}: {', '.join(shown)}{more}."


def tie_summary(report: TieReport) -> str:
    name = report.target.name or report.target.id
    if report.strongest is None:
        return f"Nobody on the team is connected to {name}."
    if not report.direct:
        return f"Nobody on the team knows {name} directly; the best introduction: {report.strongest.explanation}"
    days = report.window_days
    return (
        f"{report.strongest.explanation[:-1]}. {report.recent_interactions} interactions with {name} in the last "
        f"{days} days, {report.previous_interactions} in the {days} before ({report.trend})."
    )
