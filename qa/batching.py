"""Micro-batching for query embeddings: concurrent questions share one forward pass.

On CPU one forward pass of the embedding model dominates the cost of a question, and
16 short questions encoded together cost about a third each of what they cost one by
one. ``/ask`` is a sync route, so FastAPI runs each request in a worker thread; those
threads hand their texts to one batching thread here and block on a future until the
batch they joined is encoded. The asyncio event loop never waits on the model.

The wait for company is adaptive: a lone question (nothing queued, and the last batch
was a lone question too) is encoded at once, so sequential latency pays nothing; only
when questions have been arriving together does the batcher hold the first one for up
to ``max_wait_ms`` to let others join.

A batch is bounded by its padded tokens too (questions × the longest, ``max_tokens``), and
is filled lightest first: a long question is encoded in a batch of its own (its cost grows
with its tokens, and padding would make every short one beside it as long), so short
questions arriving behind it go ahead instead of waiting out its encode. A question passed
over for ``STARVE_S`` goes first whatever its length, so none waits forever.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from qa.embed import Embedder
from qa.tokens import TokenCounter

log = logging.getLogger(__name__)
STARVE_S = 1.0


@dataclass
class _Request:
    texts: list[str]
    tokens: int = 1  # of its longest text
    arrived: float = field(default_factory=time.monotonic)
    future: Future[np.ndarray] = field(default_factory=Future)


@dataclass
class BatchStats:
    """Counters for the bench and logs: how well questions were batched."""

    batches: int = 0
    texts: int = 0
    largest: int = 0

    @property
    def mean_batch(self) -> float:
        return self.texts / self.batches if self.batches else 0.0


class MicroBatchingEmbedder:
    """An Embedder whose ``encode_queries`` calls from many threads are encoded together.

    Everything else (documents, dim, weights hash) goes straight to the wrapped embedder:
    index builds already batch documents themselves.
    """

    def __init__(
        self, inner: Embedder, max_wait_ms: float = 3.0, max_batch: int = 64, max_tokens: int = 2048
    ) -> None:
        if max_wait_ms < 0 or max_batch < 1 or max_tokens < 1:
            raise ValueError("max_wait_ms must be >= 0, max_batch and max_tokens >= 1")
        self.inner = inner
        self.model_id = inner.model_id
        self.max_wait = max_wait_ms / 1000
        self.max_batch = max_batch
        self.max_tokens = max_tokens
        self._counter: TokenCounter | None = None
        self._pending: list[_Request] = []  # taken off the queue, not yet encoded (batcher thread only)
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._busy = False  # questions arrived together recently: worth waiting for company

    @property
    def dim(self) -> int:
        return self.inner.dim

    def weights_hash(self) -> str:
        return self.inner.weights_hash()

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.inner.encode_documents(texts, progress=progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Blocks the calling (worker) thread until the batch holding ``texts`` is encoded."""
        if not texts:
            return self.inner.encode_queries(texts)
        if self._counter is None:
            self._counter = TokenCounter.for_embedder(self.inner)
        request = _Request(list(texts), tokens=max(self._counter.counts(list(texts))))
        with self._lock:
            if self._closed:
                raise RuntimeError("the micro-batching embedder is closed")
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="qa-embed-batcher", daemon=True)
                self._worker.start()
            self._queue.put(request)
        return request.future.result()

    def close(self) -> None:
        """Stop the batching thread after the questions already queued are answered."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            worker = self._worker
            self._queue.put(None)
        if worker is not None:
            worker.join()

    def _run(self) -> None:
        stop = False
        while not (stop and not self._pending):
            if not self._pending:
                first = self._queue.get()
                if first is None:
                    return
                self._pending.append(first)
            if not stop:
                stop = self._gather()
            self._encode(self._take())

    def _gather(self) -> bool:
        """Move what is queued into ``pending``, waiting briefly for company only under load;
        True when the stop sentinel was seen."""
        deadline = time.monotonic() + (self.max_wait if self._busy else 0.0)
        while len(self._pending) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return True
            self._pending.append(item)
        return False

    def _take(self) -> list[_Request]:
        """The next batch from ``pending``: starved requests first, then the lightest, while the
        batch stays within ``max_batch`` texts and ``max_tokens`` padded tokens (at least one)."""
        now = time.monotonic()
        self._pending.sort(key=lambda r: (now - r.arrived < STARVE_S, r.tokens, r.arrived))
        batch: list[_Request] = []
        texts = longest = 0
        for request in self._pending:
            size = texts + len(request.texts)
            widest = max(longest, request.tokens)
            if batch and (size > self.max_batch or size * widest > self.max_tokens):
                break
            batch.append(request)
            texts, longest = size, widest
        del self._pending[: len(batch)]
        return batch

    def _encode(self, batch: list[_Request]) -> None:
        texts = [t for request in batch for t in request.texts]
        try:
            vectors = self.inner.encode_queries(texts)
        except BaseException as exc:  # every waiting caller must hear about the failure
            for request in batch:
                request.future.set_exception(exc)
            self._busy = False
            return
        self.stats.batches += 1
        self.stats.texts += len(texts)
        self.stats.largest = max(self.stats.largest, len(texts))
        # Company is worth waiting for while questions keep overlapping: this batch had
        # several, or more arrived while it was being encoded.
        self._busy = len(batch) > 1 or bool(self._pending) or not self._queue.empty()
        start = 0
        for request in batch:
            end = start + len(request.texts)
            request.future.set_result(np.array(vectors[start:end], dtype=np.float32, copy=True))
            start = end
