"""Property-based robustness: schemathesis generates requests from the app's own OpenAPI.

Every operation is called in-process (ASGI) with generated valid and invalid input and a
valid key of a tenant of its own (``fuzz-crew``: generated writes, such as tasks made by
``create_task``, stay out of the seeded tenants' truth). Every answer must be a
documented status (never a 5xx), with the documented content type and a body that
matches its response schema. Bounded: at most :data:`MAX_EXAMPLES` examples per
operation, derandomized (the same run every time).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kgcrm.api.app import create_app
from kgcrm.core.settings import Settings
from tests.api.test_api_tools import Crew, add_crew

pytestmark = [pytest.mark.neo4j]

MAX_EXAMPLES = 20


def negative_data_rejection_413_included(ctx, response, case):
    """Invalid input must be rejected; a body over the size limit is rejected before it is validated (413)."""
    if response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection_413_included,
]


@pytest.fixture(scope="module")
def fuzz_crew(world) -> Crew:
    return add_crew(world.engine, "fuzz-crew")


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) of every operation, from the app's OpenAPI (building the app does no I/O).

    Invalid input (the negative mode) only for operations that take some: parameters or a body.
    """
    spec = create_app(Settings(environment="test")).openapi()
    cases = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def api_schema(world, fuzz_crew) -> BaseSchema:
    app = create_app(world.settings, services=world.services)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_no_server_error_and_every_answer_matches_the_schema(api_schema, fuzz_crew, method, path, mode):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {fuzz_crew.user_key}"}

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
