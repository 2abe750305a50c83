"""Text-to-Cypher: a language model writes a read-only query, the guard scopes it to the caller's tenant.

:class:`Text2CypherRetriever` answers a question over the graph in four steps:

1. prompt the model with the declared graph model (:func:`schema_prompt`, the same
   text for every call), the rules of the accepted Cypher subset and a few examples;
2. take the query out of the model's answer (the first code fence, or the text);
3. :func:`kgcrm.retrieval.cypher_guard.guard` it (refuses writes, calls, parameters,
   Unicode tricks …, and puts ``tenant_id: $__tenant`` on every node pattern), then
   :func:`kgcrm.retrieval.cypher_guard.run_guarded` it (EXPLAIN read-only, then a read
   transaction with a timeout and a row limit);
4. on a refusal or a Cypher error, send the error back to the model **once**; a
   second failure raises :class:`Text2CypherError`, naming both attempts.

The answer's ``cypher`` is the query that ran (the rewritten, tenant-scoped one)
and ``data`` its rows. :meth:`Text2CypherRetriever.as_llama_retriever` binds a
tenant and returns a LlamaIndex ``BaseRetriever``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kgcrm.core.errors import ConfigurationError, GraphQueryError, Text2CypherError, UnsafeCypherError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.cypher_guard import GuardedRows, guard, run_guarded
from kgcrm.retrieval.graph_schema_prompt import schema_prompt
from kgcrm.retrieval.llm import ChatModel
from kgcrm.retrieval.types import Answer

log = logging.getLogger(__name__)

METHOD = "text2cypher"
MAX_SHOWN_ROWS = 10


@dataclass(frozen=True)
class Example:
    question: str
    cypher: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "How many organizations do we have?",
        "MATCH (o:Organization) RETURN count(o) AS organizations",
    ),
    Example(
        "Who works at Acme right now?",
        'MATCH (p:Person)-[w:WORKS_AT]->(o:Organization)\nWHERE toLower(o.name) CONTAINS "acme" AND w.current = true\n'
        "RETURN p.id AS id, p.name AS person, w.title AS title ORDER BY person LIMIT 50",
    ),
    Example(
        "Which open opportunities are above 10000, largest first?",
        "MATCH (l:Lead:Opportunity)-[:HAS_STATUS]->(s:Status)\n"
        'WHERE s.category = "open" AND l.amount > 10000\n'
        "OPTIONAL MATCH (l)-[:FOR_ORGANIZATION]->(o:Organization)\n"
        "RETURN l.id AS id, l.title AS opportunity, l.amount AS amount, o.name AS organization\n"
        "ORDER BY amount DESC LIMIT 50",
    ),
    Example(
        "Who has Dana Smith interacted with most?",
        "MATCH (a:Person)-[i:INTERACTED]-(b:Person)\n"
        'WHERE toLower(a.name) = "dana smith"\n'
        "RETURN b.id AS id, b.name AS person, i.count AS interactions, i.last_at AS last_at\n"
        "ORDER BY interactions DESC LIMIT 20",
    ),
)

RULES = """\
Write ONE read-only Cypher query (Neo4j 5) that answers the question, in a ```cypher code block, and nothing else.
Rules: the query is checked by a strict parser and anything else is refused.
- Use only MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION,
  EXISTS { (pattern) WHERE ... } or EXISTS { MATCH ... RETURN ... }, pattern comprehensions,
  shortestPath(...) in MATCH, and built-in functions (count, collect, toLower, size, coalesce, date ...).
- Never write data, never CALL a procedure or a subquery, no LOAD CSV, no APOC, no comments, no ';'.
- No parameters ($name): write literal values in double quotes, e.g. "Acme".
- Do not filter on tenant_id: the system adds the tenant filter itself.
- One label per node pattern ((n:Person), not (n:Person|User)); no map projections (n {.name}); no regex (=~);
  write <> for "not equal" and put spaces around minus (a - 1).
- Match names case-insensitively with toLower(x.name) CONTAINS "...".
- Return properties (id and name first), not whole nodes; LIMIT lists to 50 rows.
"""

REPAIR = """\
Question: {question}

Your previous query:
```cypher
{cypher}
```
failed: {error}

Write a corrected query that follows the rules, in a ```cypher code block."""


_FENCE = re.compile(r"```[ \t]*(?:cypher|sql|neo4j)?[ \t]*\n?(.*?)```", re.IGNORECASE | re.DOTALL)
_THINKING = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)


def extract_cypher(reply: str) -> str:
    """The query in a model's reply: the first code fence, else the whole text."""
    text = _THINKING.sub("", reply or "")
    fenced = _FENCE.search(text)
    query = fenced.group(1) if fenced else text
    return query.strip()


def system_prompt(schema_text: str, examples: Sequence[Example] = EXAMPLES) -> str:
    shots = "\n\n".join(f"Question: {e.question}\n```cypher\n{e.cypher}\n```" for e in examples)
    intro = "You translate questions about a CRM graph into Cypher."
    return f"{intro}\n\n{RULES}\nThe graph:\n{schema_text}\n\nExamples:\n\n{shots}\n"


