"""Retrieval speed on a large seeded CRM, side by side with LlamaIndex's default property-graph retrievers.

    .venv/bin/python bench/retrieval_speed.py [--rows 1000000] [--tenants 10] [--queries 200] [--record]

The graph must hold the seeded CRM of ``--rows``/``--tenants``/``--seed`` (``bench/common.py``
caches it under ``~/.cache/kgcrm/bench/``), synced with its embeddings::

    KGCRM_DATABASE_URL=sqlite:///$HOME/.cache/kgcrm/bench/crm-1000000-t10-s42.sqlite3 \\
        kgcrm graph init && kgcrm sync --full

(the script checks the counts and says so when they differ). The workload is drawn from
the relational rows (deterministic, ``--seed``), across every tenant:

- **resolve**: mentions made from rows: "First Last", "First at Organization", an email, an
  organization's name, its domain; expected: that row's entity.
- **vector**: tenant-filtered nearest-neighbour search (``SemanticSearch.nearest``) for the same
  mentions.
- **connections**: warm paths (``max_hops`` 4) to people and organizations drawn at random.
- **ask**: everyday questions (``ASK_FAMILIES``: deals in a stage, by stage, by category, open pipeline per
  currency, wins this quarter, the top rep, the largest deal, closing this month, a rep's and my deals,
  overdue tasks, my and someone's tasks, meetings last week, companies by industry and city, accounts by
  tier, contacts at / notes about / the last talk with an organization), instantiated with each tenant's
  own stage, industry, city, tier, main currency, team member and organization, asked as the tenant's
  busiest team member, through ``AskPipeline.ask`` (the semantic layer) and, on the same questions, through
  yesterday's ``TemplateAnswerer`` (``retrieval/templates.py``); p50/p95/max per path and per family, and
  how many the semantic layer answered (method ``semantic_layer``, nothing unapplied). The per-tenant value
  index is loaded before the timed runs and timed apart. ``--tasks ask`` runs only this (no embeddings
  needed: ``kgcrm sync --full --no-embeddings`` is enough).

The baseline, on the same graph and the same mentions: LlamaIndex's ``PGRetriever`` over
``Neo4jPropertyGraphStore`` with its two default sub-retrievers, ``VectorContextRetriever``
(filtered to the tenant with LlamaIndex's own ``MetadataFilters``) and ``LLMSynonymRetriever``
(its LLM is a scripted stand-in that returns the mention's words as synonyms: no network LLM
is called; a real LLM would add its own latency on top). Also the store's ``vector_query``
alone, with the tenant filter and without (the unfiltered call uses the vector index but
returns other tenants' entities: the share is printed).

Query embeddings are computed once before the timed runs and served from a dict to every
contender, so the figures are retrieval time; the embedding of one short mention is timed
separately (``encode``). Goals (issues 4, 17): resolve p95 <= 50 ms, connections <= 100 ms,
ask <= 100 ms, tenant-filtered vector search <= 20 ms.

Neo4j: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` when set, else the tests' local server.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from bench.common import (
    SEED_NOW,
    graph_size,
    machine,
    markdown_table,
    neo4j_credentials,
    neo4j_version,
    percentile,
    print_table,
    record_results,
    seeded_crm,
)
from kgcrm.core.embedding import SentenceTransformerEmbedding, load_embedding_model
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.retrieval.mentions import parse_mention
from kgcrm.retrieval.stack import build_stack

GOALS_MS = {"resolve": 50.0, "connections": 100.0, "ask": 100.0, "vector": 20.0}


@dataclass(frozen=True)
class Mention:
    tenant_id: str
    text: str
    kind: str
    expected: str


@dataclass(frozen=True)
class Question:
    tenant_id: str
    family: str
    text: str
    user_id: str  # the asker: "my", "me", "I"


@dataclass(frozen=True)
class Workload:
    mentions: list[Mention]
    targets: list[tuple[str, str]]  # (tenant id, person or organization id)
    questions: list[Question]


@dataclass
class Run:
    """Latencies (ms) and outcomes of one contender on one task."""

    name: str
    latencies: list[float] = field(default_factory=list)
    hits: int = 0
    hits3: int = 0
    leaks: int = 0  # results of another tenant
    results: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[str, float, bool, str, str, tuple[str, ...]]] = field(default_factory=list)
    # per call: (family, ms, answered, question, method, unapplied)

    def timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        out = call()
        self.latencies.append((time.perf_counter() - started) * 1e3)
        return out


# --- the workload, from the relational rows ------------------------------------------------------------


# Everyday questions for the ask pipeline, by family; {placeholders} are filled with each tenant's own values
# (``tenant_values``), and every question is asked as the tenant's busiest team member ("my", "me", "I").
ASK_FAMILIES: dict[str, tuple[str, ...]] = {
    "deals in a stage": ("How many deals are in {stage}?", "number of opportunities in the {stage} stage"),
    "deals by stage": ("How many deals are there per stage?", "deals by stage"),
    "deals by category": ("deals by status category", "count of opportunities per status category"),
    "open pipeline per currency": (
        "sum of open opportunity amounts",
        "What is the total amount of open deals in {main}?",
    ),
    "won this quarter": ("How many deals did we win this quarter?", "total won amount this year"),
    "top rep": ("the seller with the most open deals", "Which rep won the most deals this year?"),
    "largest deal": ("What is the largest open deal?", "biggest open opp"),
    "closing this month": ("open deals closing this month", "opps closing this month"),
    "a rep's deals": ("How many open deals does {user} have?", "open deals owned by {user}"),
    "my deals": ("my open opps", "How many deals do I own?"),
    "overdue tasks": ("How many tasks are overdue?", "overdue tasks"),
    "my tasks": ("What's on my plate?", "my open tasks"),
    "someone's tasks": ("open tasks for {user}", "How many open tasks does {user} have?"),
    "meetings last week": ("How many meetings did we have last week?", "meetings last week"),
    "companies in an industry": ("How many companies are in {industry}?", "number of {industry} companies"),
    "companies in a city": ("list firms in {city}", "companies in {city}, how many?"),
    "companies by industry": ("companies by industry", "the industry with the most organizations"),
    "accounts by tier": ("How many accounts are there per tier?", "how many accounts are in the {tier} tier?"),
    "contacts at": ("contacts at {org}", "who works at {org}"),
    "notes about": ("notes about {org}", "How many notes are there about {org}?"),
    "last talk to": ("When did we last talk to {org}?", "last interaction with {org}"),
    # conditions on related rows (an EXISTS subquery per asked row), and a question wrapped in chat talk
    "companies with open deals": ("How many companies have open deals?", "companies with no interactions last quarter"),
    "reps with overdue tasks": ("which reps have overdue tasks", "hey, quick q — how many open deals over 50k? thx"),
}
# Status names that are also a category word: "active accounts" would be ambiguous (the eval skips them too).
_CATEGORY_WORDS = ("open", "won", "lost", "active", "inactive", "done", "closed")


def tenant_values(conn: sa.Connection, tenant: str, rng: random.Random) -> dict[str, str]:
    """One tenant's own values for ASK_FAMILIES: a common open deal stage, industry, city, tier, main
    currency, a team member, an organization with deals; and the asker ("me": the user owning most leads)."""

    def ranked(sql: str) -> list[str]:
        rows = conn.execute(sa.text(sql), {"t": tenant}).all()
        return [r[0] for r in sorted(rows, key=lambda r: (-r[1], str(r[0]))) if r[0]]

    users = ranked(
        "SELECT u.id, count(l.id) FROM app_user u LEFT JOIN lead l ON l.owner_id = u.id "
        "WHERE u.tenant_id = :t AND u.is_active GROUP BY u.id"
    )
    names = dict(conn.execute(sa.text("SELECT id, full_name FROM app_user WHERE tenant_id = :t"), {"t": tenant}).all())
    firsts = [str(names[u] or "").split(" ")[0].lower() for u in users]
    others = [u for u in users[1:] if names.get(u) and firsts.count(str(names[u]).split(" ")[0].lower()) == 1]
    stages = [
        s
        for s in ranked(
            "SELECT s.name, count(*) FROM lead l JOIN status s ON s.id = l.status_id "
            "WHERE l.tenant_id = :t AND l.lead_type = 'opportunity' AND s.category = 'open' GROUP BY s.name"
        )
        if s.lower() not in _CATEGORY_WORDS
    ]
    orgs = conn.execute(
        sa.text(
            "SELECT o.name FROM organization o WHERE o.tenant_id = :t AND o.name IS NOT NULL AND o.id IN "
            "(SELECT organization_id FROM lead WHERE tenant_id = :t AND organization_id IS NOT NULL "
            "ORDER BY id LIMIT 200)"
        ),
        {"t": tenant},
    ).all()
    pick = lambda values: rng.choice(values[:3])  # noqa: E731 - one of the three commonest
    return {
        "me": users[0],
        "user": str(names[rng.choice(others[:5] or users[:1])]),
        "stage": pick(stages),
        "industry": pick(ranked("SELECT industry, count(*) FROM organization WHERE tenant_id = :t GROUP BY industry")),
        "city": pick(
            ranked("SELECT location, count(*) FROM organization WHERE tenant_id = :t GROUP BY location")
        ).split(",")[0],
        "tier": pick(ranked("SELECT tier, count(*) FROM account WHERE tenant_id = :t GROUP BY tier")),
        "main": ranked("SELECT o.currency, count(*) FROM opportunity o WHERE o.tenant_id = :t GROUP BY o.currency")[0],
        "org": str(rng.choice(orgs)[0]),
    }


def draw_workload(engine: sa.Engine, tenants: Sequence[str], per_tenant: int, seed: int) -> Workload:
    rng = random.Random(seed)
    mentions: list[Mention] = []
    targets: list[tuple[str, str]] = []
    questions: list[Question] = []
    with engine.connect() as conn:
        for tenant in tenants:
            people = conn.execute(
                sa.text(
                    "SELECT i.id, i.first_name, i.last_name, i.email, o.name FROM individual i "
                    "LEFT JOIN contact c ON c.individual_id = i.id AND c.ended_on IS NULL AND c.tenant_id = :t "
                    "LEFT JOIN organization o ON o.id = c.organization_id "
                    "WHERE i.tenant_id = :t ORDER BY i.id"
                ),
                {"t": tenant},
            ).all()
            orgs = conn.execute(
                sa.text("SELECT id, name, domain FROM organization WHERE tenant_id = :t ORDER BY id"), {"t": tenant}
            ).all()
            seen: set[str] = set()
            people = [p for p in people if not (p[0] in seen or seen.add(p[0]))]  # one row per person
            for pid, first, last, email, org in rng.sample(people, min(per_tenant, len(people))):
                kind = rng.choice(["name", "name at org", "email"])
                if kind == "name at org" and org and first:
                    mentions.append(Mention(tenant, f"{first} at {org}", kind, pid))
                elif kind == "email" and email:
                    mentions.append(Mention(tenant, email, kind, pid))
                elif first and last:
                    mentions.append(Mention(tenant, f"{first} {last}", "name", pid))
            for oid, name, domain in rng.sample(orgs, min(per_tenant // 2, len(orgs))):
                if domain and rng.random() < 0.4:
                    mentions.append(Mention(tenant, domain, "domain", oid))
                elif name:
                    mentions.append(Mention(tenant, name, "organization", oid))
            targets += [(tenant, p[0]) for p in rng.sample(people, min(per_tenant // 2, len(people)))]
            targets += [(tenant, o[0]) for o in rng.sample(orgs, min(per_tenant // 2, len(orgs)))]
            values = tenant_values(conn, tenant, rng)
            for family, phrasings in ASK_FAMILIES.items():
                for phrasing in phrasings:
                    questions.append(Question(tenant, family, phrasing.format(**values), values["me"]))
    rng.shuffle(mentions)
    rng.shuffle(targets)
    rng.shuffle(questions)
    return Workload(mentions, targets, questions)


# --- LlamaIndex's default pipeline ---------------------------------------------------------------------


def scripted_synonym_llm() -> Any:
    """LLMSynonymRetriever's LLM, scripted (no network): the question's words, '^'-separated."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    class ScriptedSynonyms(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="scripted-synonyms")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            question = prompt.rsplit("QUERY:", 1)[-1].split("----", 1)[0]
            words = [w.strip(" ?.,:'\"") for w in question.split()]
            words = [w for w in words if len(w) > 2]
            return CompletionResponse(text="^".join(dict.fromkeys([*words, " ".join(words)])))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            raise NotImplementedError

    return ScriptedSynonyms()


