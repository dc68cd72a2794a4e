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

log = logging.getLogger(__name__)


@dataclass
class _Request:
    texts: list[str]
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

    def __init__(self, inner: Embedder, max_wait_ms: float = 3.0, max_batch: int = 64) -> None:
        if max_wait_ms < 0 or max_batch < 1:
            raise ValueError("max_wait_ms must be >= 0 and max_batch >= 1")
        self.inner = inner
        self.model_id = inner.model_id
        self.max_wait = max_wait_ms / 1000
        self.max_batch = max_batch
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
        request = _Request(list(texts))
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
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._collect(first)
            self._encode(batch)
            if stop:
                return

    def _collect(self, first: _Request) -> tuple[list[_Request], bool]:
        """The first request plus whatever is queued, waiting briefly only under load."""
        batch = [first]
        size = len(first.texts)
        deadline = time.monotonic() + (self.max_wait if self._busy else 0.0)
        while size < self.max_batch:
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
                return batch, True
            batch.append(item)
            size += len(item.texts)
        return batch, False

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
        self._busy = len(batch) > 1 or not self._queue.empty()
        start = 0
        for request in batch:
            end = start + len(request.texts)
            request.future.set_result(np.array(vectors[start:end], dtype=np.float32, copy=True))
            start = end
