"""Building the index: load and clean the corpus, chunk, embed, and write a new build."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import faiss

from qa.chunk import chunk_document, split_sentences, split_value_clauses
from qa.config import Settings
from qa.embed import Embedder
from qa.index.store import (
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    checksums,
    flat_ip,
    publish,
    write_jsonl,
)
from qa.ingest import load_corpus
from qa.ingest.loaders import corpus_files
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
    }


def _versions() -> dict[str, str]:
    found = {}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "n/a"
    return found


def build_index(settings: Settings, embedder: Embedder, progress: bool = True) -> Manifest:
    """Build into a new folder under ``index_dir`` and switch CURRENT to it."""
    import bm25s

    began = time.perf_counter()
    documents = load_corpus(settings.corpus_dir, settings.heading_max_chars)
    chunks, sentences = [], []
    for doc in documents:
        doc_chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        chunks.extend(doc_chunks)
        sentences.extend(split_sentences(doc, doc_chunks))
    log.info(
        "building the index for %d document%s: embedding %d passages and %d sentences…",
        len(documents), "" if len(documents) == 1 else "s", len(chunks), len(sentences),
    )  # fmt: skip

    chunk_vectors = embedder.encode_documents([c.text for c in chunks], progress=progress)
    sentence_vectors = embedder.encode_documents([s.text for s in sentences], progress=progress)
    clauses = split_value_clauses(sentences)
    clause_vectors = embedder.encode_documents([c.text for c in clauses], progress=progress)
    bm25 = bm25s.BM25()
    bm25.index([tokenize(c.text) for c in chunks], show_progress=False)

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    built_at = datetime.now(UTC)
    build_id = built_at.strftime("%Y%m%dT%H%M%S%fZ")
    staging = settings.index_dir / f".tmp-{build_id}"
    staging.mkdir()
    (staging / "documents.json").write_text(
        json.dumps([d.model_dump() for d in documents], ensure_ascii=False), encoding="utf-8"
    )
    write_jsonl(staging / "chunks.jsonl", chunks)
    write_jsonl(staging / "sentences.jsonl", sentences)
    write_jsonl(staging / "clauses.jsonl", clauses)
    faiss.write_index(flat_ip(clause_vectors), str(staging / "clauses.faiss"))
    faiss.write_index(flat_ip(chunk_vectors), str(staging / "chunks.faiss"))
    faiss.write_index(flat_ip(sentence_vectors), str(staging / "sentences.faiss"))
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
    )
    (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    final = settings.index_dir / build_id
    staging.rename(final)
    publish(settings.index_dir, final)
    return manifest