def llamaindex_store(credentials: Any) -> Any:
    from llama_index.graph_stores.neo4j import Neo4jPropertyGraphStore

    return Neo4jPropertyGraphStore(
        username=credentials.user,
        password=credentials.password.get_secret_value(),
        url=credentials.uri,
        create_indexes=False,
        refresh_schema=False,
    )


def tenant_filter(tenant_id: str) -> Any:
    from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

    return MetadataFilters(filters=[MetadataFilter(key="tenant_id", value=tenant_id)])


def llamaindex_pipeline(store: Any, embed_model: Any, tenant_id: str) -> Any:
    from llama_index.core.indices.property_graph import LLMSynonymRetriever, PGRetriever, VectorContextRetriever

    return PGRetriever(
        sub_retrievers=[
            VectorContextRetriever(
                store, embed_model=embed_model, filters=tenant_filter(tenant_id), include_text=False
            ),
            LLMSynonymRetriever(store, llm=scripted_synonym_llm(), include_text=False),
        ],
        use_async=False,
    )


class CachedEmbedding:
    """Query embeddings computed once, served to every contender (so the figures are retrieval time)."""

    def __init__(self, model: Any, texts: Sequence[str]) -> None:
        self.model = model
        vectors = model.encode(list(dict.fromkeys(texts)), batch_size=64, normalize_embeddings=True)
        self.vectors = {t: v.tolist() for t, v in zip(dict.fromkeys(texts), vectors, strict=True)}
        self.misses = 0  # texts a contender embeds besides the query itself (a sub-mention, say): encoded then

    def __call__(self, text: str) -> list[float]:
        vector = self.vectors.get(text)
        if vector is None:
            self.misses += 1
            vector = self.vectors[text] = self.model.encode([text], normalize_embeddings=True)[0].tolist()
        return vector


