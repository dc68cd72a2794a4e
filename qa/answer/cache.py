"""An LRU cache of answers, so a repeated question costs a dictionary look-up.

The key is what decides an answer: the question as the answerer matches it (NFKC width
folding, traditional -> simplified, trimmed: ``qa.text.normalize_query``), ``top_k``, the
retrieval mode (``None`` resolved to the server default), the index build id (read on
every call, so a reload never serves answers from the previous build), and a fingerprint
of the settings that change answers. Responses are stored and handed out as deep copies,
so no caller can change what the next one gets; a hit says so in ``timings_ms``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.answer.pipeline import Answerer, Delta
from qa.config import SearchMode, Settings
from qa.index.store import Index
from qa.schemas import AskResponse
from qa.text import normalize_query

# Settings that only change speed or plumbing; every other setting is assumed to change answers.
NOT_ANSWER_SETTINGS = frozenset(
    {
        "host",
        "port",
        "rebuild_on_start",
        "embed_batch_size",
        "embed_threads",
        "batch_max_wait_ms",
        "batch_max_size",
        "answer_cache_size",
        "cors_origins",
        "max_body_bytes",
        "max_in_flight",
        "request_timeout_s",
        "rate_limit_per_min",
        "rate_limit_burst",
        "api_keys",
        "log_questions",
        "metrics_public",
        "shutdown_grace_s",
        "keep_alive_s",
    }
)
HIT = "cache_hit"  # the timings_ms key of a cached answer (its look-up time in ms)
WARM_UP_QUESTION = "预热 warm-up"

log = logging.getLogger(__name__)

CacheKey = tuple[str, int, str, str, str]


class _Answering(Answerer, Protocol):
    """An answerer over an index (the cache key names the index build)."""

    index: Index


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    size: int = 0


def settings_fingerprint(settings: Settings) -> str:
    """sha256 over the settings that can change an answer (all but the speed/plumbing ones)."""
    fields = set(type(settings).model_fields) - NOT_ANSWER_SETTINGS
    dumped = settings.model_dump_json(include=fields)
    return hashlib.sha256(dumped.encode("utf-8")).hexdigest()[:16]


class CachedAnswerer:
    """Wraps an answerer with the same ``answer(question, top_k, mode)``; thread-safe.

    Two threads missing on the same key at once both compute it (answers are pure, so the
    second store is harmless); holding a lock across an answer would serialize the service.
    """

    def __init__(self, inner: _Answering, settings: Settings, max_size: int = 1024) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.inner = inner
        self.index = inner.index
        self.max_size = max_size
        self.default_mode = SearchMode(settings.search_mode)
        policy = getattr(inner, "policy", None)
        self.fingerprint = settings_fingerprint(settings) + (policy.fingerprint() if policy else "")
        self._entries: OrderedDict[CacheKey, AskResponse] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def key(self, question: str, top_k: int, mode: SearchMode | None) -> CacheKey:
        build_id = self.inner.index.manifest.build_id
        resolved = SearchMode(mode or self.default_mode)
        return (normalize_query(question), top_k, resolved.value, build_id, self.fingerprint)

    def answer(
        self,
        question: str,
        top_k: int = 5,
        mode: SearchMode | None = None,
        debug: bool = False,
        history: Sequence[str] = (),
        on_delta: Delta | None = None,
    ) -> AskResponse:
        """``history`` and ``on_delta`` go to the inner answerer; when it shows ``history`` to its
        model (the generative one), the answer depends on it and is not cached."""
        history_matters = bool(history) and getattr(self.inner, "uses_history", False)
        if debug or history_matters:  # a breakdown must be of a fresh answer
            return self.inner.answer(question, top_k, mode, debug, history, on_delta)
        began = time.perf_counter()
        key = self.key(question, top_k, mode)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self._hits += 1
            else:
                self._misses += 1
        if cached is not None:
            response = cached.model_copy(deep=True)
            response.question = question  # the answerer echoes the question as asked
            elapsed = round((time.perf_counter() - began) * 1000, 3)
            response.timings_ms = {HIT: elapsed, "total": elapsed}
            return response
        response = self.inner.answer(question, top_k, mode, history=history, on_delta=on_delta)
        stored = response.model_copy(deep=True)
        with self._lock:
            self._entries[key] = stored
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)
        return response

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries))


def serving_answerer(answerer: _Answering, settings: Settings) -> Answerer:
    """The answerer the service uses: warmed up, then cached (``QA_ANSWER_CACHE_SIZE=0``: not).

    The warm-up answers one throw-away question before ``/readyz`` turns 200, so the first
    user does not pay for lazy initialisation (tokenizer dictionaries, encoder kernels).
    """
    began = time.perf_counter()
    try:
        answerer.answer(WARM_UP_QUESTION, settings.top_k)
    except Exception:  # a warm-up must not stop the service; a real question would show the error
        log.exception("warm-up question failed")
    log.info("warm-up answer in %.0f ms", (time.perf_counter() - began) * 1000)
    if settings.answer_cache_size == 0:
        return answerer
    return CachedAnswerer(answerer, settings, settings.answer_cache_size)
