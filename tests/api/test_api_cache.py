"""The answer cache behind /v1/resolve and /v1/connections: a repeated question is answered from it,
another tenant's identical question never is, and a sync through the API empties it."""

from __future__ import annotations

from tests.api.helpers import ids_in


def resolve(world, tenant, text: str) -> dict:
    response = world.client.post("/v1/resolve", json={"text": text}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    return response.json()


def test_a_repeated_resolution_is_answered_from_the_cache(world):
    name = world.a.truth["users"][0]["full_name"]
    cache = world.services.cache
    cache.invalidate()

    first = resolve(world, world.a, name)
    hits = cache.hits
    again = resolve(world, world.a, name)

    assert again == first
    assert cache.hits == hits + 1


def test_the_same_text_in_another_tenant_is_computed_in_that_tenant(world):
    """Look-alike organizations exist in both tenants: each tenant gets its own."""
    cache = world.services.cache
    cache.invalidate()
    name = world.a.truth["users"][0]["full_name"]
    look_alikes = [la["per_tenant"][world.a.slug]["name"] for la in world.truth["look_alikes"]]

    for text in (name, *look_alikes):
        mine = resolve(world, world.a, text)
        misses = cache.misses
        theirs = resolve(world, world.b, text)

        assert cache.misses == misses + 1
        assert {world.tenant_of(i) for i in ids_in(mine["candidates"])} <= {world.a.id}
        assert {world.tenant_of(i) for i in ids_in(theirs["candidates"])} <= {world.b.id}


def test_a_sync_through_the_api_empties_the_cache(world):
    name = world.a.truth["users"][0]["full_name"]
    cache = world.services.cache
    resolve(world, world.a, name)
    resolve(world, world.a, name)

    response = world.client.post("/v1/sync", json={"mode": "incremental"}, headers=world.a.headers())
    assert response.status_code == 200, response.text
    misses = cache.misses
    resolve(world, world.a, name)

    assert cache.misses == misses + 1
