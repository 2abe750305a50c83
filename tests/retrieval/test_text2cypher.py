"""Text-to-Cypher end to end on the real Neo4j, with a scripted LLM (never a network one).

Hostile queries from the "model" are refused, twice (the repair round gets the
error and answers something hostile again), and the graph is unchanged
afterwards. Read queries that try to drop the tenant filter run, and return only
the caller's tenant's data.
"""

from __future__ import annotations

import json

import httpx
import pytest
from llama_index.core.schema import QueryBundle
from pydantic import SecretStr

from kgcrm.core.errors import ConfigurationError
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import DERIVED_RELATIONSHIPS, EDGES, NODES
from kgcrm.retrieval.graph_schema_prompt import DERIVED, schema_prompt
from kgcrm.retrieval.llm import (
    ChatModel,
    ChatModelLLM,
    LLMError,
    OpenAICompatible,
    ScriptedChatModel,
    chat_model_from_settings,
)
from kgcrm.retrieval.text2cypher import Text2CypherError, Text2CypherRetriever, extract_cypher
from tests.retrieval.test_cypher_guard import (
    ADMIN,
    ALPHA,
    BETA,
    PROCEDURES_AND_FUNCTIONS,
    STATEMENTS_AND_COMMENTS,
    UNICODE_TRICKS,
    WRITES,
    graph_state,
    seed_two_tenants,
)


@pytest.fixture(scope="module")
def gateway(neo4j_driver) -> GraphGateway:
    seed_two_tenants(neo4j_driver)
    return GraphGateway(neo4j_driver)


def retriever(gateway: GraphGateway, *responses: str) -> tuple[Text2CypherRetriever, ScriptedChatModel]:
    llm = ScriptedChatModel(responses)
    return Text2CypherRetriever(gateway, llm, max_rows=50, timeout_s=5), llm


def fenced(cypher: str) -> str:
    return f"Here is the query:\n```cypher\n{cypher}\n```\nIt counts them."


# --- happy path and repair -------------------------------------------------------------------


@pytest.mark.neo4j
def test_counts_only_the_callers_organizations_with_scripted_llm(gateway, neo4j_driver):
    before = graph_state(neo4j_driver)
    query = "MATCH (o:Organization) RETURN count(o) AS n"
    t2c_alpha, _ = retriever(gateway, fenced(query))
    t2c_beta, _ = retriever(gateway, fenced(query))

    alpha = t2c_alpha.answer("How many organizations?", ALPHA)
    beta = t2c_beta.answer("How many organizations?", BETA)

    assert (alpha.data, beta.data) == ([{"n": 3}], [{"n": 2}])
    assert alpha.method == "text2cypher"
    assert alpha.cypher == "MATCH (o:Organization {tenant_id: $__tenant}) RETURN count(o) AS n"
    assert alpha.answer == "n: 3"
    assert graph_state(neo4j_driver) == before


@pytest.mark.neo4j
def test_the_prompt_carries_the_declared_schema_and_the_question_with_scripted_llm(gateway):
    t2c, llm = retriever(gateway, "MATCH (o:Organization) RETURN count(o) AS n")

    t2c.answer("How many organizations?", ALPHA)

    ((system, user),) = llm.calls
    assert schema_prompt() in system
    assert "```cypher" in system  # the few-shot examples
    assert user == "Question: How many organizations?"
    assert ALPHA not in system + user  # the model never sees the tenant


@pytest.mark.neo4j
def test_the_repair_round_sends_the_error_back_once_with_scripted_llm(gateway):
    broken = "MATCH (o:Organization RETURN count(o) AS n"
    t2c, llm = retriever(gateway, fenced(broken), fenced("MATCH (o:Organization) RETURN count(o) AS n"))

    answer = t2c.answer("How many organizations?", BETA)

    assert answer.data == [{"n": 2}]
    assert len(llm.calls) == 2
    repair = llm.calls[1][1]
    assert "Question: How many organizations?" in repair
    assert broken in repair
    assert "does not parse" in repair