class Text2CypherRetriever:
    """Questions → one guarded, tenant-scoped, read-only Cypher query → an :class:`Answer`."""

    def __init__(
        self,
        gateway: GraphGateway,
        llm: ChatModel | None,
        *,
        schema_text: str | None = None,
        examples: Sequence[Example] = EXAMPLES,
        max_rows: int = 200,
        timeout_s: float = 10.0,
    ) -> None:
        self.gateway = gateway
        self.llm = llm
        self.system_prompt = system_prompt(schema_prompt() if schema_text is None else schema_text, examples)
        self.max_rows = max_rows
        self.timeout_s = timeout_s

    def answer(self, question: str, tenant_id: str) -> Answer:
        """Answer ``question`` from ``tenant_id``'s graph; raise :class:`Text2CypherError` if no query works."""
        if self.llm is None:
            raise ConfigurationError("text-to-Cypher needs an LLM: set KGCRM_LLM_BASE_URL and KGCRM_LLM_MODEL")
        if not tenant_id:
            raise ValueError("tenant_id is required")
        attempts: list[tuple[str, str]] = []
        user = f"Question: {question}"
        for attempt in (1, 2):
            cypher = extract_cypher(self.llm.complete(self.system_prompt, user))
            try:
                result = self._run(cypher, tenant_id)
            except (UnsafeCypherError, GraphQueryError) as error:
                reason = error.reason if isinstance(error, UnsafeCypherError) else str(error)
                log.info("text2cypher: attempt %d failed: %s", attempt, type(error).__name__)
                attempts.append((cypher, reason))
                user = REPAIR.format(question=question, cypher=cypher, error=reason)
                continue
            return Answer(
                answer=render(result),
                data=result.rows,
                cypher=result.cypher,
                sources=result.sources,
                method=METHOD,
            )
        raise Text2CypherError(question, attempts)

    def _run(self, cypher: str, tenant_id: str) -> GuardedRows:
        if not cypher:
            raise UnsafeCypherError("the answer held no query")
        guarded = guard(cypher)
        return run_guarded(self.gateway, guarded, tenant_id, max_rows=self.max_rows, timeout_s=self.timeout_s)

    def as_llama_retriever(self, tenant_id: str) -> LlamaText2CypherRetriever:
        """This retriever for one tenant, as a LlamaIndex ``BaseRetriever``."""
        return LlamaText2CypherRetriever(self, tenant_id)


class LlamaText2CypherRetriever(BaseRetriever):
    """A LlamaIndex retriever bound to one tenant: one node with the answer, its rows and query."""

    def __init__(self, retriever: Text2CypherRetriever, tenant_id: str, **kwargs: Any) -> None:
        if not tenant_id:
            raise ValueError("tenant_id is required")
        self._text2cypher = retriever
        self._tenant_id = tenant_id
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        answer = self._text2cypher.answer(query_bundle.query_str, self._tenant_id)
        rows = json.dumps(answer.data, default=str, ensure_ascii=False)
        node = TextNode(
            text=f"{answer.answer}\n\nRows: {rows}",
            metadata={"method": METHOD, "cypher": answer.cypher},
            excluded_llm_metadata_keys=["cypher"],
            excluded_embed_metadata_keys=["cypher"],
        )
        return [NodeWithScore(node=node, score=1.0)]


# --- the answer in words ----------------------------------------------------------------------


def render(result: GuardedRows) -> str:
    """A short plain-text rendering of the rows (no LLM: the rows are the answer)."""
    rows = result.rows
    if not rows:
        return "No results."
    if len(rows) == 1 and len(rows[0]) == 1:
        ((key, value),) = rows[0].items()
        return f"{key}: {_value(value)}"
    shown = rows[:MAX_SHOWN_ROWS]
    lines = ["; ".join(f"{k}: {_value(v)}" for k, v in row.items()) for row in shown]
    count = f"{len(rows)}{'+' if result.truncated else ''} rows"
    more = f" (first {len(shown)} shown)" if len(shown) < len(rows) or result.truncated else ""
    return f"{count}{more}:\n" + "\n".join(f"- {line}" for line in lines)


def _value(value: Any) -> str:
    if isinstance(value, dict) and "_labels" in value:
        return str(value.get("name") or value.get("id"))
    if isinstance(value, dict) and "nodes" in value and "relationships" in value:
        return " → ".join(_value(n) for n in value["nodes"])
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return "null" if value is None else str(value)


# --- the LLM fills the structured query (the semantic layer), it never writes Cypher for it -----------------

FILL_PROMPT = """\
You translate questions about a CRM into a call of the function `query_crm`. Answer with ONE JSON object: the
function's arguments, matching this JSON schema, and nothing else (no prose, no code fence). Never write Cypher.
Use only the entities and fields listed. Time windows are ISO-8601 with a time zone; now is {now}.
"My"/"me" is the caller: leave it out, the system adds it. If the question cannot be expressed, answer {{}}.

Entities and their fields:
{entities}

JSON schema of the arguments:
{schema}
"""

