"""How far the graph is behind the CRM: the sync's checkpoint, the changes after it, the oldest one's age.

The read behind ``GET /v1/sync/status``, the answer of ``POST /v1/sync`` and the sync
gauges of ``/metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from kgcrm.graph.gateway import GraphGateway
from kgcrm.sync.changes import CHANGE_LOG
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.transform import parse_timestamp


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
