"""Template answers: the questions a CRM user asks every day, answered exactly.

A deterministic parser finds the intent and its slots (lead type, outcome, period,
grouping, the entity named); the entity is resolved within the tenant; a
parameterised query from ``cypher/ask_*.cypher`` runs. No LLM is involved, and
the numbers equal what SQL over the relational CRM gives (tested).

Intents: ``deals`` (counts and sums of leads by stage / owner / period, the
pipeline), ``open_tasks``, ``last_interaction``, ``contacts_at``, ``notes_about``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.periods import Period, parse_period
from kgcrm.retrieval.types import Answer, Candidate, EntityRef, Resolution, SourceRow


class Resolver(Protocol):
    def resolve(self, text: str, tenant_id: str, types: list[str] | None = None, limit: int = 5) -> Resolution: ...


# --- parsing -----------------------------------------------------------------------------

_LEAD_TYPES = (
    (r"\b(deals?|opportunit(?:y|ies)|opps?)\b", "opportunity", "deal"),
    (r"\b(partnerships?)\b", "partnership", "partnership"),
    (r"\b(jobs?|roles?|positions?|openings?)\b", "job", "job"),
    (r"\b(leads?)\b", None, "lead"),
)
_OUTCOMES = (
    (r"\b(won|win|closed[- ]won|close|closed|sign(?:ed)?|land(?:ed)?)\b", ("won",), "won", "closed_at"),
    (r"\b(lost|lose|closed[- ]lost)\b", ("lost",), "lost", "closed_at"),
    (r"\b(open|active|in progress|pipeline|ongoing)\b", ("open", "active"), "open", "expected_close_on"),
)


@dataclass(frozen=True)
class Intent:
    name: str
    slots: dict[str, Any] = field(default_factory=dict)
    mention: str | None = None  # the entity named in the question, to resolve


def _strip_question(text: str) -> str:
    return re.sub(r"[?!.]+$", "", text.strip())


def _mention_after(pattern: str, text: str) -> str | None:
    if m := re.search(pattern, text, flags=re.IGNORECASE):
        mention = _strip_question(m.group("x")).strip(" '\"")
        mention = re.sub(r"^(the|our)\s+", "", mention, flags=re.IGNORECASE)
        return mention or None
    return None


def parse_intent(question: str, now: datetime) -> Intent | None:
    """The template intent of a question, or None when no template fits."""
    q = " ".join(question.split())
    low = q.lower()

    if mention := _mention_after(
        r"\b(?:open|pending|outstanding)?\s*(?:tasks?|to-?dos?)\s+(?:for|of|assigned to|about|on)\s+(?P<x>.+)", q
    ) or _mention_after(r"\bwhat (?:tasks?|to-?dos?) (?:does|do|has|have)\s+(?P<x>.+?)\s+(?:have|got|own)\b", q):
        return Intent("open_tasks", mention=mention)
    if (
        mention := _mention_after(
            r"\b(?:last|latest|most recent)\s+(?:interaction|contact|touch ?point|conversation|meeting|call|email)s?"
            r"\s+(?:with|from|at)\s+(?P<x>.+)",
            q,
        )
        or _mention_after(
            r"\bwhen did (?:we|i|anyone)\s+last\s+(?:talk|speak|meet|email|call|hear from|reach out)\w*"
            r"(?:\s+(?:to|with|from))?\s+(?P<x>.+)",
            q,
        )
        or _mention_after(r"\bwhen (?:was|did)\s+(?:our|we|the)\s+last\s+\w+\s+(?:with|to)\s+(?P<x>.+)", q)
    ):
        return Intent("last_interaction", mention=mention)
    if mention := _mention_after(
        r"\b(?:contacts?|people|persons|employees)\s+(?:at|in|from|of)\s+(?P<x>.+)", q
    ) or _mention_after(r"\bwho (?:works|worked|is working) (?:at|for)\s+(?P<x>.+)", q):
        include_past = bool(re.search(r"\b(past|former|ever|used to|worked|previous)\b", low))
        return Intent("contacts_at", {"include_past": include_past}, mention=mention)
    if mention := _mention_after(r"\bnotes?\s+(?:about|on|for|regarding|mentioning)\s+(?P<x>.+)", q):
        return Intent("notes_about", mention=mention)

    lead_type = label = None
    for pattern, value, word in _LEAD_TYPES:
        if re.search(pattern, low):
            lead_type, label = value, word
            break
    pipeline = bool(re.search(r"\bpipeline\b", low))
    if label is None and not pipeline:
        return None
    if label is None:
        lead_type, label = "opportunity", "deal"
    aggregate = re.search(r"\b(how many|number of|count|total|sum|how much|value|worth|amount|pipeline|by|per)\b", low)
    if not aggregate:
        return None
    categories = outcome = None
    date_field = "created_at"
    for pattern, cats, word, field_name in _OUTCOMES:
        if re.search(pattern, low):
            categories, outcome, date_field = cats, word, field_name
            break
    if pipeline and outcome is None:
        categories, outcome, date_field = ("open", "active"), "open", "expected_close_on"
    group = "none"
    if re.search(r"\b(by|per|for each|each)\s+(stage|status|phase)\b", low) or (pipeline and "owner" not in low):
        group = "stage"
    elif re.search(r"\b(by|per|for each|each)\s+(owner|rep|person|user|seller|salesperson)\b", low):
        group = "owner"
    period = parse_period(q, now)
    return Intent(
        "deals",
        {
            "lead_type": lead_type,
            "label": label,
            "categories": categories,
            "outcome": outcome,
            "date_field": date_field if period else None,
            "period": period,
            "group": group,
        },
    )


# --- answering ---------------------------------------------------------------------------


def unresolved_answer(mention: str, resolution: Resolution, *, method: str) -> Answer | None:
    """The answer when a mention names nothing or several things; None when it names one."""
    if not resolution.candidates:
        return Answer(answer=f"I found nothing called “{mention}”.", data=[], method=method)
    if resolution.ambiguous:
        names = "; ".join(f"{c.name} ({c.type})" for c in resolution.candidates[:5])
        return Answer(
            answer=f"“{mention}” could be several: {names}. Which one?",
            data={"candidates": [c.model_dump() for c in resolution.candidates]},
            method="clarification",
        )
    return None


def _money(cents_by_currency: dict[str | None, int]) -> dict[str, str]:
    return {
        (currency or "?"): str((Decimal(cents) / 100).quantize(Decimal("0.01")))
        for currency, cents in sorted(cents_by_currency.items(), key=lambda kv: kv[0] or "")
        if cents
    }


def _money_text(amounts: dict[str, str]) -> str:
    return ", ".join(f"{value} {currency}" for currency, value in amounts.items()) or "no amount"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _day(value: Any) -> str:
    """A date or time as its day (YYYY-MM-DD); "no date" for a missing one."""
    iso = _iso(value)
    return iso[:10] if iso is not None else "no date"


def _source(row: dict[str, Any], type_: str, table: str) -> SourceRow:
    return SourceRow(
        id=row["id"],
        type=type_,
        name=row.get("name"),
        table=table,
        updated_at=_iso(row.get("updated_at")),
        updated_by=row.get("updated_by"),
    )


@dataclass
class TemplateAnswerer:
    """Answers template intents inside one tenant."""

    gateway: GraphGateway
    resolver: Resolver
    clock: Callable[[], datetime]
    limit: int = 50

    def answer(self, question: str, tenant_id: str, intent: Intent | None = None) -> Answer | None:
        intent = intent or parse_intent(question, self.clock())
        if intent is None:
            return None
        if intent.name == "deals":
            return self._deals(tenant_id, intent.slots)
        assert intent.mention is not None
        types = {
            "open_tasks": ["User", "Person", "Organization", "Lead", "Account", "Contact"],
            "last_interaction": ["Person", "Organization"],
            "contacts_at": ["Organization"],
            "notes_about": ["Person", "Organization", "Lead", "Account", "Contact"],
        }[intent.name]
        resolution = self.resolver.resolve(intent.mention, tenant_id, types=types, limit=5)
        unresolved = unresolved_answer(intent.mention, resolution, method="template")
        if unresolved is not None:
            return unresolved
        entity = resolution.candidates[0]
        handler = getattr(self, f"_{intent.name}")
        answer: Answer = handler(tenant_id, entity, intent.slots)
        answer.focus = EntityRef(id=entity.id, type=entity.type, name=entity.name)
        return answer

    def _run(self, name: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        query = cypher.load(name)
        return self.gateway.read(name, query, params), query

    # deals ------------------------------------------------------------------------------

    def _deals(self, tenant_id: str, slots: dict[str, Any]) -> Answer:
        period: Period | None = slots["period"]
        start: Any = None
        end: Any = None
        if period is not None:
            start, end = period.start, period.end
            if slots["date_field"] == "expected_close_on":
                start, end = start.date(), end.date()
        params = {
            "tenant": tenant_id,
            "lead_type": slots["lead_type"],
            "categories": list(slots["categories"]) if slots["categories"] else None,
            "date_field": slots["date_field"] or "created_at",
            "start": start,
            "end": end,
        }
        rows, query = self._run("ask_deals", params)
        groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "cents": defaultdict(int), "order": 0})
        total: dict[str, Any] = {"count": 0, "cents": defaultdict(int)}
        sources: dict[str, SourceRow] = {}
        found = rows[0] if rows else {"groups": [], "sample": []}
        for item in found["sample"]:
            sources.setdefault(item["id"], _source(item, "Lead", "lead"))
        for row in found["groups"]:
            key = {"stage": row["stage"] or "(no status)", "owner": row["owner"] or "(no owner)"}.get(
                slots["group"], "all"
            )
            group = groups[key]
            group["count"] += row["deals"]
            group["cents"][row["currency"]] += row["cents"]
            group["order"] = row["position"] if row["position"] is not None else 999
            total["count"] += row["deals"]
            total["cents"][row["currency"]] += row["cents"]
        noun = slots["label"] + ("s" if total["count"] != 1 else "")
        outcome = f" {slots['outcome']}" if slots["outcome"] else ""
        when = f" in {period.label}" if period else ""
        amounts = _money(total["cents"])
        text = f"{total['count']}{outcome} {noun}{when}"
        if slots["lead_type"] in (None, "opportunity"):
            text += f", worth {_money_text(amounts)}"
        data: dict[str, Any] = {"count": total["count"], "amount": amounts}
        if slots["group"] != "none":
            ordered = sorted(groups.items(), key=lambda kv: (kv[1]["order"], kv[0]))
            data["groups"] = [
                {slots["group"]: key, "count": value["count"], "amount": _money(value["cents"])}
                for key, value in ordered
            ]
            text += (
                ". By "
                + slots["group"]
                + ": "
                + "; ".join(f"{g[slots['group']]}: {g['count']}" for g in data["groups"])
            )
        if period:
            data["period"] = {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label}
        return Answer(answer=text + ".", data=data, cypher=query, sources=list(sources.values()), method="template")

    # entity intents -------------------------------------------------------------------------

    def _open_tasks(self, tenant_id: str, entity: Candidate, slots: dict[str, Any]) -> Answer:
        params = {"tenant": tenant_id, "limit": self.limit}
        user_id = entity.id if entity.type == "User" else self._user_of(tenant_id, entity)
        if user_id is not None:
            rows, query = self._run("ask_open_tasks_assigned", {**params, "user_id": user_id})
            whose = f"assigned to {entity.name}"
        else:
            rows, query = self._run("ask_open_tasks_about", {**params, "subject_id": entity.id})
            whose = f"about {entity.name}"
        listing = "; ".join(f"{r['name']}" + (f" (due {_day(r['due_at'])})" if r["due_at"] else "") for r in rows)
        text = f"{len(rows)} open task{'s' if len(rows) != 1 else ''} {whose}" + (f": {listing}" if rows else "")
        return Answer(
            answer=text + ".",
            data=[_plain(r) for r in rows],
            cypher=query,
            sources=[_source(r, "Task", "task") for r in rows],
            method="template",
        )

    def _user_of(self, tenant_id: str, entity: Candidate) -> str | None:
        if entity.type != "Person":
            return None
        rows = self.gateway.read(
            "user_of_person",
            "MATCH (u:User {tenant_id: $tenant})-[:IS]->(:Person {id: $id, tenant_id: $tenant}) RETURN u.id AS id",
            {"tenant": tenant_id, "id": entity.id},
        )
        return rows[0]["id"] if rows else None

    def _last_interaction(self, tenant_id: str, entity: Candidate, slots: dict[str, Any]) -> Answer:
        name = "ask_last_interaction_person" if entity.type == "Person" else "ask_last_interaction_organization"
        rows, query = self._run(name, {"tenant": tenant_id, "id": entity.id, "limit": 3})
        if not rows:
            return Answer(
                answer=f"No interaction with {entity.name} is recorded.", data=[], cypher=query, method="template"
            )
        last = rows[0]
        who = ", ".join(p for p in last["participants"] if p)
        text = (
            f"The last interaction with {entity.name} was a {last['kind']} on {_day(last['occurred_at'])}"
            f" (“{last['name']}”, with {who})."
        )
        return Answer(
            answer=text,
            data=[_plain(r) for r in rows],
            cypher=query,
            sources=[_source(r, "Interaction", "interaction") for r in rows],
            method="template",
        )

    def _contacts_at(self, tenant_id: str, entity: Candidate, slots: dict[str, Any]) -> Answer:
        params = {"tenant": tenant_id, "id": entity.id, "include_past": slots["include_past"], "limit": self.limit}
        rows, query = self._run("ask_contacts_at", params)
        listing = "; ".join(
            f"{r['name']}" + (f", {r['title']}" if r["title"] else "") + ("" if r["current"] else " (former)")
            for r in rows
        )
        text = f"{len(rows)} {'people' if len(rows) != 1 else 'person'} at {entity.name}" + (
            f": {listing}" if rows else ""
        )
        return Answer(
            answer=text + ".",
            data=[_plain(r) for r in rows],
            cypher=query,
            sources=[_source(r, "Person", "individual") for r in rows],
            method="template",
        )

    def _notes_about(self, tenant_id: str, entity: Candidate, slots: dict[str, Any]) -> Answer:
        rows, query = self._run("ask_notes_about", {"tenant": tenant_id, "id": entity.id, "limit": self.limit})
        listing = " | ".join(f"{_day(r['created_at'])}: {r['body']}" for r in rows[:5])
        text = f"{len(rows)} note{'s' if len(rows) != 1 else ''} about {entity.name}" + (
            f". Latest: {listing}" if rows else "."
        )
        return Answer(
            answer=text,
            data=[_plain(r) for r in rows],
            cypher=query,
            sources=[_source(r, "Note", "note") for r in rows],
            method="template",
        )


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row with JSON-friendly values."""
    return {k: (_iso(v) if hasattr(v, "to_native") or isinstance(v, datetime | date) else v) for k, v in row.items()}
