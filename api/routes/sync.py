"""``POST /v1/sync`` and ``GET /v1/sync/status``.

An incremental sync applies the change log since the checkpoint (the log is shared by
every tenant, and applying it is idempotent); a full sync re-reads the caller's tenant
only. One sync runs at a time in this process: a second request waits up to
:data:`SYNC_WAIT_S`, then gets 409 ``sync_in_progress``. With an embedding model, the
entities written are (re-)embedded before the answer, as ``kgcrm sync`` does.

What an answer tells is the caller's tenant's: the pending count and lag are the
tenant's own; the per-label counts are shown for a full sync only (an incremental
run also applies other tenants' changes, whose volume is not the caller's business).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Body

from kgcrm.api.deps import ServicesDep, TenantDep
from kgcrm.api.errors import RETRY_AFTER_S, ApiError
from kgcrm.api.schemas import COMMON_ERRORS, SyncRequest, SyncResponse, SyncStatus
from kgcrm.graph.gateway import GraphGateway
from kgcrm.sync.changes import CHANGE_LOG
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.transform import parse_timestamp

router = APIRouter(tags=["sync"])

#: How long a sync request waits for one already running.
SYNC_WAIT_S = 30.0


@dataclass(frozen=True)
class SyncState:
    last_seq: int
    pending: int
    lag_seconds: float
    last_run: datetime | None


def read_sync_status(
    engine: sa.Engine, gateway: GraphGateway, tenant_id: str | None = None, *, now: datetime | None = None
) -> SyncState:
    """The checkpoint, the change_log rows after it (of one tenant, or all) and the oldest one's age."""
    runner = GraphSync(engine, gateway)
    last_seq = runner.checkpoint() or 0
    last_run = runner.last_run_at()
    query = sa.select(sa.func.count(), sa.func.min(CHANGE_LOG.c.changed_at)).where(CHANGE_LOG.c.seq > last_seq)
    if tenant_id is not None:
        query = query.where(CHANGE_LOG.c.tenant_id == tenant_id)
    with engine.connect() as conn:
        pending, oldest = conn.execute(query).one()
    lag = 0.0
    oldest_at = parse_timestamp(oldest)
    if oldest_at is not None:
        lag = max(0.0, ((now or datetime.now(UTC)) - oldest_at).total_seconds())
    return SyncState(last_seq=int(last_seq), pending=int(pending), lag_seconds=round(lag, 3), last_run=last_run)


@router.get(
    "/v1/sync/status", summary="The sync's checkpoint, and the tenant's pending changes", responses=COMMON_ERRORS
)
def sync_status(caller: TenantDep, services: ServicesDep) -> SyncStatus:
    state = read_sync_status(services.engine, services.gateway, caller.tenant_id)
    return SyncStatus(
        last_seq=state.last_seq,
        pending=state.pending,
        last_synced_at=state.last_run.astimezone(UTC).isoformat() if state.last_run else None,
        lag_seconds=state.lag_seconds,
    )


_SYNC_EXAMPLES = {
    "incremental": {"summary": "Apply the changes since the last run", "value": {"mode": "incremental"}},
    "full": {"summary": "Re-read the caller's tenant", "value": {"mode": "full"}},
}


@router.post(
    "/v1/sync",
    summary="Run an incremental sync, or a full sync of the caller's tenant",
    responses={**COMMON_ERRORS, 409: {"description": "A sync is already running (retry later)."}},
)
def run_sync(
    caller: TenantDep,
    services: ServicesDep,
    body: Annotated[SyncRequest | None, Body(openapi_examples=_SYNC_EXAMPLES)] = None,
) -> SyncResponse:
    mode = body.mode if body is not None else "incremental"
    if mode == "full" and not caller.tenant_slug:
        raise ApiError(409, "tenant_without_slug", "a full sync needs the tenant to have a slug", field="mode")
    if not services.sync_lock.acquire(timeout=SYNC_WAIT_S):
        raise ApiError(
            409,
            "sync_in_progress",
            "a sync is already running: try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            pipeline = None
            if services.embedding_model is not None:
                from kgcrm.sync.embeddings import EmbeddingPipeline

                pipeline = stack.enter_context(
                    EmbeddingPipeline(
                        services.gateway, services.embedding_model, model_name=services.settings.embedding_model
                    )
                )
            # A full sync embeds everything once at the end (embed_all), after the derived relationships.
            on_written = pipeline.submit if pipeline is not None and mode != "full" else None
            runner = GraphSync(services.engine, services.gateway, on_entities_written=on_written)
            if mode == "full":
                report = runner.full(caller.tenant_slug)
                if pipeline is not None:
                    pipeline.embed_all(caller.tenant_id)
            else:
                report = runner.incremental()
            embedded = pipeline.flush().embedded if pipeline is not None else None
    finally:
        services.sync_lock.release()
        if services.cache is not None:
            services.cache.invalidate()  # this sync's writes, embeddings included: no stale answer after it
    seconds = round(time.perf_counter() - started, 3)
    state = read_sync_status(services.engine, services.gateway, caller.tenant_id)
    response = SyncResponse(
        mode=mode, tenant=caller.tenant_slug, last_seq=state.last_seq, pending=state.pending, seconds=seconds
    )
    if mode == "full":
        response.nodes_written = dict(report.nodes_written)
        response.relationships_written = dict(report.edges_written)
        response.deleted = dict(report.deleted)
        response.rows_rejected = len(report.rejected)
        response.embedded = embedded
    return response
