"""The graph gate: at most ``slots`` graph-bound requests of a worker at once, served in arrival order;
other requests (an ask that may wait on an LLM, health) pass at once.

A plain ASGI app stands behind the gate (no database, no Neo4j: the gate never touches them); each request
waits on its own event, so a test decides when each one finishes.
"""

from __future__ import annotations

import anyio
import pytest
from starlette.types import Receive, Scope, Send

from kgcrm.api.graph_gate import GraphGate
from kgcrm.api.metrics import Metrics


class HeldApp:
    """Records which requests are inside, and holds each until its path's event is set."""

    def __init__(self) -> None:
        self.inside: list[str] = []
        self.entered: list[str] = []
        self.release: dict[str, anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        self.inside.append(path)
        self.entered.append(path)
        await self.release.setdefault(path, anyio.Event()).wait()
        self.inside.remove(path)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _call(app: GraphGate, path: str) -> None:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, object]) -> None:
        pass

    await app({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)


async def _settle() -> None:
    for _ in range(20):  # let every started task run up to its next wait
        await anyio.sleep(0)


def test_at_most_the_slots_run_at_once_and_the_rest_in_arrival_order() -> None:
    async def scenario() -> None:
        held = HeldApp()
        gate = GraphGate(held, slots=2, metrics=Metrics())
        paths = [f"/v1/entities/e{i}" for i in range(5)]
        async with anyio.create_task_group() as tasks:
            for path in paths:
                tasks.start_soon(_call, gate, path)
                await _settle()  # arrive one after the other
            assert held.inside == paths[:2]
            for done in range(5):
                held.release.setdefault(paths[done], anyio.Event()).set()
                await _settle()
                assert len(held.inside) == min(2, 5 - done - 1)
        assert held.entered == paths

    anyio.run(scenario)


def test_requests_that_may_wait_on_an_llm_or_are_not_graph_reads_pass_a_full_gate() -> None:
    async def scenario() -> None:
        held = HeldApp()
        gate = GraphGate(held, slots=1, metrics=Metrics())
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_call, gate, "/v1/resolve")
            await _settle()
            for path in ("/v1/ask", "/v1/sync/status", "/readyz", "/v1/resolver", "/v1/tools/create_note"):
                tasks.start_soon(_call, gate, path)
            tasks.start_soon(_call, gate, "/v1/connections")
            await _settle()
            assert sorted(held.inside) == sorted(
                ["/v1/resolve", "/v1/ask", "/v1/sync/status", "/readyz", "/v1/resolver", "/v1/tools/create_note"]
            )  # /v1/connections waits for /v1/resolve's slot; "/v1/resolver" is not /v1/resolve
            for event in list(held.release.values()):
                event.set()
            await _settle()
            held.release["/v1/connections"].set()
        assert held.entered[-1] == "/v1/connections"

    anyio.run(scenario)


def test_a_request_that_fails_gives_its_slot_back() -> None:
    async def scenario() -> None:
        async def failing(scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("boom")

        gate = GraphGate(failing, slots=1, metrics=Metrics(), max_wait_s=60)
        for _ in range(3):  # with the slot lost, the second call would wait 60 s
            with anyio.fail_after(5), pytest.raises(RuntimeError):
                await _call(gate, "/v1/search")

    anyio.run(scenario)


def test_a_request_runs_without_a_slot_after_the_longest_wait_and_gives_none_back() -> None:
    async def scenario() -> None:
        held = HeldApp()
        metrics = Metrics()
        gate = GraphGate(held, slots=1, metrics=metrics, max_wait_s=0.05)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_call, gate, "/v1/context")  # a slow one holds the only slot
            await _settle()
            tasks.start_soon(_call, gate, "/v1/resolve")
            await _settle()
            assert held.inside == ["/v1/context"]
            with anyio.fail_after(5):
                while "/v1/resolve" not in held.inside:  # in without a slot once it waited 0.05 s
                    await anyio.sleep(0.01)
            assert metrics.registry.get_sample_value("kgcrm_api_graph_gate_bypassed_total") == 1
            held.release["/v1/resolve"].set()
            await _settle()
            held.release["/v1/context"].set()  # its slot back: one free slot, not two
            await _settle()
            tasks.start_soon(_call, gate, "/v1/search")
            tasks.start_soon(_call, gate, "/v1/entities/e1")
            await _settle()
            assert held.inside == ["/v1/search"]
            for path in ("/v1/search", "/v1/entities/e1"):
                held.release.setdefault(path, anyio.Event()).set()
                await _settle()
        waits = metrics.registry.get_sample_value("kgcrm_api_graph_gate_wait_seconds_count")
        assert waits == 4  # every gated request's wait is observed, the bypassed one's too
        assert metrics.registry.get_sample_value("kgcrm_api_graph_gate_bypassed_total") == 1

    anyio.run(scenario)


def test_zero_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="slots must be at least 1"):
        GraphGate(HeldApp(), slots=0, metrics=Metrics())
