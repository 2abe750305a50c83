"""``POST /v1/feedback``, ``DELETE /v1/feedback/{id}``, ``GET /v1/suggestions`` and their MCP tools
(issue 14), on the seeded two-tenant world: decisions land in the CRM with the user and change_log,
another tenant's ids are refused (404 naming the field) with the database unchanged, and bad input
is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from kgcrm.api.mcp_server import KgcrmMcp, ToolFailure
from tests.api.helpers import assert_error, ids_in

pytestmark = pytest.mark.neo4j


def ids(world, tenant, table: str, n: int = 2) -> list[str]:
    with world.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(f"SELECT id FROM {table} WHERE tenant_id = :t ORDER BY id LIMIT :n"),  # noqa: S608
                {"t": tenant.id, "n": n},
            ).scalars()
        )


def db_state(world) -> tuple[Any, ...]:
    with world.engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM feedback")).scalar(),
            conn.execute(sa.text("SELECT max(seq) FROM change_log")).scalar(),
        )


def post(world, tenant, body: dict[str, Any], key: str | None = None):
    return world.client.post("/v1/feedback", json=body, headers=tenant.headers(key))


def test_a_decision_is_written_with_its_user_and_logged_then_reverted(world):
    a = world.a
    p, q = ids(world, a, "individual")

    created = post(world, a, {"kind": "duplicate", "decision": "reject", "subject_id": q, "object_id": p})

    assert created.status_code == 201, created.text
    body = created.json()
    row = body["feedback"]
    assert (row["subject_id"], row["object_id"]) == tuple(sorted([p, q]))  # a pair is stored in id order
    with world.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT tenant_id, created_by, via_agent FROM feedback WHERE id = :id"), {"id": row["id"]}
        ).one()
        logged = conn.execute(
            sa.text("SELECT entity_type, op, actor_id FROM change_log WHERE seq = :s"), {"s": body["change_seqs"][0]}
        ).one()
    assert tuple(stored) == (a.id, a.user["id"], False)
    assert tuple(logged) == ("feedback", "insert", a.user["id"])

    reverted = world.client.delete(f"/v1/feedback/{row['id']}", headers=a.headers())

    assert reverted.status_code == 200 and reverted.json()["reverted"] is True
    with world.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM feedback WHERE id = :id"), {"id": row["id"]}).scalar() == 0
        ops = conn.execute(
            sa.text("SELECT op FROM change_log WHERE entity_type = 'feedback' AND entity_id = :id ORDER BY seq"),
            {"id": row["id"]},
        ).scalars()
        assert list(ops)[-1] == "delete"


@pytest.mark.parametrize(
    ("field", "kind"),
    [("subject_id", "duplicate"), ("object_id", "duplicate"), ("object_id", "tie"), ("subject_id", "resolution")],
)
def test_another_tenants_ids_are_refused_and_nothing_is_written(world, field, kind):
    a, b = world.a, world.b
    mine = ids(world, a, "individual")
    theirs = ids(world, b, "individual")[0]
    body: dict[str, Any] = {
        "kind": kind,
        "decision": {"duplicate": "confirm", "tie": "dismiss", "resolution": "confirm"}[kind],
        "subject_id": mine[0],
        "object_id": mine[1],
    }
    if kind == "resolution":
        body = {"kind": kind, "decision": "confirm", "mention": "Bob at Acme", "subject_id": mine[0]}
    body[field] = theirs
    before = db_state(world)

    response = post(world, a, body)

    assert_error(response, 404, "not_found", field)
    assert theirs not in response.text or field in response.json()["error"]["message"]
    assert db_state(world) == before


def test_another_tenants_decision_cannot_be_reverted(world):
    a, b = world.a, world.b
    p, q = ids(world, b, "individual")
    theirs = post(world, b, {"kind": "tie", "decision": "dismiss", "subject_id": p, "object_id": q}).json()
    before = db_state(world)

    response = world.client.delete(f"/v1/feedback/{theirs['feedback']['id']}", headers=a.headers())

    assert_error(response, 404, "not_found")
    assert db_state(world) == before
    assert world.client.delete(f"/v1/feedback/{theirs['feedback']['id']}", headers=b.headers()).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "duplicate", "decision": "dismiss", "subject_id": "x", "object_id": "y"}, "decision"),
        ({"kind": "duplicate", "decision": "reject", "subject_id": "x"}, "object_id"),
        ({"kind": "tie", "decision": "dismiss", "subject_id": "x", "object_id": "x"}, "object_id"),
        ({"kind": "resolution", "decision": "confirm", "subject_id": "x"}, "mention"),
        ({"kind": "suggestion", "decision": "dismiss"}, "suggestion_key"),
        ({"kind": "merge", "decision": "confirm"}, "kind"),
        ({"kind": "tie", "decision": "dismiss", "subject_id": "x", "object_id": "y", "extra": 1}, "extra"),
    ],
)
def test_bad_decisions_are_422_naming_the_field(world, body, field):
    before = db_state(world)

    response = post(world, world.a, body)

    assert_error(response, 422, field=field)
    assert db_state(world) == before


def test_a_duplicate_pair_must_be_two_people_or_two_organizations(world):
    person = ids(world, world.a, "individual")[0]
    org = ids(world, world.a, "organization")[0]

    response = post(
        world, world.a, {"kind": "duplicate", "decision": "confirm", "subject_id": person, "object_id": org}
    )

    assert_error(response, 422, field="object_id")


def test_a_team_key_names_the_user_who_decides(world):
    a = world.a
    p, q = ids(world, a, "individual")
    body = {"kind": "tie", "decision": "dismiss", "subject_id": p, "object_id": q}

    assert_error(post(world, a, body, key=a.team_key), 422, field="acting_user_email")
    named = post(world, a, {**body, "acting_user_email": a.user["email"]}, key=a.team_key)

    assert named.status_code == 201 and named.json()["acting_user_id"] == a.user["id"]
    world.client.delete(f"/v1/feedback/{named.json()['feedback']['id']}", headers=a.headers())


def test_suggestions_stay_in_the_tenant(world):
    a, b = world.a, world.b

    for params in ({"for": "me", "limit": 50}, {"limit": 50}):
        response = world.client.get(
            "/v1/suggestions", params=params, headers=a.headers(a.team_key if "for" not in params else None)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert {world.tenant_of(i) for i in ids_in(body)} - {None} <= {a.id}
        assert all(s["evidence"] and s["reason"] for s in body["suggestions"])

    for other in (ids(world, b, "organization")[0], ids(world, b, "app_user")[0]):
        assert_error(world.client.get("/v1/suggestions", params={"for": other}, headers=a.headers()), 404, field="for")
    assert_error(
        world.client.get("/v1/suggestions", params={"for": "me"}, headers=a.headers(a.team_key)), 422, field="for"
    )
    assert_error(world.client.get("/v1/suggestions", params={"limit": 0}, headers=a.headers()), 422, field="limit")


def test_the_mcp_tools(world):
    a = world.a
    mcp = KgcrmMcp(world.services, a.user_key)
    p, q = ids(world, a, "individual")

    suggestions = mcp.call("suggestions", {"for": "me", "limit": 5})
    decided = mcp.call(
        "feedback",
        {
            "kind": "tie",
            "decision": "dismiss",
            "subject_id": p,
            "object_id": q,
            "prompt": "they never met",
            "reasoning": "the user says so",
        },
    )

    assert len(suggestions["suggestions"]) <= 5
    assert decided["feedback"]["via_agent"] is True
    with world.engine.connect() as conn:
        prompt = conn.execute(
            sa.text("SELECT agent_prompt FROM change_log WHERE seq = :s"), {"s": decided["change_seqs"][0]}
        ).scalar()
    assert prompt == "they never met"
    with pytest.raises(ToolFailure):
        mcp.call(
            "feedback",
            {
                "kind": "tie",
                "decision": "dismiss",
                "subject_id": p,
                "object_id": ids(world, world.b, "individual")[0],
                "prompt": "x",
                "reasoning": "y",
            },
        )
    world.client.delete(f"/v1/feedback/{decided['feedback']['id']}", headers=a.headers())
