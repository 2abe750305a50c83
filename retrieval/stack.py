"""The retrieval stack, assembled once from its dependencies (CLI, API, MCP share it).

Nothing here opens connections or loads models: the gateway, the query-embedding
function, the clock and the optional chat model are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.ask import AskPipeline, Conversations
from kgcrm.retrieval.connections import ConnectionFinder, Strategy, TeamTies
from kgcrm.retrieval.context import DEFAULT_TOKENIZER, ContextBuilder, TokenCounter
from kgcrm.retrieval.entities import EntityReader
from kgcrm.retrieval.llm import ChatModel
from kgcrm.retrieval.resolve import EntityResolver
from kgcrm.retrieval.semantic import SemanticSearch


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetrievalStack:
    resolver: EntityResolver
    connections: ConnectionFinder
    search: SemanticSearch
    ask: AskPipeline
    entities: EntityReader
    context: ContextBuilder


def build_stack(
    gateway: GraphGateway,
    *,
    embed: Callable[[str], Sequence[float]] | None,
    clock: Callable[[], datetime] = utc_now,
    chat_model: ChatModel | None = None,
    conversations: Conversations | None = None,
    values_refresh_s: float = 0.0,
    connections_strategy: Strategy = "weighted",
    context_tokenizer: str = DEFAULT_TOKENIZER,
) -> RetrievalStack:
    from kgcrm.retrieval.cache import GraphVersion
    from kgcrm.retrieval.semantic_layer import SemanticLayer
    from kgcrm.retrieval.semantic_layer.values import ValueIndexCache

    resolver = EntityResolver(gateway, embedder=embed, clock=clock)
    # the team's ties, while the sync's checkpoint stands still (recomputed at most every 30 s when it moves)
    team_ties = TeamTies(GraphVersion(gateway).current, refresh_every_s=30.0)
    connections = ConnectionFinder(
        gateway, clock=clock, resolver=resolver, strategy=connections_strategy, team_ties=team_ties
    )
    search = SemanticSearch(gateway, embed)
    values = ValueIndexCache(gateway, GraphVersion(gateway), refresh_every_s=values_refresh_s)
    layer = SemanticLayer(gateway, clock, resolver=resolver, values=values)
    text2cypher = filler = None
    if chat_model is not None:
        from kgcrm.retrieval.graph_schema_prompt import schema_prompt
        from kgcrm.retrieval.text2cypher import StructuredQueryFiller, Text2CypherRetriever

        text2cypher = Text2CypherRetriever(gateway, chat_model, schema_text=schema_prompt())
        filler = StructuredQueryFiller(chat_model, layer)
    ask = AskPipeline(
        gateway=gateway,
        resolver=resolver,
        semantic=search,
        clock=clock,
        connections=connections,
        text2cypher=text2cypher,
        conversations=conversations,
        semantic_layer=layer,
        filler=filler,
    )
    entities = EntityReader(gateway)
    context = ContextBuilder(
        gateway,
        entities=entities,
        resolver=resolver,
        connections=connections,
        tokens=TokenCounter(context_tokenizer),
        embed=embed,
        clock=clock,
        # its reads run side by side (threads are started on first use, at most 5: one per read)
        executor=ThreadPoolExecutor(max_workers=5, thread_name_prefix="kgcrm-context"),
    )
    return RetrievalStack(
        resolver=resolver, connections=connections, search=search, ask=ask, entities=entities, context=context
    )