@pytest.mark.neo4j
def test_the_repair_round_also_follows_a_neo4j_error_with_scripted_llm(gateway):
    rejected_by_neo4j = 'MATCH (a:Person) RETURN shortestPath((a)-[*]-(:Person {name: "x"})) AS p'
    t2c, llm = retriever(gateway, rejected_by_neo4j, "MATCH (p:Person) RETURN count(p) AS n")

    answer = t2c.answer("How many people?", ALPHA)

    assert answer.data == [{"n": 2}]
    assert "Neo.ClientError.Statement" in llm.calls[1][1]


@pytest.mark.neo4j
def test_a_second_failure_raises_a_clear_error_with_scripted_llm(gateway):
    t2c, llm = retriever(gateway, "MATCH (n RETURN n", "SELECT * FROM organization")

    with pytest.raises(Text2CypherError) as failed:
        t2c.answer("How many organizations?", ALPHA)

    assert len(llm.calls) == 2
    assert [cypher for cypher, _ in failed.value.attempts] == ["MATCH (n RETURN n", "SELECT * FROM organization"]
    assert "attempt 1: the query does not parse" in str(failed.value)
    assert "attempt 2:" in str(failed.value)


@pytest.mark.neo4j
def test_rows_name_their_sources_with_scripted_llm(gateway):
    t2c, _ = retriever(gateway, 'MATCH (p:Person)-[:WORKS_AT]->(o:Organization {name: "Acme"}) RETURN p, o.name AS org')

    answer = t2c.answer("Who works at Acme?", BETA)

    assert [(s.id, s.type, s.name) for s in answer.sources] == [("b-person-dana", "Person", "Dana Smith")]
    assert answer.data[0]["p"]["email"] == "dana@b.test"
    assert "Dana Smith" in answer.answer


@pytest.mark.neo4j
def test_without_an_llm_text2cypher_is_a_configuration_error(gateway):
    with pytest.raises(ConfigurationError, match="KGCRM_LLM_BASE_URL"):
        Text2CypherRetriever(gateway, None).answer("How many organizations?", ALPHA)


@pytest.mark.neo4j
def test_the_llamaindex_adapter_is_bound_to_one_tenant_with_scripted_llm(gateway):
    t2c, _ = retriever(gateway, "MATCH (o:Organization) RETURN o.name AS name ORDER BY name")

    (node,) = t2c.as_llama_retriever(BETA).retrieve(QueryBundle("Which organizations?"))

    assert node.node.metadata["cypher"].startswith("MATCH (o:Organization {tenant_id: $__tenant})")
    assert '"Acme"' in node.node.get_content() and '"Umbrella"' in node.node.get_content()
    assert "Globex" not in node.node.get_content()


# --- hostile queries: refused twice, graph unchanged --------------------------------------------


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "hostile", WRITES + PROCEDURES_AND_FUNCTIONS + ADMIN + STATEMENTS_AND_COMMENTS + UNICODE_TRICKS
)
def test_hostile_queries_are_refused_and_change_nothing_with_scripted_llm(gateway, neo4j_driver, hostile):
    before = graph_state(neo4j_driver)
    t2c, llm = retriever(gateway, fenced(hostile), hostile)

    with pytest.raises(Text2CypherError):
        t2c.answer("Delete everything, please.", ALPHA)

    assert len(llm.calls) == 2
    assert graph_state(neo4j_driver) == before


PARAMETER_TRICKS = [
    "MATCH (n) WHERE n.tenant_id <> $tenant RETURN n.name AS name",
    "MATCH (n {tenant_id: $__tenant}) RETURN n.name AS name",
    "MATCH (n) WHERE n.tenant_id = $__tenant OR true RETURN n.name AS name",
    'MATCH (n {tenant_id: "t-alpha"}) RETURN n.name AS name',
]


@pytest.mark.neo4j
@pytest.mark.parametrize("hostile", PARAMETER_TRICKS)
def test_queries_that_name_the_tenant_are_refused_with_scripted_llm(gateway, neo4j_driver, hostile):
    before = graph_state(neo4j_driver)
    t2c, _ = retriever(gateway, hostile, hostile)

    with pytest.raises(Text2CypherError):
        t2c.answer("Show me the other tenant.", BETA)

    assert graph_state(neo4j_driver) == before


# --- read queries that drop the tenant filter: they run, on the caller's tenant only -----------

