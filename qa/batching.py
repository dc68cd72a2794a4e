"""Micro-batching for query embeddings: concurrent questions share one forward pass.

On CPU one forward pass of the embedding model dominates the cost of a question, and
16 short questions encoded together cost about a third each of what they cost one by
one. ``/ask`` is a sync route, so FastAPI runs each request in a worker thread; those
threads hand their texts to a batching thread here and block on a future until the
batch they joined is encoded. The asyncio event loop never waits on the model.

The wait for company is adaptive: a lone question (nothing queued, and the last batch
was a lone question too) is encoded at once, so sequential latency pays nothing; only
when questions have been arriving together does the batcher hold the first one for up
to ``max_wait_ms`` to let others join.

A long question must not hold short ones behind it: its encode grows with its tokens
(~1 s for 256 tokens on this 2-core machine) and padding would make every short one in
its batch as long. So questions are counted in tokens (qa.tokens) and go to one of two
lanes, each its own thread and queue: short questions (up to ``LIGHT_TOKENS``) and long
ones. ONNX Runtime runs the two lanes' encodes side by side, so a short question waits
for short ones only. Within a lane a batch is bounded by its padded tokens (questions ×
the longest, ``max_tokens``) and filled lightest first; one passed over for ``STARVE_S``
goes first whatever its length. After a large batch the C heap is trimmed (``malloc_trim``)
so that its buffers go back to the system instead of staying in the process.
"""

from __future__ import annotations

import contextlib
import ctypes
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
LIGHT_TOKENS = 64  # gold questions are 8-40 tokens; longer ones get their own lane
TRIM_TOKENS = 1024  # padded tokens of a batch worth giving its memory back after


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


class _Lane:
    """One queue and the thread that encodes it in batches."""

    def __init__(self, owner: MicroBatchingEmbedder, name: str) -> None:
        self.owner = owner
        self.name = name
        self.queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self.pending: list[_Request] = []  # taken off the queue, not yet encoded (lane thread only)
        self.thread: threading.Thread | None = None
        self.busy = False  # questions arrived together recently: worth waiting for company

    def put(self, request: _Request) -> None:
        """Called under the owner's lock."""
        if self.thread is None:
            self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
            self.thread.start()
        self.queue.put(request)

    def run(self) -> None:
        stop = False
        while not (stop and not self.pending):
            if not self.pending:
                first = self.queue.get()
                if first is None:
                    return
                self.pending.append(first)
            if not stop:
                stop = self.gather()
            self.owner._encode(self, self.take())

    def gather(self) -> bool:
        """Move what is queued into ``pending``, waiting briefly for company only under load;
        True when the stop sentinel was seen."""
        deadline = time.monotonic() + (self.owner.max_wait if self.busy else 0.0)
        while len(self.pending) < self.owner.max_batch:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self.queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return True
            self.pending.append(item)
        return False

    def take(self) -> list[_Request]:
        """The next batch: starved requests first, then the lightest, while the batch stays
        within ``max_batch`` texts and ``max_tokens`` padded tokens (at least one request)."""
        now = time.monotonic()
        self.pending.sort(key=lambda r: (now - r.arrived < STARVE_S, r.tokens, r.arrived))
        batch: list[_Request] = []
        texts = longest = 0
        for request in self.pending:
            size = texts + len(request.texts)
            widest = max(longest, request.tokens)
            if batch and (size > self.owner.max_batch or size * widest > self.owner.max_tokens):
                break
            batch.append(request)
            texts, longest = size, widest
        del self.pending[: len(batch)]
        return batch


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
        self.stats = BatchStats()
        self._counter: TokenCounter | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._light = _Lane(self, "qa-embed-batcher")
        self._heavy = _Lane(self, "qa-embed-batcher-long")

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def _worker(self) -> threading.Thread | None:
        """The short-question lane's thread (the one every ordinary question uses)."""
        return self._light.thread

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
        lane = self._light if request.tokens <= LIGHT_TOKENS else self._heavy
        with self._lock:
            if self._closed:
                raise RuntimeError("the micro-batching embedder is closed")
            lane.put(request)
        return request.future.result()

    def close(self) -> None:
        """Stop the batching threads after the questions already queued are answered."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lanes = [self._light, self._heavy]
            for lane in lanes:
                lane.queue.put(None)
        for lane in lanes:
            if lane.thread is not None:
                lane.thread.join()

    def _encode(self, lane: _Lane, batch: list[_Request]) -> None:
        texts = [t for request in batch for t in request.texts]
        try:
            vectors = self.inner.encode_queries(texts)
        except BaseException as exc:  # every waiting caller must hear about the failure
            for request in batch:
                request.future.set_exception(exc)
            lane.busy = False
            return
        with self._lock:
            self.stats.batches += 1
            self.stats.texts += len(texts)
            self.stats.largest = max(self.stats.largest, len(texts))
        # Company is worth waiting for while questions keep overlapping: this batch had
        # several, or more arrived while it was being encoded.
        lane.busy = len(batch) > 1 or bool(lane.pending) or not lane.queue.empty()
        start = 0
        for request in batch:
            end = start + len(request.texts)
            request.future.set_result(np.array(vectors[start:end], dtype=np.float32, copy=True))
            start = end
        if len(texts) * max(r.tokens for r in batch) >= TRIM_TOKENS:
            trim_heap()


def trim_heap() -> None:
    """Give free C-heap pages back to the system (glibc only; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