def cached_llamaindex_embedding(model: Any, cache: CachedEmbedding, model_name: str) -> Any:
    embedding = SentenceTransformerEmbedding(model, model_name=model_name)
    object.__setattr__(embedding, "_get_query_embedding", cache)  # same vectors, no encode in the timed path
    return embedding


# --- the runs ------------------------------------------------------------------------------------------


def tenant_of(gateway: GraphGateway, ids: Sequence[str]) -> dict[str, str]:
    rows = gateway.read(
        "bench_tenants",
        "MATCH (n:__Entity__) WHERE n.id IN $ids RETURN n.id AS id, n.tenant_id AS t",
        {"ids": list(ids)},
    )
    return {r["id"]: r["t"] for r in rows}


def score_ranked(run: Run, gateway: GraphGateway, mention: Mention, ids: Sequence[str]) -> None:
    """Top-1/top-3 hits of a ranked list of entity ids, and how many belong to another tenant."""
    run.hits += bool(ids) and ids[0] == mention.expected
    run.hits3 += mention.expected in ids[:3]
    owners = tenant_of(gateway, ids)
    run.results += len(ids)
    run.leaks += sum(1 for i in ids if owners.get(i) != mention.tenant_id)


def run_resolve(stack: Any, mentions: Sequence[Mention]) -> Run:
    run = Run("kgcrm resolve")
    for m in mentions:
        resolution = run.timed(
            lambda m=m: stack.resolver.resolve(m.text, m.tenant_id, types=["Person", "Organization"])
        )
        ids = [c.id for c in resolution.candidates]
        run.hits += bool(ids) and ids[0] == m.expected
        run.hits3 += m.expected in ids[:3]
    return run


