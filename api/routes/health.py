"""``GET /healthz`` (liveness), ``GET /readyz`` (each backing service), ``GET /metrics``: no key."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from kgcrm.api.deps import ServicesDep
from kgcrm.api.errors import RETRY_AFTER_S
from kgcrm.api.routes.sync import read_sync_status
from kgcrm.api.schemas import Health, Readiness, ServiceState

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers (no I/O)")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Readiness: the relational database and Neo4j answer",
    response_model_exclude_none=True,
    responses={503: {"model": Readiness, "description": "A backing service is down."}},
)
def readyz(services: ServicesDep, response: Response) -> Readiness:
    states = {"database": _check_database(services.engine), "neo4j": _check_neo4j(services)}
    if services.embedding_model is not None:
        states["embedding"] = ServiceState(status="ok")
    elif services.embedding_error is not None:
        states["embedding"] = ServiceState(status="error", error="the embedding model could not be loaded")
    else:
        states["embedding"] = ServiceState(status="disabled")
    ready = states["database"].status == "ok" and states["neo4j"].status == "ok"
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return Readiness(status="ok" if ready else "unavailable", services=states)


def _check_database(engine: sa.Engine) -> ServiceState:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the details go to the log only
        log.warning("readyz: the relational database does not answer: %s", exc)
        return ServiceState(status="error", error=f"does not answer ({type(exc).__name__})")
    return ServiceState(status="ok")


def _check_neo4j(services: ServicesDep) -> ServiceState:
    try:
        services.gateway.read("readyz", "RETURN 1 AS ok")
    except Exception as exc:  # any failure means "not ready"; the details go to the log only
        log.warning("readyz: Neo4j does not answer: %s", exc)
        return ServiceState(status="error", error=f"does not answer ({type(exc).__name__})")
    return ServiceState(status="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests, latency, sync lag",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": "kgcrm_sync_pending_changes 0.0\n"}}}},
)
def metrics(request: Request, services: ServicesDep) -> Response:
    body, content_type = request.app.state.metrics.render(lambda: read_sync_status(services.engine, services.gateway))
    return Response(content=body, media_type=content_type)
