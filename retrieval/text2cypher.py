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

from kgcrm.core.errors import ConfigurationError, KgcrmError
from kgcrm.graph.gateway import GraphGateway, GraphQueryError
from kgcrm.retrieval.cypher_guard import GuardedRows, UnsafeCypherError, guard, run_guarded
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


class Text2CypherError(KgcrmError):
    """The model produced no query that passed the guard and ran, after one repair round."""

    def __init__(self, question: str, attempts: Sequence[tuple[str, str]]) -> None:
        self.question = question
        self.attempts = list(attempts)  # (cypher, error) per attempt
        detail = "; ".join(f"attempt {n}: {error}" for n, (_, error) in enumerate(self.attempts, 1))
        super().__init__(f"text-to-Cypher found no safe, working query for the question ({detail})")


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