def run_vector(stack: Any, mentions: Sequence[Mention], gateway: GraphGateway) -> Run:
    run = Run("kgcrm nearest (tenant-filtered)")
    for m in mentions:
        rows = run.timed(
            lambda m=m: stack.search.nearest(m.text, m.tenant_id, types=["Person", "Organization"], limit=10)
        )
        score_ranked(run, gateway, m, [r["id"] for r in rows])
    return run


def run_llamaindex_vector(
    store: Any, cache: CachedEmbedding, mentions: Sequence[Mention], *, filtered: bool, gateway: GraphGateway
) -> Run:
    from llama_index.core.vector_stores.types import VectorStoreQuery

    run = Run("LlamaIndex vector_query " + ("(tenant filter: scan)" if filtered else "(no filter: index)"))
    for m in mentions:
        query = VectorStoreQuery(
            query_embedding=cache(m.text), similarity_top_k=10, filters=tenant_filter(m.tenant_id) if filtered else None
        )
        nodes, _ = run.timed(lambda q=query: store.vector_query(q))
        score_ranked(run, gateway, m, [n.id for n in nodes])
    return run


def run_llamaindex_pipeline(store: Any, embed_model: Any, mentions: Sequence[Mention], gateway: GraphGateway) -> Run:
    run = Run("LlamaIndex PGRetriever (vector context + synonyms)")
    pipelines: dict[str, Any] = {}
    for m in mentions:
        pipeline = pipelines.get(m.tenant_id) or pipelines.setdefault(
            m.tenant_id, llamaindex_pipeline(store, embed_model, m.tenant_id)
        )
        results = run.timed(lambda m=m, p=pipeline: p.retrieve(m.text))
        # LlamaIndex names entities by their `id`: a result's text is "source -> RELATION -> target"
        texts = [r.node.get_content() for r in results]
        run.hits += bool(texts) and texts[0].split(" -> ")[0] == m.expected
        run.hits3 += any(m.expected in t.split(" -> ") for t in texts[:3])
        ids = {part for t in texts for part in (t.split(" -> ")[0], t.split(" -> ")[-1])}
        owners = tenant_of(gateway, sorted(ids))
        run.results += len(ids)
        run.leaks += sum(1 for i in ids if owners.get(i) not in (None, m.tenant_id))
    return run


