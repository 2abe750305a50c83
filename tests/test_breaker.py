"""The circuit breaker on a fake clock: closed, open after a failure, one probe when half-open."""

from __future__ import annotations

import threading

import pytest

from kgcrm.core.breaker import BreakerState, CircuitBreaker
from kgcrm.core.errors import Neo4jUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("Neo4j", open_s=5.0, unavailable=Neo4jUnavailable, clock=clock)


def test_closed_lets_every_call_through(breaker):
    for _ in range(3):
        breaker.allow()
        breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.retry_after_s() == 0.0


def test_a_failure_refuses_calls_at_once_for_open_s(breaker, clock):
    breaker.record_failure()

    clock.advance(1.2)
    with pytest.raises(Neo4jUnavailable, match="Neo4j is unavailable") as refused:
        breaker.allow()
    assert refused.value.retry_after_s == 4  # ceil(5 - 1.2)
    clock.advance(3.7)  # 4.9 s after the failure: still open
    with pytest.raises(Neo4jUnavailable):
        breaker.allow()
    assert breaker.refused == 2 and breaker.state is BreakerState.OPEN


def test_after_open_s_one_probe_goes_through_and_the_others_wait(breaker, clock):
    breaker.record_failure()
    clock.advance(5.0)

    breaker.allow()  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(Neo4jUnavailable) as refused:
        breaker.allow()  # another caller while the probe runs
    assert refused.value.retry_after_s == 1


def test_a_successful_probe_closes_the_circuit(breaker, clock):
    breaker.record_failure()
    clock.advance(5.0)
    breaker.allow()

    breaker.record_success()

    assert breaker.state is BreakerState.CLOSED
    breaker.allow()
    breaker.allow()


def test_a_failed_probe_opens_it_again_for_open_s(breaker, clock):
    breaker.record_failure()
    clock.advance(5.0)
    breaker.allow()

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    clock.advance(4.9)
    with pytest.raises(Neo4jUnavailable):
        breaker.allow()
    clock.advance(0.1)
    breaker.allow()  # the next probe


def test_a_probe_that_never_reports_is_replaced_after_open_s(breaker, clock):
    breaker.record_failure()
    clock.advance(5.0)
    breaker.allow()  # this probe's thread dies without reporting

    clock.advance(4.0)
    with pytest.raises(Neo4jUnavailable):
        breaker.allow()
    clock.advance(1.0)
    breaker.allow()  # a new probe
    assert breaker.state is BreakerState.HALF_OPEN


def test_refusals_do_not_wait_for_each_other(clock):
    """Many threads refused at once: each refusal is immediate (no lock held across anything slow)."""
    breaker = CircuitBreaker("SQL", open_s=60.0, clock=clock)
    breaker.record_failure()
    errors: list[BaseException] = []

    def call() -> None:
        for _ in range(200):
            try:
                breaker.allow()
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(errors) == 4000 and breaker.refused == 4000


def test_open_s_must_be_positive():
    with pytest.raises(ValueError, match="open_s"):
        CircuitBreaker("x", open_s=0)
