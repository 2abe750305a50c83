"""The embeddings' own checkpoint, so that a killed sync loses none.

The sync's checkpoint (the last applied change_log seq) commits with the batch it
covers, but embeddings are computed afterwards, in the background
(``kgcrm.sync.embeddings``): a process killed in between has moved its checkpoint past
changes whose embeddings were never written. So the embeddings keep a checkpoint of
their own (``SyncState {id: 'embeddings'}``), moved only after the pipeline flushed,
and each run first re-queues what lies between the two:

    resume()            the entities the change log names in (embeddings' seq, sync's seq];
                        all of them (``embed_all``, hashes skip the unchanged) after a full
                        sync whose embeddings were not all written (``EMBED_ALL``)
    incremental_done()  flush, then move the embeddings' checkpoint to the sync's
    full_done()         embed every entity (of the tenant), flush, move it likewise

A run without embeddings (``--no-embeddings``) leaves it where it is: the next run
with embeddings catches up.
"""

from __future__ import annotations

import logging

from kgcrm.sync.embeddings import EmbeddingPipeline
from kgcrm.sync.engine import EMBED_ALL, EMBEDDINGS_SOURCE, GraphSync, SyncReport

log = logging.getLogger(__name__)


class EmbeddingProgress:
    """Joins one :class:`GraphSync` and its :class:`EmbeddingPipeline` around the embeddings' checkpoint."""

    def __init__(self, sync: GraphSync, pipeline: EmbeddingPipeline) -> None:
        self.sync = sync
        self.pipeline = pipeline
        self._covered: int | None = None  # the sync's checkpoint up to which work was submitted
        self._marked: int | None = None  # the embeddings' checkpoint as last read or written

    def resume(self) -> int:
        """Re-queue the entities whose embeddings a previous run may not have written; how many ids."""
        applied = self.sync.checkpoint()
        embedded = self._marked = self.sync.checkpoint(EMBEDDINGS_SOURCE)
        self._covered = applied or 0
        if embedded is None:  # no record: a new graph (0), or one from before this checkpoint existed
            self._mark(self._covered)
            return 0
        if embedded == EMBED_ALL:
            log.warning("embeddings: a full sync's embeddings were not all written; checking every entity")
            return self.pipeline.embed_all()
        queued = 0
        for ids in self.sync.changed_entities(embedded, self._covered):
            self.pipeline.submit(ids)
            queued += len(ids)
        if queued:
            log.warning("embeddings: re-queued %d entities changed after seq %d", queued, embedded)
        return queued

    def incremental_done(self, report: SyncReport) -> None:
        """Flush the pipeline, then record that the changes applied so far have their embeddings."""
        self.pipeline.flush()
        seq = max(self._covered or 0, report.last_seq or 0)
        self._mark(seq)
        self._covered = seq

    def full_done(self, report: SyncReport, tenant_id: str | None, previous: int | None) -> None:
        """Embed every entity (of the tenant) after a full sync, flush, and move the checkpoint.

        ``previous``: the embeddings' checkpoint before the run (``before_full``): a run of one
        tenant leaves the other tenants' state as it was.
        """
        self.pipeline.embed_all(tenant_id)
        self.pipeline.flush()
        self._marked = EMBED_ALL  # what the full run wrote
        if tenant_id is None and report.last_seq is not None:
            self._mark(report.last_seq)
            self._covered = report.last_seq
        elif previous is not None:
            self._mark(previous)

    def before_full(self) -> int | None:
        """The embeddings' checkpoint before a full run (it sets EMBED_ALL until full_done)."""
        return self.sync.checkpoint(EMBEDDINGS_SOURCE)

    def _mark(self, seq: int) -> None:
        if seq != self._marked:
            self.sync.mark_embedded(seq)
            self._marked = seq
