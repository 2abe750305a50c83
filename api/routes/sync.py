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
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Body

from kgcrm.api.deps import ServicesDep, TenantDep
from kgcrm.api.errors import RETRY_AFTER_S, ApiError
from kgcrm.api.schemas import BODY_ERRORS, COMMON_ERRORS, SYNC_RUNNING, SyncRequest, SyncResponse, SyncStatus
from kgcrm.retrieval.sync_status import read_sync_status
from kgcrm.sync.embedding_progress import EmbeddingProgress
from kgcrm.sync.engine import GraphSync

router = APIRouter(tags=["sync"])

#: How long a sync request waits for one already running.
SYNC_WAIT_S = 30.0


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
    responses={
        **BODY_ERRORS,
        409: {
            **SYNC_RUNNING,
            "description": "A sync is already running (retry later), or the graph's data blocks "
            "a full sync (graph_conflict, the message names the fix).",
        },
    },
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
            runner = GraphSync(
                services.engine,
                services.gateway,
                on_entities_written=on_written,
                vector_dimensions=services.settings.embedding_dimensions,
            )
            # The embeddings' own checkpoint: what a killed run left is re-queued first (sync.embedding_progress).
            progress = EmbeddingProgress(runner, pipeline) if pipeline is not None else None
            if mode == "full":
                previous = progress.before_full() if progress is not None else None
                report = runner.full(caller.tenant_slug)
                if progress is not None:
                    progress.full_done(report, caller.tenant_id, previous)
            else:
                if progress is not None:
                    progress.resume()
                report = runner.incremental()
                if progress is not None:
                    progress.incremental_done(report)
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