# Each query below would read both tenants without the rewrite; with it, it reads only the caller's.
FILTER_DROPPING = [
    "MATCH (n) RETURN DISTINCT n.tenant_id AS tenant",
    'MATCH (n) WHERE n.tenant_id <> "t-gamma" RETURN DISTINCT n.tenant_id AS tenant',
    'MATCH (n) WHERE n.tenant_id = "t-alpha" OR true RETURN DISTINCT n.tenant_id AS tenant',
    "MATCH (o:Organization) RETURN o.tenant_id AS tenant UNION MATCH (n) RETURN n.tenant_id AS tenant",
    "MATCH (o:Organization) RETURN o.tenant_id AS tenant UNION ALL MATCH ()-[r]->(m) RETURN m.tenant_id AS tenant",
    "OPTIONAL MATCH (n:Person) RETURN DISTINCT n.tenant_id AS tenant",
    "MATCH (o:Organization) OPTIONAL MATCH (p:Person) RETURN DISTINCT p.tenant_id AS tenant",
    "UNWIND [1] AS x RETURN [(a:Organization)--(b) | b.tenant_id] AS tenant",
    "MATCH (p:Person) RETURN [(p)-[:KNOWS]-(q) | q.tenant_id] AS tenant",
    "MATCH (p:Person) WHERE EXISTS { (p)-[:KNOWS]-(:Person) } RETURN DISTINCT p.tenant_id AS tenant",
    'MATCH (a:Person {name: "Dana Smith"}), (b:Person) WHERE a <> b MATCH x = shortestPath((a)-[*..5]-(b)) '
    "RETURN DISTINCT b.tenant_id AS tenant",
    "MATCH (a:Person)-[*1..4]-(b) RETURN DISTINCT b.tenant_id AS tenant",
    "MATCH (n) WITH n MATCH (m) WHERE m.id <> n.id RETURN DISTINCT m.tenant_id AS tenant",
    "MATCH (n) RETURN collect(DISTINCT n.tenant_id) AS tenant",
]


def tenants_in(data) -> set[str]:
    """Every tenant id anywhere in the rows."""
    found: set[str] = set()
    for value in json.loads(json.dumps(data)):
        for field in value.values():
            items = field if isinstance(field, list) else [field]
            found.update(item for item in items if isinstance(item, str))
    return found


@pytest.mark.neo4j
@pytest.mark.parametrize("query", FILTER_DROPPING)
@pytest.mark.parametrize("caller", [ALPHA, BETA])
def test_filter_dropping_queries_see_only_the_callers_tenant_with_scripted_llm(gateway, neo4j_driver, query, caller):
    before = graph_state(neo4j_driver)
    t2c, _ = retriever(gateway, query)

    answer = t2c.answer("Show me everything.", caller)

    assert tenants_in(answer.data) == {caller}
    assert graph_state(neo4j_driver) == before


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "subquery",
    [
        "EXISTS { MATCH (q:Person) WHERE q.tenant_id <> p.tenant_id RETURN q }",
        "EXISTS { (q:Person) WHERE q.tenant_id <> p.tenant_id }",
    ],
)
def test_subqueries_cannot_reach_the_other_tenant_with_scripted_llm(gateway, subquery):
    t2c, _ = retriever(gateway, f"MATCH (p:Person) WHERE {subquery} RETURN p.id AS id")

    answer = t2c.answer("Who has a twin in another tenant?", ALPHA)

    assert answer.data == []
    assert answer.answer == "No results."


@pytest.mark.neo4j
def test_the_other_tenants_look_alike_person_stays_invisible_with_scripted_llm(gateway):
    query = (
        'MATCH (p:Person) WHERE p.name = "Dana Smith" OR p.name = "Sam Secret" RETURN p.email AS email, p.bio AS bio'
    )
    t2c, _ = retriever(gateway, query)

    answer = t2c.answer("What do we know about Dana and Sam?", ALPHA)

    assert answer.data == [{"email": "dana@a.test", "bio": None}]


# --- the schema prompt -----------------------------------------------------------------------------


def test_the_schema_prompt_is_built_from_the_declared_model():
    text = schema_prompt()

    for mapping in NODES:
        if mapping.tenant_scoped:
            assert f"(:{mapping.label}" in text
            for subtype in mapping.subtypes:
                assert f"(:{mapping.label}:{subtype.label})" in text
    for edge in EDGES:
        assert f"[:{edge.type} " in text
    for rel_type in DERIVED_RELATIONSHIPS:
        assert f"[:{rel_type} " in text
    assert "(:Tenant" not in text
    assert "tenant_id" not in text


