"""Building the index: load and clean the corpus, chunk, embed, and write a new build.

Only text no earlier build embedded is embedded (qa.index.embed_cache): a second build of the
same corpus embeds nothing, adding a document embeds its texts, removing one embeds nothing.
The vectors go to the configured store (qa.index.vectors: FAISS files or Milvus collections);
the build folder, its manifest and the switch of CURRENT are the same either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from qa.chunk import chunk_document, split_sentences, split_value_clauses
from qa.config import Settings
from qa.embed import Embedder
from qa.errors import QAError
from qa.index.embed_cache import EmbedCache, document_key
from qa.index.store import (
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    checksums,
    publish,
    write_jsonl,
)
from qa.index.vectors import VectorStore, make_store
from qa.ingest.loaders import corpus_files, scan_corpus
from qa.text import tokenize

log = logging.getLogger(__name__)

_VERSIONED = [
    "qa",
    "sentence-transformers",
    "transformers",
    "torch",
    "faiss-cpu",
    "bm25s",
    "jieba",
    "langchain-text-splitters",
]


def corpus_fingerprint(corpus_dir: Path) -> str:
    """sha256 over every supported file's path and bytes: any edit makes the index stale."""
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(str(path.relative_to(corpus_dir)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def expected_state(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """What a fresh index must record for this corpus, model and settings."""
    return {
        "format_version": FORMAT_VERSION,
        "corpus": corpus_fingerprint(settings.corpus_dir),
        "model": embedder.model_id,
        "weights": embedder.weights_hash(),
        "params": settings.index_params(),
        "vector_store": settings.vector_store,
    }


def vector_store(settings: Settings) -> VectorStore:
    return make_store(settings.vector_store, settings.milvus_token.get_secret_value())


def embed_cache_dir(settings: Settings) -> Path:
    return settings.embed_cache_dir or settings.index_dir / ".embed-cache"


def _versions() -> dict[str, str]:
    found = {}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "n/a"
    return found


STAGING_PREFIX = ".tmp-"


def remove_abandoned_staging(index_dir: Path) -> list[Path]:
    """Delete the ``.tmp-*`` folders of builds that died half-way (killed, out of disk); a
    folder whose building process (named in it) is still alive is left alone."""
    removed: list[Path] = []
    if not index_dir.is_dir():
        return removed
    for path in index_dir.glob(f"{STAGING_PREFIX}*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.warning("removed %d half-written build(s): %s", len(removed), ", ".join(p.name for p in removed))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build_index(
    settings: Settings,
    embedder: Embedder,
    progress: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> Manifest:
    """Build into a new folder under ``index_dir`` and switch CURRENT to it; ``on_progress``
    hears each step ("embedding 412 chunks (2/5)"), for ``/readyz`` while the server builds."""
    import bm25s

    def step(n: int, what: str) -> None:
        if on_progress is not None:
            on_progress(f"{what} ({n}/5)")

    began = time.perf_counter()
    remove_abandoned_staging(settings.index_dir)
    step(1, "reading the corpus")
    documents, skipped = scan_corpus(settings.corpus_dir, settings.heading_max_chars)
    chunks, sentences = [], []
    for doc in documents:
        doc_chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        chunks.extend(doc_chunks)
        sentences.extend(split_sentences(doc, doc_chunks))
    log.info(
        "building the index for %d document%s: embedding %d passages and %d sentences…",
        len(documents), "" if len(documents) == 1 else "s", len(chunks), len(sentences),
    )  # fmt: skip

    cache = EmbedCache.for_embedder(embed_cache_dir(settings), embedder)
    embedded = 0

    def embed(texts: list[str]) -> np.ndarray:
        nonlocal embedded
        vectors, fresh = cache.encode(
            texts, lambda new: embedder.encode_documents(new, progress=progress), embedder.dim
        )
        embedded += fresh
        return vectors

    step(2, f"embedding {len(chunks)} chunks of {len(documents)} document(s)")
    chunk_vectors = embed([c.text for c in chunks])
    step(3, f"embedding {len(sentences)} sentences")
    sentence_vectors = embed([s.text for s in sentences])
    clauses = split_value_clauses(sentences)
    step(4, f"embedding {len(clauses)} clauses")
    clause_vectors = embed([c.text for c in clauses])
    total = len(chunks) + len(sentences) + len(clauses)
    log.info("embedded %d of %d texts; the others came from the embedding cache", embedded, total)
    step(5, "writing the index")
    bm25 = bm25s.BM25()
    bm25.index([tokenize(c.text) for c in chunks], show_progress=False)

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    built_at = datetime.now(UTC)
    build_id = built_at.strftime("%Y%m%dT%H%M%S%fZ")
    staging = settings.index_dir / f"{STAGING_PREFIX}{build_id}-{os.getpid()}"
    staging.mkdir()
    (staging / "documents.json").write_text(
        json.dumps([d.model_dump() for d in documents], ensure_ascii=False), encoding="utf-8"
    )
    write_jsonl(staging / "chunks.jsonl", chunks)
    write_jsonl(staging / "sentences.jsonl", sentences)
    write_jsonl(staging / "clauses.jsonl", clauses)
    store = vector_store(settings)
    tables = {"clauses": clause_vectors, "chunks": chunk_vectors, "sentences": sentence_vectors}
    for table, vectors in tables.items():
        store.write(staging, build_id, table, vectors)
    store.finish(staging)
    bm25.save(str(staging / "bm25"), show_progress=False)

    state = expected_state(settings, embedder)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        build_id=build_id,
        built_at=built_at.isoformat(),
        build_seconds=round(time.perf_counter() - began, 3),
        model={"id": state["model"], "weights_hash": state["weights"], "dim": int(chunk_vectors.shape[1])},
        corpus={
            "hash": state["corpus"],
            "documents": [{"doc_id": d.doc_id, "source": d.source, "title": d.title} for d in documents],
            "skipped": [s.model_dump() for s in skipped],  # files not indexed, with why
        },
        params=state["params"],
        versions=_versions(),
        counts={
            "documents": len(documents),
            "chunks": len(chunks),
            "sentences": len(sentences),
            "clauses": len(clauses),
        },
        files=checksums(staging),
        vector_store=settings.vector_store,
        embedding={"encoder": document_key(embedder), "embedded": embedded, "reused": total - embedded},
    )
    (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    final = settings.index_dir / build_id
    staging.rename(final)
    publish(settings.index_dir, final)
    texts = [c.text for c in chunks] + [s.text for s in sentences] + [c.text for c in clauses]
    _tidy(settings, store, cache, texts)
    return manifest


def _tidy(settings: Settings, store: VectorStore, cache: EmbedCache, texts: list[str]) -> None:
    """After publishing: drop old builds' collections, bound the cache. The build is served
    already, so a failure here is logged, not raised (the next build tries again)."""
    try:
        store.prune({p.name for p in settings.index_dir.iterdir() if (p / MANIFEST).is_file()})
    except QAError as exc:
        log.warning("could not drop old builds' vectors: %s", exc.detail)
    try:
        cache.compact(texts)
    except OSError as exc:
        log.warning("could not compact the embedding cache: %s", exc)
