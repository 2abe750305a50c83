"""Evaluation of context packs (``GET /v1/context``) against the seed's planted facts.

Each case is a question about one entity and the rows an answer needs (``(table, id)``), taken from
the seed's ground truth, or found by SQL on the relational CRM for what the truth names but does not
list (the planted note on a connector, a moved person's current role, an organization's open leads):

- ``intro`` (a planted warm-path target, and its organization): "Who can introduce us to X?" needs
  the planted 0.9 relationship row between the connector and the target;
- ``connector`` (the connector of a planted path): "Does A know anyone at Org?" needs that
  relationship row and the planted note on A ("… offered to make an intro");
- ``meeting`` (the meeting yesterday, the meeting and the call last week): "When did we last talk
  to X?" needs the interaction row;
- ``moved`` (a person who changed jobs): "Where does X work now?" needs the current contact row;
- ``note`` (a note that mentions a person): "What do our notes say about <mention>?" needs the note;
- ``deals`` (the planted targets' organizations with open leads): "What is open with Org?" needs
  every open lead row.

Each case is packed at 1k, 2k and 4k tokens (with its question; ranked by it when an embedding model
is given), and a case is covered when every needed row is cited by the pack. The naive baseline is
the entity's whole 2-hop neighbourhood (``cypher/context_baseline.cypher``: every entity within two
hops with its properties, and the relationships among them), serialised as JSON lines; its size is
counted with the same tokenizer, and its coverage is measured whole and cut to the same budgets.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from kgcrm import cypher
from kgcrm.core.errors import DataError
from kgcrm.eval.connections import percentile, seed_now
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.connections import ConnectionFinder
from kgcrm.retrieval.context import ContextBuilder, ContextPack, TokenCounter
from kgcrm.retrieval.entities import EntityReader
from kgcrm.retrieval.json_values import jsonable
from kgcrm.retrieval.resolve import EntityResolver

BUDGETS = (1000, 2000, 4000)
#: The baseline reads at most this many nodes (an organization's 2-hop neighbourhood can be thousands).
BASELINE_NODES = 20_000
#: Open leads of an organization the pack reads at most (ContextLimits.work): larger sets are not asked.
MAX_NEEDED_LEADS = 20


@dataclass(frozen=True)
class Case:
    tenant_id: str
    kind: str
    about: str  # an entity id
    question: str
    needed: frozenset[tuple[str, str]]


@dataclass
class CaseOutcome:
    case: Case
    covered: dict[int, bool]  # budget → every needed row cited
    pack_tokens: dict[int, int]
    baseline_tokens: int
    baseline_nodes: int
    baseline_truncated: bool
    baseline_covered: bool
    baseline_cut_covered: dict[int, bool]
    latency_ms: float  # the 2k pack


@dataclass
class ContextFigures:
    outcomes: list[CaseOutcome] = field(default_factory=list)
    ranking: str = "recency"

    def share(self, budget: int, kind: str | None = None) -> float:
        cases = [o for o in self.outcomes if kind is None or o.case.kind == kind]
        return sum(o.covered[budget] for o in cases) / len(cases) if cases else 0.0

    def baseline_share(self, budget: int | None = None) -> float:
        if not self.outcomes:
            return 0.0
        if budget is None:
            return sum(o.baseline_covered for o in self.outcomes) / len(self.outcomes)
        return sum(o.baseline_cut_covered[budget] for o in self.outcomes) / len(self.outcomes)

    def kinds(self) -> list[str]:
        return sorted({o.case.kind for o in self.outcomes})

    def summary(self) -> str:
        if not self.outcomes:
            return "context packs: no planted case in the truth"
        n = len(self.outcomes)
        lines = [f"context packs: {n} planted questions (ranked by {self.ranking}); needed facts in the pack at"]
        lines.append("  " + ", ".join(f"{b // 1000}k tokens {self.share(b):.1%}" for b in BUDGETS))
        for kind in self.kinds():
            count = sum(o.case.kind == kind for o in self.outcomes)
            lines.append(
                f"    {kind:<10} ({count:>3}): " + ", ".join(f"{b // 1000}k {self.share(b, kind):.0%}" for b in BUDGETS)
            )
        baseline = [o.baseline_tokens for o in self.outcomes]
        lines.append(
            f"  naive baseline (whole 2-hop neighbourhood as JSON): median {percentile(baseline, 0.5):,.0f} tokens, "
            f"p95 {percentile(baseline, 0.95):,.0f}, max {max(baseline):,}; has the needed facts "
            f"{self.baseline_share():.1%}; cut to "
            + ", ".join(f"{b // 1000}k: {self.baseline_share(b):.1%}" for b in BUDGETS)
        )
        for b in BUDGETS:
            used = [o.pack_tokens[b] for o in self.outcomes]
            ratio = [o.baseline_tokens / max(1, o.pack_tokens[b]) for o in self.outcomes]
            lines.append(
                f"  pack at {b // 1000}k: median {percentile(used, 0.5):,.0f} tokens "
                f"(baseline / pack: median {percentile(ratio, 0.5):.1f}x)"
            )
        latencies = [o.latency_ms for o in self.outcomes]
        lines.append(
            f"  pack latency (2k) p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms"
        )
        return "\n".join(lines)


# --- the cases -----------------------------------------------------------------------------------------


def _scalar_rows(engine: sa.Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(query), params))


def planted_cases(truth: Mapping[str, Any], engine: sa.Engine, *, tenant: str | None = None) -> list[Case]:
    """The planted questions of ``tenant`` (slug or id; None: every tenant), with the rows each needs."""
    tenants = [t for t in truth["tenants"] if tenant is None or tenant in (t["slug"], t["id"])]
    if not tenants:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    cases: list[Case] = []
    for t in tenants:
        tid = t["id"]
        names = _names(engine, tid)
        for planted in t["warm_paths"]:
            target, org = planted["target"], planted["target_organization"]
            rel = planted["hops"][1]["relationship_id"]
            connector = planted["nodes"][1]
            needed = frozenset({("relationship", rel)})
            cases.append(Case(tid, "intro", target["id"], f"Who can introduce us to {target['name']}?", needed))
            cases.append(Case(tid, "intro", org["id"], f"Who can introduce us to {org['name']}?", needed))
            notes = _scalar_rows(
                engine,
                "SELECT id FROM note WHERE tenant_id = :t AND subject_type = 'individual' AND subject_id = :p "
                "AND body LIKE :body",
                t=tid,
                p=connector,
                body=f"%know {target['name']}%offered to make an intro%",
            )
            if notes:
                cases.append(
                    Case(
                        tid,
                        "connector",
                        connector,
                        f"Does {names.get(connector, 'this person')} know anyone at {org['name']}?",
                        frozenset({("note", notes[0].id), ("relationship", rel)}),
                    )
                )
        # the planted targets' organizations and the look-alike anchors (Acme, Northwind …) with open leads
        orgs = [p["target_organization"]["id"] for p in t["warm_paths"]]
        orgs += [
            a["per_tenant"][t["slug"]]["id"]
            for a in truth.get("look_alikes", [])
            if a.get("entity_type") == "organization" and t["slug"] in a.get("per_tenant", {})
        ]
        for org_id in dict.fromkeys(orgs):
            leads = _open_leads(engine, tid, org_id)
            if 0 < len(leads) <= MAX_NEEDED_LEADS:
                needed = frozenset(("lead", lead) for lead in leads)
                question = f"What deals are open with {names.get(org_id, 'them')}?"
                cases.append(Case(tid, "deals", org_id, question, needed))
        for mention in t["mentions"]:
            if mention.get("kind") == "time" and mention.get("interaction_id"):
                about = mention["expect"]
                question = f"When did we last talk to {names.get(about, 'them')}?"
                cases.append(
                    Case(tid, "meeting", about, question, frozenset({("interaction", mention["interaction_id"])}))
                )
        for move in t["job_changes"]:
            contacts = _scalar_rows(
                engine,
                "SELECT id FROM contact WHERE tenant_id = :t AND individual_id = :p AND organization_id = :o "
                "AND ended_on IS NULL",
                t=tid,
                p=move["individual"],
                o=move["to_organization"],
            )
            if contacts:
                name = names.get(move["individual"], "this person")
                needed = frozenset(("contact", c.id) for c in contacts)
                cases.append(Case(tid, "moved", move["individual"], f"Where does {name} work now?", needed))
        for mention in t["note_mentions"]:
            question = f"What do our notes say about {mention['text']}?"
            cases.append(Case(tid, "note", mention["expect"], question, frozenset({("note", mention["note_id"])})))
    return cases


def _names(engine: sa.Engine, tenant_id: str) -> dict[str, str]:
    rows = _scalar_rows(
        engine,
        "SELECT id, first_name || ' ' || last_name AS name FROM individual WHERE tenant_id = :t "
        "UNION ALL SELECT id, name FROM organization WHERE tenant_id = :t",
        t=tenant_id,
    )
    return {r.id: r.name for r in rows if r.name}


def _open_leads(engine: sa.Engine, tenant_id: str, org_id: str) -> list[str]:
    """Open leads of an organization, its accounts or its contacts (status category open; or no status, not closed)."""
    rows = _scalar_rows(
        engine,
        """
        SELECT DISTINCT l.id FROM lead l
        LEFT JOIN status s ON s.id = l.status_id
        LEFT JOIN opportunity op ON op.id = l.id
        WHERE l.tenant_id = :t
          AND (l.organization_id = :o
               OR l.account_id IN (SELECT id FROM account WHERE organization_id = :o AND tenant_id = :t)
               OR l.contact_id IN (SELECT id FROM contact WHERE organization_id = :o AND tenant_id = :t))
          AND ((s.id IS NULL AND op.closed_at IS NULL) OR (s.category = 'open' AND NOT s.is_terminal))
        ORDER BY l.id
        """,
        t=tenant_id,
        o=org_id,
    )
    return [r.id for r in rows]


# --- measuring -----------------------------------------------------------------------------------------


def cited(pack: ContextPack) -> set[tuple[str, str]]:
    return {(s.table, s.id) for section in pack.sections for item in section.items for s in item.sources}


def baseline_lines(
    gateway: GraphGateway, entity_id: str, tenant_id: str, *, limit: int = BASELINE_NODES
) -> tuple[list[str], int, bool]:
    """The naive baseline: the 2-hop neighbourhood as JSON lines (nodes nearest first, then relationships);
    at most ``limit`` nodes (the third value says whether that cut it)."""
    rows = gateway.read(
        "context_baseline",
        cypher.load("context_baseline"),
        {"id": entity_id, "tenant": tenant_id, "limit": limit},
    )
    if not rows:
        return [], 0, False
    row = rows[0]
    lines = [json.dumps(jsonable(node), sort_keys=True, ensure_ascii=False) for node in row["nodes"]]
    lines += [json.dumps(jsonable(rel), sort_keys=True, ensure_ascii=False) for rel in row["relationships"]]
    return lines, len(row["nodes"]), row["reachable"] > len(row["nodes"])


def _has(text: str, needed: frozenset[tuple[str, str]]) -> bool:
    return all(row_id in text for _, row_id in needed)


def _cut(lines: Sequence[str], budget: int, count: Callable[[str], int]) -> str:
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)


def evaluate_context_packs(
    gateway: GraphGateway,
    truth: Mapping[str, Any],
    engine: sa.Engine,
    *,
    tenant: str | None = None,
    embed: Callable[[str], Sequence[float]] | None = None,
    tokenizer: str | None = None,
    builder: ContextBuilder | None = None,
) -> ContextFigures:
    """Pack every planted case at 1k, 2k and 4k tokens and measure coverage and size against the baseline."""
    now = seed_now(truth)
    if builder is None:
        resolver = EntityResolver(gateway, embedder=embed, clock=lambda: now)
        builder = ContextBuilder(
            gateway,
            entities=EntityReader(gateway),
            resolver=resolver,
            connections=ConnectionFinder(gateway, clock=lambda: now, resolver=resolver),
            tokens=TokenCounter(tokenizer) if tokenizer else TokenCounter(),
            embed=embed,
            clock=lambda: now,
        )
    count = builder.tokens.count
    figures = ContextFigures(ranking="question (embeddings)" if builder.embed is not None else "recency")
    baselines: dict[tuple[str, str], tuple[list[str], int, bool]] = {}
    for case in planted_cases(truth, engine, tenant=tenant):
        covered: dict[int, bool] = {}
        tokens: dict[int, int] = {}
        latency = 0.0
        for budget in BUDGETS:
            started = time.perf_counter()
            pack = builder.build_for_id(case.about, case.tenant_id, budget_tokens=budget, question=case.question)
            if budget == 2000:
                latency = (time.perf_counter() - started) * 1e3
            covered[budget] = case.needed <= cited(pack)
            tokens[budget] = pack.used_tokens
        key = (case.tenant_id, case.about)
        if key not in baselines:
            baselines[key] = baseline_lines(gateway, case.about, case.tenant_id)
        lines, nodes, truncated = baselines[key]
        whole = "\n".join(lines)
        figures.outcomes.append(
            CaseOutcome(
                case=case,
                covered=covered,
                pack_tokens=tokens,
                baseline_tokens=count(whole),
                baseline_nodes=nodes,
                baseline_truncated=truncated,
                baseline_covered=_has(whole, case.needed),
                baseline_cut_covered={b: _has(_cut(lines, b, count), case.needed) for b in BUDGETS},
                latency_ms=latency,
            )
        )
    return figures


def misses(figures: ContextFigures, budget: int = 2000) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = defaultdict(list)
    for o in figures.outcomes:
        if not o.covered[budget]:
            out[o.case.kind].append(o.case)
    return dict(out)