def test_every_derived_relationship_is_declared_for_the_prompt():
    assert set(DERIVED) == set(DERIVED_RELATIONSHIPS)


# --- extracting the query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "cypher"),
    [
        ("```cypher\nMATCH (n) RETURN n\n```", "MATCH (n) RETURN n"),
        ("Sure!\n```Cypher\nMATCH (n)\nRETURN n\n```\nDone. ```cypher\nMATCH (x) RETURN x\n```", "MATCH (n)\nRETURN n"),
        ("```\nMATCH (n) RETURN n\n```", "MATCH (n) RETURN n"),
        ("  MATCH (n) RETURN n  ", "MATCH (n) RETURN n"),
        ("<think>maybe CREATE?</think>\n```cypher\nMATCH (n) RETURN n\n```", "MATCH (n) RETURN n"),
        ("", ""),
    ],
)
def test_the_query_is_taken_from_the_first_code_fence(reply, cypher):
    assert extract_cypher(reply) == cypher


# --- chat models ------------------------------------------------------------------------------------


def test_the_scripted_model_answers_in_order_and_records_calls():
    llm = ScriptedChatModel(["one", "two"])

    assert [llm.complete("s", "a"), llm.complete("s", "b")] == ["one", "two"]
    assert llm.calls == [("s", "a"), ("s", "b")]
    assert isinstance(llm, ChatModel)
    with pytest.raises(LLMError, match="no response left"):
        llm.complete("s", "c")


def test_openai_compatible_posts_chat_completions():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "MATCH (n)"}}]})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        llm = OpenAICompatible("http://llm.invalid:11434/v1/", "qwen2.5-coder", "sk-test", client=client)
        reply = llm.complete("the system", "the question")

    assert reply == "MATCH (n)"
    (request,) = seen
    assert str(request.url) == "http://llm.invalid:11434/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["model"] == "qwen2.5-coder"
    assert body["temperature"] == 0
    assert body["messages"] == [
        {"role": "system", "content": "the system"},
        {"role": "user", "content": "the question"},
    ]
    assert "sk-test" not in repr(llm)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(500, text="overloaded"), "HTTP 500: overloaded"),
        (httpx.Response(200, json={"error": "nope"}), "unexpected response"),
        (httpx.Response(200, json={"choices": [{"message": {"content": "  "}}]}), "answered no text"),
    ],
)
def test_openai_compatible_errors_are_llm_errors(response, message):
    with httpx.Client(transport=httpx.MockTransport(lambda request: response)) as client:
        llm = OpenAICompatible("http://llm.invalid", "m", client=client)
        with pytest.raises(LLMError, match=message):
            llm.complete("s", "u")


def test_an_unreachable_llm_is_an_llm_error():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        llm = OpenAICompatible("http://llm.invalid", "m", client=client)
        with pytest.raises(LLMError, match="unavailable"):
            llm.complete("s", "u")


def test_no_llm_is_configured_by_default(monkeypatch):
    for name in ("KGCRM_LLM_BASE_URL", "KGCRM_LLM_MODEL", "KGCRM_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    assert chat_model_from_settings(Settings()) is None


def test_the_llm_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KGCRM_LLM_BASE_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("KGCRM_LLM_MODEL", "llama")
    monkeypatch.setenv("KGCRM_LLM_API_KEY", "sk-secret")

    settings = Settings()
    llm = chat_model_from_settings(settings)

    assert isinstance(settings.llm_api_key, SecretStr)
    assert "sk-secret" not in repr(settings)
    assert isinstance(llm, OpenAICompatible)
    assert llm.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert llm.model == "llama"


def test_half_a_configuration_is_an_error():
    with pytest.raises(ConfigurationError, match="KGCRM_LLM_MODEL"):
        chat_model_from_settings(Settings(llm_base_url="http://127.0.0.1:11434"))


def test_a_chat_model_serves_as_a_llamaindex_llm():
    llm = ChatModelLLM(chat_model=ScriptedChatModel(["MATCH (n) RETURN n"]), system_prompt_text="be brief")

    assert llm.complete("a question").text == "MATCH (n) RETURN n"
