"""The retrieval stack, assembled once from its dependencies (CLI, API, MCP share it).

Nothing here opens connections or loads models: the gateway, the query-embedding
function, the clock and the optional chat model are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.ask import AskPipeline, Conversations
from kgcrm.retrieval.semantic import SemanticSearch


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetrievalStack:
    resolver: Any  # retrieval.resolve.EntityResolver
    connections: Any  # retrieval.connections.ConnectionFinder
    search: SemanticSearch
    ask: AskPipeline


def build_stack(
    gateway: GraphGateway,
    *,
    embed: Callable[[str], Sequence[float]] | None,
    clock: Callable[[], datetime] = utc_now,
    chat_model: Any | None = None,
    conversations: Conversations | None = None,
) -> RetrievalStack:
    from kgcrm.retrieval.connections import ConnectionFinder
    from kgcrm.retrieval.resolve import EntityResolver

    resolver = EntityResolver(gateway, embedder=embed, clock=clock)
    connections = ConnectionFinder(gateway, clock=clock, resolver=resolver)
    search = SemanticSearch(gateway, embed)
    text2cypher = None
    if chat_model is not None:
        from kgcrm.retrieval.graph_schema_prompt import schema_prompt
        from kgcrm.retrieval.text2cypher import Text2CypherRetriever

        text2cypher = Text2CypherRetriever(gateway, chat_model, schema_text=schema_prompt())
    ask = AskPipeline(
        gateway=gateway,
        resolver=resolver,
        semantic=search,
        clock=clock,
        connections=connections,
        text2cypher=text2cypher,
        conversations=conversations,
    )
    return RetrievalStack(resolver=resolver, connections=connections, search=search, ask=ask)
