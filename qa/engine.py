"""The engine: settings, model, index and retriever wired together once.

The CLI and the HTTP app both go through ``open_engine``, so "is the index there and
fresh, and what happens if not" is decided in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from qa.config import Settings
from qa.embed import Embedder, make_embedder
from qa.errors import IndexError_
from qa.index import Index, build_index, load_index
from qa.index.build import expected_state, vector_store
from qa.retrieve import HybridRetriever

log = logging.getLogger(__name__)


@dataclass
class Engine:
    settings: Settings
    embedder: Embedder
    index: Index
    retriever: HybridRetriever


def load_embedder(settings: Settings) -> Embedder:
    """The configured encoder; concurrent questions share its forward passes (qa.batching)."""
    embedder = make_embedder(
        settings.embed_model,
        settings.embed_batch_size,
        settings.embed_dim,
        backend=str(settings.embed_backend),
        threads=settings.embed_threads,
    )
    if settings.batch_max_size > 1:
        from qa.batching import MicroBatchingEmbedder

        embedder = MicroBatchingEmbedder(
            embedder, settings.batch_max_wait_ms, settings.batch_max_size, settings.batch_max_tokens
        )
    return embedder


def open_engine(
    settings: Settings,
    *,
    rebuild: bool | None = None,
    embedder: Embedder | None = None,
    progress: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> Engine:
    """Load model and index; rebuild a missing, stale or broken index when allowed.

    ``rebuild=None`` follows ``settings.rebuild_on_start``. When rebuilding is not allowed
    the IndexError_ raised says what to run.
    """
    if rebuild is None:
        rebuild = settings.rebuild_on_start
    embedder = embedder or load_embedder(settings)
    expected = expected_state(settings, embedder)
    store = vector_store(settings)
    try:
        index = load_index(settings.index_dir, expected, store=store)
    except IndexError_ as exc:
        if not rebuild:
            raise
        log.warning("%s; building it now", _rebuild_reason(exc))
        build_index(settings, embedder, progress=progress, on_progress=on_progress)
        index = load_index(settings.index_dir, expected, store=store)
    return Engine(settings, embedder, index, HybridRetriever(index, embedder, settings))


def _rebuild_reason(exc: IndexError_) -> str:
    """Why the index is being built, without the "run `qa build-index`" advice its error carries
    for when rebuilding is off: that is what is happening now."""
    return exc.detail.split(": run `qa build-index`")[0]
