"""Entity embeddings: computed off the sync's path, and only when an entity's text changed.

The sync hands the ids of the entities it wrote to :meth:`EmbeddingPipeline.submit`
(``GraphSync(on_entities_written=pipeline.submit)``), which only queues them: graph
writes never wait for the model. Three threads then work as a pipeline, joined by
bounded queues so that reading and writing overlap with encoding:

    read    ``cypher/embedding_text.cypher``: each entity's text, built from the node
            and its graph context, and the hash of the text its stored embedding was
            made from; classify (unchanged, empty, too long, to encode)
    encode  ``model.encode`` (normalised); jobs queued behind each other are encoded
            together (up to ``encode_chunk`` texts), as the model pads less in bigger calls
    write   ``cypher/embedding_write.cypher``: ``embedding`` and ``embedding_hash``, and the
            entity's tenant vector labels (``kgcrm.graph.tenant_vectors``: the tenant's, and on a
            person or organization the names label too)

The hash is ``sha256(model name, text)``: an entity whose hash equals its stored
``embedding_hash`` is skipped, so a re-sync re-embeds only what changed (and
everything, once, after a model change). Empty text means no embedding (a stale one
is removed); text longer than ``max_chars`` is reported in :attr:`rejected` and not
embedded (the node stays mirrored, without an embedding).

When an organization, person or contact is submitted, the entities whose text is
built from theirs (its people, leads, accounts, contacts) are re-read too
(``expand_dependents``); their hashes decide whether they are re-embedded.

:meth:`flush` waits until every submitted id is done and raises the first error a
thread met (reading, encoding or writing), as :class:`EmbeddingError`; so does
:meth:`close`. :meth:`embed_all` submits every entity (of one tenant), for a full
sync or a backfill.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kgcrm import cypher
from kgcrm.core.errors import EmbeddingError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.tenant_vectors import NAMED_KINDS, tenant_label

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 256
DEFAULT_ENCODE_BATCH_SIZE = 32
DEFAULT_ENCODE_CHUNK = 1024  # texts per model.encode call at most, when jobs queue up
DEFAULT_MAX_CHARS = 20_000
ENTITY_PAGE_SIZE = 5_000

# Every entity id, in pages (embed_all). Static, parameters only.

_POLL_S = 0.1  # how often a blocked thread checks whether the pipeline stopped
_STOP = object()  # end of input, passed down the queues


@dataclass(frozen=True)
class RejectedEntity:
    """An entity the pipeline reports and does not embed."""

    id: str
    reason: str

    def __str__(self) -> str:
        return f"entity {self.id}: {self.reason}"


@dataclass(frozen=True)
class EmbeddingStats:
    """What the pipeline did so far.

    ``submitted`` counts the ids given to :meth:`EmbeddingPipeline.submit`; the other
    counts are per entity read, dependents included.
    """

    submitted: int = 0
    embedded: int = 0
    skipped_unchanged: int = 0
    rejected: int = 0
    empty: int = 0  # no text: no embedding (a stale one removed)
    missing: int = 0  # submitted ids no longer in the graph
    encode_seconds: float = 0.0  # in model.encode
    read_seconds: float = 0.0  # reading texts (overlaps with encoding)
    write_seconds: float = 0.0  # writing embeddings (overlaps with encoding)


def content_hash(model_name: str, text: str) -> str:
    """The hash stored with an embedding: it changes when the text or the model does."""
    return hashlib.sha256(f"{model_name}\n{text}".encode()).hexdigest()


@dataclass
class _Job:
    """One batch of ids, from the read to the write."""

    taken: int  # ids taken from the pending set (they are done when this job is written)
    ids: list[str] = field(default_factory=list)  # to encode, with their texts and hashes
    texts: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    tenants: list[str] = field(default_factory=list)  # each id's tenant: its tenant vector label is written too
    clear: list[str] = field(default_factory=list)  # ids whose embedding is removed
    vectors: np.ndarray | None = None


class EmbeddingPipeline:
    """Embeds entities in the background; see the module docstring.

    ``model`` is a loaded sentence-transformers model (``kgcrm.core.embedding.load_embedding_model``);
    ``model_name`` is the ``embedding_model`` setting, part of every content hash.
    """

    def __init__(
        self,
        gateway: GraphGateway,
        model: SentenceTransformer,
        *,
        model_name: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
        max_chars: int = DEFAULT_MAX_CHARS,
        expand_dependents: bool = True,
        encode_chunk: int = DEFAULT_ENCODE_CHUNK,
        queue_size: int = 4,
    ) -> None:
        if min(batch_size, encode_batch_size, max_chars, encode_chunk, queue_size) < 1:
            raise ValueError("batch_size, encode_batch_size, max_chars, encode_chunk and queue_size must be positive")
        self.gateway = gateway
        self.model = model
        self.model_name = model_name
        self.batch_size = batch_size
        self.encode_batch_size = encode_batch_size
        self.max_chars = max_chars
        self.expand_dependents = expand_dependents
        self.encode_chunk = encode_chunk

        self._text_query = cypher.load("embedding_text")
        self._write_query = cypher.load("embedding_write")
        self._to_encode: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._to_write: queue.Queue[Any] = queue.Queue(maxsize=queue_size)

        self._lock = threading.Condition()
        self._pending: OrderedDict[str, bool] = OrderedDict()  # id → expand its dependents
        self._outstanding = 0  # ids pending or in flight
        self._in_flight: dict[str, str] = {}  # id → hash, read but not yet written (read again as a dependent)
        self._closing = False
        self._failed = threading.Event()
        self._error: tuple[str, Exception] | None = None  # (stage, the error) of the first failure
        self._threads: list[threading.Thread] = []
        self._rejected: list[RejectedEntity] = []
        self._stats = EmbeddingStats()

    # --- public ------------------------------------------------------------------------------

    def submit(self, ids: Sequence[str], *, expand: bool | None = None) -> None:
        """Queue entity ids for embedding; returns at once (never waits for the model).

        ``expand``: also re-read the entities whose text is built from these
        (default: the pipeline's ``expand_dependents``).
        """
        expand = self.expand_dependents if expand is None else expand
        with self._lock:
            if self._closing:
                raise EmbeddingError("the embedding pipeline is closed")
            self._count(submitted=len(ids))
            if self._failed.is_set():  # dropped: flush() and close() raise the error
                return
            self._start()
            for entity_id in ids:
                if entity_id not in self._pending:
                    self._pending[entity_id] = expand
                    self._outstanding += 1
                elif expand:
                    self._pending[entity_id] = True
            self._lock.notify_all()

    def embed_all(self, tenant_id: str | None = None) -> int:
        """Submit every entity (of one tenant), paged by id; returns how many.

        Waits while more than a few batches are queued, so the pending set stays small.
        Dependents are not expanded: every entity is submitted anyway.
        """
        total = 0
        for ids in self._entity_ids(tenant_id):
            self._wait_until(lambda: self._outstanding <= 4 * self.batch_size)
            self.submit(ids, expand=False)
            total += len(ids)
        return total

    def flush(self, timeout_s: float | None = None) -> EmbeddingStats:
        """Wait until every submitted id is embedded (or skipped); raise a worker's error."""
        if not self._wait_until(lambda: self._outstanding == 0, timeout_s):
            raise EmbeddingError(
                f"embedding pipeline: {self._outstanding} entities still outstanding after {timeout_s}s"
            )
        return self.stats

    def close(self) -> EmbeddingStats:
        """Finish the work submitted, stop the threads, raise a worker's error."""
        try:
            self.flush()
        finally:
            self._shutdown()
        return self.stats

    def __enter__(self) -> EmbeddingPipeline:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # the body failed: stop at once, without hiding its error
            self._fail()
            self._shutdown()

    @property
    def stats(self) -> EmbeddingStats:
        with self._lock:
            return self._stats

    @property
    def rejected(self) -> list[RejectedEntity]:
        """Entities not embedded because of their text (over ``max_chars``)."""
        with self._lock:
            return list(self._rejected)

    # --- threads -------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._threads:
            return
        stages = (("reading", self._read_loop), ("encoding", self._encode_loop), ("writing", self._write_loop))
        for stage, loop in stages:
            thread = threading.Thread(target=self._guard(stage, loop), name=f"embeddings-{stage}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _guard(self, stage: str, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                loop()
            except Exception as exc:
                self._fail(stage, exc)

        return run

    def _read_loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closing and not self._failed.is_set():
                    self._lock.wait()
                if self._failed.is_set():
                    return
                if not self._pending:  # closing, nothing left
                    break
                batch = [self._pending.popitem(last=False) for _ in range(min(self.batch_size, len(self._pending)))]
            if not self._put(self._to_encode, self._read(batch)):
                return
        self._put(self._to_encode, _STOP)

    def _read(self, batch: list[tuple[str, bool]]) -> _Job:
        ids = [entity_id for entity_id, _ in batch]
        expand = [entity_id for entity_id, wanted in batch if wanted]
        started = time.perf_counter()
        rows = self.gateway.read("embedding_text", self._text_query, {"ids": ids, "expand": expand})
        read_seconds = time.perf_counter() - started
        job = _Job(taken=len(batch))
        found: set[str] = set()
        skipped = empty = 0
        rejected: list[RejectedEntity] = []
        for row in rows:
            entity_id: str = row["id"]
            found.add(entity_id)
            text: str | None = row["text"]
            stored = row["stored_hash"] if row["has_embedding"] else None
            if not text:
                empty += 1
                if row["has_embedding"] or row["stored_hash"] is not None:
                    job.clear.append(entity_id)
            elif len(text) > self.max_chars:
                reason = f"text of {len(text)} characters exceeds max_chars={self.max_chars}"
                rejected.append(RejectedEntity(entity_id, reason))
                if row["has_embedding"] or row["stored_hash"] is not None:
                    job.clear.append(entity_id)
            else:
                digest = content_hash(self.model_name, text)
                with self._lock:
                    unchanged = digest in (stored, self._in_flight.get(entity_id))
                    if not unchanged:
                        self._in_flight[entity_id] = digest
                if unchanged:
                    skipped += 1
                else:
                    job.ids.append(entity_id)
                    job.texts.append(text)
                    job.hashes.append(digest)
                    job.tenants.append(row["tenant_id"])
        for item in rejected:
            log.warning("not embedded: %s", item)
        with self._lock:
            self._rejected.extend(rejected)
            self._count(
                skipped_unchanged=skipped,
                empty=empty,
                rejected=len(rejected),
                missing=sum(1 for entity_id in ids if entity_id not in found),
                read_seconds=read_seconds,
            )
        return job

    def _encode_loop(self) -> None:
        stopping = False
        while not stopping and (job := self._get(self._to_encode)) is not _STOP:
            # Jobs waiting behind this one are encoded with it, up to encode_chunk texts: the
            # model sorts texts by length within a call, so bigger calls pad less (~10% faster).
            jobs = [job]
            while sum(len(j.texts) for j in jobs) < self.encode_chunk:
                try:
                    more = self._to_encode.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                    break
                jobs.append(more)
            texts = [text for j in jobs for text in j.texts]
            if texts:
                started = time.perf_counter()
                vectors = self.model.encode(
                    texts,
                    batch_size=self.encode_batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                with self._lock:
                    self._count(encode_seconds=time.perf_counter() - started)
                offset = 0
                for j in jobs:
                    j.vectors = vectors[offset : offset + len(j.texts)]
                    offset += len(j.texts)
            for j in jobs:
                if not self._put(self._to_write, j):
                    return
        self._put(self._to_write, _STOP)

    def _write_loop(self) -> None:
        while (job := self._get(self._to_write)) is not _STOP:
            rows: list[dict[str, Any]] = []
            if job.vectors is not None:
                rows = [
                    {
                        "id": entity_id,
                        "embedding": vector,
                        "hash": digest,
                        "tenant": tenant,
                        "label": tenant_label(tenant) if tenant is not None else None,
                        "names_label": tenant_label(tenant, names=True) if tenant is not None else None,
                    }
                    for entity_id, vector, digest, tenant in zip(
                        job.ids, job.vectors.tolist(), job.hashes, job.tenants, strict=True
                    )
                ]
            rows += [
                {"id": entity_id, "embedding": None, "hash": None, "tenant": None, "label": None, "names_label": None}
                for entity_id in job.clear
            ]
            started = time.perf_counter()
            if rows:
                self.gateway.write(
                    "embedding_write", self._write_query, {"rows": rows, "named_kinds": list(NAMED_KINDS)}
                )
            write_seconds = time.perf_counter() - started
            with self._lock:
                for entity_id, digest in zip(job.ids, job.hashes, strict=True):
                    if self._in_flight.get(entity_id) == digest:
                        del self._in_flight[entity_id]
                self._count(embedded=len(job.ids), write_seconds=write_seconds)
                self._outstanding -= job.taken
                self._lock.notify_all()
            log.debug("embedded %d entities, cleared %d", len(job.ids), len(job.clear))

    # --- helpers -------------------------------------------------------------------------------

    def _put(self, q: queue.Queue[Any], item: Any) -> bool:
        """Put, unless the pipeline failed meanwhile (then False)."""
        while not self._failed.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _get(self, q: queue.Queue[Any]) -> Any:
        """Get, or _STOP once the pipeline failed."""
        while not self._failed.is_set():
            try:
                return q.get(timeout=_POLL_S)
            except queue.Empty:
                continue
        return _STOP

    def _count(self, **increments: float) -> None:
        """Add to the counters (the caller holds the lock)."""
        self._stats = replace(
            self._stats, **{name: getattr(self._stats, name) + value for name, value in increments.items()}
        )

    def _fail(self, stage: str | None = None, error: Exception | None = None) -> None:
        """Stop every thread; keep the first error (none: the pipeline was abandoned)."""
        with self._lock:
            if self._error is None and stage is not None and error is not None:
                self._error = (stage, error)
                log.error("embedding pipeline failed while %s: %s", stage, error)
            self._failed.set()
            self._pending.clear()
            self._in_flight.clear()
            self._outstanding = 0
            self._lock.notify_all()

    def _wait_until(self, condition: Callable[[], bool], timeout_s: float | None = None) -> bool:
        with self._lock:
            done = self._lock.wait_for(lambda: condition() or self._failed.is_set(), timeout_s)
            if self._error is not None:
                stage, error = self._error
                raise EmbeddingError(f"embedding pipeline failed while {stage}: {error}") from error
            return done

    def _shutdown(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()

    def _entity_ids(self, tenant_id: str | None) -> Iterator[list[str]]:
        return entity_id_pages(self.gateway, tenant_id, page_size=ENTITY_PAGE_SIZE)


def entity_id_pages(
    gateway: GraphGateway, tenant_id: str | None, *, page_size: int, query_name: str = "embedding_entity_ids"
) -> Iterator[list[str]]:
    """The ids of the tenant's entities (every tenant's with ``None``), page by page in id order."""
    after = ""
    while True:
        params = {"after": after, "tenant_id": tenant_id, "limit": page_size}
        rows = gateway.read(query_name, cypher.load("embedding_entity_ids"), params)
        if not rows:
            return
        ids = [row["id"] for row in rows]
        yield ids
        after = ids[-1]