def run_connections(stack: Any, targets: Sequence[tuple[str, str]]) -> Run:
    run = Run("kgcrm connections (max_hops 4)")
    for tenant_id, target in targets:
        result = run.timed(lambda t=tenant_id, x=target: stack.connections.connections(x, t, max_hops=4))
        run.hits += bool(result.paths)
    return run


def run_ask(stack: Any, questions: Sequence[Question]) -> Run:
    """The ask pipeline (the semantic layer since issue 17): answered = method semantic_layer, nothing unapplied."""
    run = Run("kgcrm ask (semantic layer)")
    for q in questions:
        answer = run.timed(lambda q=q: stack.ask.ask(q.text, q.tenant_id, user_id=q.user_id))
        answered = answer.method == "semantic_layer" and not answer.unapplied
        run.hits += answered
        run.extra[answer.method] = run.extra.get(answer.method, 0) + 1
        run.samples.append((q.family, run.latencies[-1], answered, q.text, answer.method, tuple(answer.unapplied)))
    return run


def run_template_path(stack: Any, questions: Sequence[Question]) -> Run:
    """Yesterday's template intents (retrieval/templates.py) on the same questions, side by side.

    'Matched' is not 'right': a template that recognises "deals" answers with all deals (issue 17)."""
    from kgcrm.retrieval.templates import TemplateAnswerer

    answerer = TemplateAnswerer(stack.ask.gateway, stack.resolver, stack.ask.clock)
    run = Run("kgcrm templates (before issue 17)")
    for q in questions:
        answer = run.timed(lambda q=q: answerer.answer(q.text, q.tenant_id))
        run.hits += answer is not None
        run.samples.append((q.family, run.latencies[-1], answer is not None, q.text, "", ()))
    return run