_JSON = re.compile(r"\{.*\}", re.DOTALL)


class StructuredQueryFiller:
    """A chat model fills a :class:`StructuredQuery` (JSON-schema function calling); it is validated against the
    semantic model, its values linked to the tenant's own values, its ids checked to be the tenant's. Anything
    wrong: ``None`` (the caller falls back), never a query outside the model."""

    def __init__(self, llm: ChatModel, layer: Any) -> None:
        self.llm = llm
        self.layer = layer

    def system_prompt(self) -> str:
        from kgcrm.retrieval.semantic_layer.model import ENTITIES
        from kgcrm.retrieval.semantic_layer.query import StructuredQuery

        entities = "\n".join(f"- {e.key} ({e.plural}): {', '.join(e.dimension_keys)}" for e in ENTITIES)
        schema = json.dumps(StructuredQuery.model_json_schema(), separators=(",", ":"))
        return FILL_PROMPT.format(now=self.layer.clock().isoformat(), entities=entities, schema=schema)

    def fill(self, question: str, tenant_id: str, user_id: str | None = None) -> Any:
        from pydantic import ValidationError

        from kgcrm.core.errors import QueryError
        from kgcrm.retrieval.semantic_layer.query import StructuredQuery, validate_query

        if hasattr(self.llm, "call_function"):  # JSON-schema function calling
            reply = self.llm.call_function(
                self.system_prompt(),
                f"Question: {question}",
                "query_crm",
                "Answer a question about the CRM with one structured query over the semantic model.",
                StructuredQuery.model_json_schema(),
            )
        else:
            reply = self.llm.complete(self.system_prompt(), f"Question: {question}")
        reply = _THINKING.sub("", reply)
        found = _JSON.search(reply)
        if found is None:
            return None
        try:
            arguments = json.loads(found.group(0))
            if not arguments:
                return None
            query = validate_query(StructuredQuery.model_validate(arguments))
            return self._linked(query, tenant_id)
        except (ValueError, ValidationError, QueryError) as exc:
            log.info("structured query from the LLM refused: %s", type(exc).__name__)
            return None

    def _linked(self, query: Any, tenant_id: str) -> Any:
        """Text values replaced by the tenant's stored values; ids checked to be the tenant's."""
        from kgcrm.core.errors import QueryError
        from kgcrm.retrieval.semantic_layer.model import ENTITY, VALUE_DIMENSIONS

        entity = ENTITY[query.entity]
        index = self.layer.values.get(tenant_id) if self.layer.values is not None else None
        linked_dims = set(VALUE_DIMENSIONS.values())
        filters = []
        for f in query.filters:
            dim = entity.dimension(f.field)
            assert dim is not None
            value = f.value
            if dim.type == "text" and f.op in ("=", "!=", "in") and f.field in linked_dims and index is not None:
                wanted = [k for k, v in VALUE_DIMENSIONS.items() if v == f.field]
                values = value if isinstance(value, list) else [value]
                stored = []
                for v in values:
                    matches = [m for m in index.link(str(v), dimensions=wanted) if m.span == (0, len(str(v)))]
                    if not matches:
                        raise QueryError(f"no {dim.words} called {v!r} in this CRM", field=f.field)
                    stored.append(matches[0].value)
                value = stored if isinstance(value, list) else stored[0]
            if dim.type == "ref" and f.op in ("=", "!=", "in"):
                ids = value if isinstance(value, list) else [value]
                relation = entity.relation(dim.via) if dim.via else None
                label = relation.label if relation else "User"
                rows = self.layer.gateway.read(
                    "semantic_layer_check_ids",
                    f"MATCH (x:{label} {{tenant_id: $tenant_id}}) WHERE x.id IN $ids RETURN count(x) AS found",
                    {"tenant_id": tenant_id, "ids": [str(i) for i in ids]},
                )
                if not rows or rows[0]["found"] != len(set(map(str, ids))):
                    value = self._resolve_names(ids, label, tenant_id, f.field)
                    value = value if isinstance(f.value, list) else value[0]
            filters.append(f.model_copy(update={"value": value}))
        return query.model_copy(update={"filters": filters})

    def _resolve_names(self, names: list[Any], label: str, tenant_id: str, field: str) -> list[str]:
        """Names the model wrote where ids belong, resolved inside the tenant (one unambiguous match each)."""
        from kgcrm.core.errors import QueryError

        resolver = getattr(self.layer, "resolver", None)
        if resolver is None or label not in ("Organization", "Person"):
            raise QueryError("unknown id", field=field)
        ids = []
        for name in names:
            resolution = resolver.resolve(str(name), tenant_id, types=[label], limit=3)
            if not resolution.candidates or resolution.ambiguous:
                raise QueryError(f"no single {label.lower()} called {name!r}", field=field)
            ids.append(resolution.candidates[0].id)
        return ids