def load_value_indexes(gateway: GraphGateway, tenants: Sequence[str]) -> Run:
    """The semantic layer's per-tenant value index, read from the graph (once per tenant and sync checkpoint)."""
    from kgcrm.retrieval.semantic_layer.values import ValueIndex

    run = Run("value index load (once per tenant and checkpoint)")
    for tenant in tenants:
        run.timed(lambda t=tenant: ValueIndex.load(gateway, t))
    return run


def family_table(layer: Run, templates: Run) -> tuple[list[str], list[list[str]]]:
    """p50/p95/max per question family, the semantic layer beside the templates."""
    header = [
        "family",
        "n",
        "layer p50",
        "layer p95",
        "layer max",
        "answered",
        "templates p50",
        "templates p95",
        "templates max",
        "template matched",
    ]
    rows = []
    for family in ASK_FAMILIES:
        mine = [s for s in layer.samples if s[0] == family]
        theirs = [s for s in templates.samples if s[0] == family]
        if not mine:
            continue
        ms, ts = [s[1] for s in mine], [s[1] for s in theirs]
        rows.append(
            [
                family,
                str(len(mine)),
                f"{percentile(ms, 50):.1f}",
                f"{percentile(ms, 95):.1f}",
                f"{max(ms):.1f}",
                f"{sum(s[2] for s in mine)}/{len(mine)}",
                f"{percentile(ts, 50):.1f}",
                f"{percentile(ts, 95):.1f}",
                f"{max(ts):.1f}",
                f"{sum(s[2] for s in theirs)}/{len(theirs)}",
            ]
        )
    return header, rows


# --- main ----------------------------------------------------------------------------------------------


def bench_tenants(engine: sa.Engine, count: int) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT id FROM tenant ORDER BY id LIMIT :n"), {"n": count})]


def check_graph(engine: sa.Engine, gateway: GraphGateway, tenants: Sequence[str], *, embedded: bool = True) -> None:
    """The graph mirrors the CRM, and (``embedded``) the bench tenants' people have embeddings."""
    with engine.connect() as conn:
        people = conn.execute(sa.text("SELECT count(*) FROM individual")).scalar_one()
    rows = gateway.read(
        "bench_check",
        "MATCH (p:Person) RETURN count(p) AS people, "
        "count(CASE WHEN p.tenant_id IN $tenants AND p.embedding IS NULL THEN 1 END) AS unembedded",
        {"tenants": list(tenants)},
    )
    if rows[0]["people"] != people or (embedded and rows[0]["unembedded"]):
        raise SystemExit(
            f"the graph holds {rows[0]['people']:,} Person nodes ({rows[0]['unembedded']:,} of the bench tenants "
            f"without an embedding), the CRM {people:,} individuals: sync the CRM with its embeddings first "
            "(see this script's docstring)"
        )


TASKS = ("resolve", "vector", "connections", "ask", "encode")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", type=int, default=100, help="mentions and targets drawn per bench tenant")
    parser.add_argument(
        "--bench-tenants", type=int, default=10, help="tenants the workload is drawn from (the first, by id)"
    )
    parser.add_argument("--baseline-queries", type=int, default=60, help="mentions given to the LlamaIndex runs")
    parser.add_argument("--no-baselines", action="store_true", help="kgcrm only (the LlamaIndex runs take minutes)")
    parser.add_argument(
        "--tasks",
        default=",".join(TASKS),
        help="comma-separated subset of " + ",".join(TASKS) + " ('ask' alone needs no embeddings in the graph)",
    )
    parser.add_argument("--record", action="store_true", help="write the figures into bench/RESULTS.md")
    args = parser.parse_args()
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if unknown := set(tasks) - set(TASKS):
        parser.error(f"unknown tasks {sorted(unknown)}: choose from {', '.join(TASKS)}")
    embedded = bool({"resolve", "vector"} & set(tasks))
    base = not args.no_baselines and embedded

    crm = seeded_crm(args.rows, tenants=args.tenants, seed=args.seed)
    engine = make_engine(f"sqlite:///{crm}")
    tenants = bench_tenants(engine, args.bench_tenants)
    workload = draw_workload(engine, tenants, args.queries, args.seed)
    settings = Settings()
    model = load_embedding_model(settings)
    texts = [q.text for q in workload.questions] + ([m.text for m in workload.mentions] if embedded else [])
    texts += [parse_mention(t, now=SEED_NOW).text for t in texts]  # what the resolver embeds
    encode = Run("encode one mention (sentence-transformers, CPU)")
    for text in texts[:100] if "encode" in tasks else []:
        encode.timed(lambda t=text: model.encode([t], normalize_embeddings=True))
    cache = CachedEmbedding(model, texts)

    credentials = neo4j_credentials()
    driver = make_driver(credentials)
    store = llamaindex_store(credentials) if base else None
    runs: dict[str, list[Run]] = {}
    try:
        gateway = GraphGateway(driver)
        check_graph(engine, gateway, tenants, embedded=embedded)
        nodes, rels = graph_size(driver)
        stack = build_stack(gateway, embed=cache, clock=lambda: SEED_NOW)
        embed_model = cached_llamaindex_embedding(model, cache, settings.embedding_model) if base else None
        warm = workload.mentions[:20]
        if embedded:
            run_resolve(stack, warm), run_vector(stack, warm, gateway)
        if base:
            run_llamaindex_pipeline(store, embed_model, warm[:5], gateway)
        if "connections" in tasks:
            run_connections(stack, workload.targets[:10])
        if "ask" in tasks:
            index_loads = load_value_indexes(gateway, tenants)
            for tenant in tenants:  # the layer's own cache: one index per tenant, as a server holds them
                stack.ask.semantic_layer.values.get(tenant)
            run_ask(stack, workload.questions[:20]), run_template_path(stack, workload.questions[:20])

        baseline = workload.mentions[: args.baseline_queries]
        if "resolve" in tasks:
            runs["resolve"] = [run_resolve(stack, workload.mentions)] + (
                [run_llamaindex_pipeline(store, embed_model, baseline, gateway)] if base else []
            )
        if "vector" in tasks:
            runs["vector"] = [run_vector(stack, workload.mentions, gateway)] + (
                [
                    run_llamaindex_vector(store, cache, baseline, filtered=True, gateway=gateway),
                    run_llamaindex_vector(store, cache, workload.mentions, filtered=False, gateway=gateway),
                ]
                if base
                else []
            )
        if "connections" in tasks:
            runs["connections"] = [run_connections(stack, workload.targets)]
        if "ask" in tasks:
            # interleaved in halves, so that a load spike on the shared machine hits both paths alike
            half = len(workload.questions) // 2
            layer, templates = (
                run_ask(stack, workload.questions[:half]),
                run_template_path(stack, workload.questions[:half]),
            )
            templates2 = run_template_path(stack, workload.questions[half:])  # the other one first this time
            layer2 = run_ask(stack, workload.questions[half:])
            for mine, more in ((layer, layer2), (templates, templates2)):
                mine.latencies += more.latencies
                mine.samples += more.samples
                mine.hits += more.hits
                for k, v in more.extra.items():
                    mine.extra[k] = mine.extra.get(k, 0) + v
            runs["ask"] = [layer, templates, index_loads]
        if "encode" in tasks:
            runs["encode"] = [encode]
        version = neo4j_version(driver)
    finally:
        if store is not None:
            store.close()
            asyncio.run(store._async_driver.close())
        driver.close()

    header = [
        "task",
        "contender",
        "n",
        "p50 ms",
        "p95 ms",
        "max ms",
        "top-1",
        "top-3",
        "other tenants' results",
        "goal p95",
    ]
    table = []
    for task, task_runs in runs.items():
        for run in task_runs:
            n = len(run.latencies)
            p95 = percentile(run.latencies, 95)
            goal = GOALS_MS.get(task)
            timed_goal = run.name.startswith("kgcrm") and "templates" not in run.name
            met = "" if goal is None or not timed_goal else ("met" if p95 <= goal else "SHORT")
            top = task in ("resolve", "vector")
            outcome = ""
            if top:
                outcome = f"{run.hits / n:.0%}"
            elif task == "connections":
                outcome = f"{run.hits / n:.0%} with a path"
            elif task == "ask" and run.samples:
                outcome = f"{run.hits}/{n} " + ("answered" if "semantic" in run.name else "matched")
            table.append(
                [
                    task,
                    run.name,
                    str(n),
                    f"{percentile(run.latencies, 50):.1f}",
                    f"{p95:.1f}",
                    f"{max(run.latencies):.1f}",
                    outcome,
                    f"{run.hits3 / n:.0%}" if top else "",
                    f"{run.leaks}/{run.results}" if run.results else "",
                    f"≤ {goal:.0f} ms {met}" if goal is not None and met else "",
                ]
            )
    title = f"retrieval on {args.rows:,} seeded rows ({args.tenants} tenants)"
    print_table(title, header, table)
    sections = [markdown_table(header, table)]
    if "ask" in runs:
        layer, templates = runs["ask"][0], runs["ask"][1]
        fheader, frows = family_table(layer, templates)
        print_table("ask: per question family", fheader, frows)
        methods = ", ".join(f"{k} {v}" for k, v in sorted(layer.extra.items(), key=lambda kv: -kv[1]))
        slowest = sorted(layer.samples, key=lambda s: -s[1])[:8]
        not_answered = [s for s in layer.samples if not s[2]]
        lines = [f"- {s[1]:.0f} ms · {s[0]} · “{s[3]}” ({s[4]})" for s in slowest]
        misses = [f"- {s[0]} · “{s[3]}” → {s[4]}, unapplied {list(s[5])}" for s in not_answered[:12]]
        detail = (
            f"Ask: {len(layer.samples)} questions ({len(ASK_FAMILIES)} families, 2 phrasings each, "
            f"{len(tenants)} tenants, each tenant's own stage, industry, city, tier, currency, team member and "
            f"organization; asked as the tenant's busiest team member). Methods: {methods}. "
            "'answered' = method semantic_layer with nothing unapplied; a template 'matched' when it "
            "returned anything (right or not). Value indexes loaded before the timed runs (row "
            "'value index load').\n\nSlowest semantic-layer questions:\n\n" + "\n".join(lines)
        )
        if misses:
            detail += "\n\nNot answered by the semantic layer:\n\n" + "\n".join(misses)
        print(detail)
        sections += [markdown_table(fheader, frows), detail]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"### Retrieval speed, {args.rows:,} seeded rows ({args.tenants} tenants)"
        + (", side by side with LlamaIndex" if base else "")
        + f"\n\n{stamp} · {machine()} · Neo4j {version} · graph {nodes:,} nodes + {rels:,} relationships · "
        f"`bench/retrieval_speed.py --rows {args.rows} --queries {args.queries} "
        f"--bench-tenants {args.bench_tenants} --tasks {','.join(tasks)}`\n\n"
        "Query embeddings computed once and served to every contender (timed apart: `encode`). "
        + ("LlamaIndex's synonym LLM is a scripted stand-in (no network LLM).\n\n" if base else "\n\n")
        + "\n\n".join(sections)
    )
    if args.record:
        suffix = "" if set(tasks) == set(TASKS) else "_" + "_".join(tasks)
        record_results(f"retrieval_speed_{args.rows}{suffix}", body)
    else:
        print(body)


if __name__ == "__main__":
    main()
