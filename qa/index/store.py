"""Persisting the index: versioned build folders, a manifest with checksums, atomic switch.

Layout under ``index_dir``::

    CURRENT                 the id of the build in use (replaced atomically)
    <build-id>/manifest.json
    <build-id>/documents.json, chunks.jsonl, sentences.jsonl
    <build-id>/clauses.jsonl (clauses that state a figure)
    <build-id>/chunks.faiss, sentences.faiss, clauses.faiss, bm25/...
        (with QA_VECTOR_STORE=milvus…: vectors.json naming the build's Milvus collections)

A build is written into its own folder and only then named in ``CURRENT``, so a reader
never sees a half-written index, and a running service can swap to a new build while
requests in flight finish on the old one. Every file's sha256 is in the manifest and is
checked on load: a truncated or corrupted file is refused, never served.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from qa.checksums import sha256_file
from qa.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from qa.index.vectors import FAISS, VectorStore, VectorTable, as_matrix, store_of_build
from qa.schemas import Chunk, Clause, Document, Sentence

FORMAT_VERSION = 5  # 4: sentences carry their figures (values); 5: and the chunks they overlap
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_BUILDS = 2


class Manifest(BaseModel):
    format_version: int
    build_id: str
    built_at: str
    build_seconds: float
    model: dict[str, Any]
    corpus: dict[str, Any]
    params: dict[str, Any]
    versions: dict[str, str]
    counts: dict[str, int]
    files: dict[str, str]
    vector_store: str = FAISS  # QA_VECTOR_STORE of the build; manifests from before it: FAISS
    # How passages were encoded, and how many texts this build embedded vs took from the cache.
    embedding: dict[str, Any] = {}


@dataclass
class Index:
    """Everything a query needs, loaded once and shared read-only across requests."""

    manifest: Manifest
    path: Path
    documents: dict[str, Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: VectorTable
    sentence_vectors: VectorTable
    bm25: Any
    clauses: list[Clause] = field(default_factory=list)
    clause_vectors: VectorTable | None = None
    chunk_pos: dict[str, int] = field(default_factory=dict)
    sentences_by_chunk: dict[str, list[int]] = field(default_factory=dict)
    chunk_ids_of_sentence: dict[int, list[str]] = field(default_factory=dict)
    clauses_of_sentence: dict[int, list[int]] = field(default_factory=dict)
    # The sentence and clause vectors as arrays: the answerer scores a few dozen of them per
    # question, and slicing an array beats one FAISS reconstruct call per row. With Milvus they
    # stay there (RemoteRows: one fetch per slice), so a replica does not hold them.
    sentence_matrix: Any = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    clause_matrix: Any = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def __post_init__(self) -> None:
        self.chunk_pos = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        for i, sentence in enumerate(self.sentences):
            for chunk_id in sentence.chunk_ids:
                self.sentences_by_chunk.setdefault(chunk_id, []).append(i)
            self.chunk_ids_of_sentence[i] = list(sentence.chunk_ids)
        for i, clause in enumerate(self.clauses):
            self.clauses_of_sentence.setdefault(clause.sentence_pos, []).append(i)
        self.vocabulary = frozenset(self.bm25.vocab_dict) if self.bm25 is not None else frozenset()
        self.sentence_matrix = _rows(self.sentence_vectors)
        self.clause_matrix = _rows(self.clause_vectors)


def _rows(vectors: VectorTable | None) -> Any:
    if vectors is not None and hasattr(vectors, "rows"):
        from qa.index.milvus import RemoteRows

        return RemoteRows(vectors)  # type: ignore[arg-type]
    return as_matrix(vectors)


_as_matrix = as_matrix  # the eval's ranking study imports it by this name


def current_build_dir(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexMissingError(f"no index in {index_dir}: run `qa build-index` (or `make index`)")
    build = index_dir / pointer.read_text().strip()
    if not build.is_dir():
        raise IndexCorruptError(f"{pointer} names {build.name}, which does not exist: run `qa build-index`")
    return build


def write_jsonl(path: Path, records: Sequence[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(record.model_dump_json() + "\n")


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def publish(index_dir: Path, build: Path) -> None:
    """Point CURRENT at ``build`` atomically, then prune old builds."""
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(build.name + "\n")
    os.replace(tmp, index_dir / CURRENT)
    builds = sorted(
        (p for p in index_dir.iterdir() if p.is_dir() and (p / MANIFEST).is_file()),
        key=lambda p: p.name,
    )
    for old in builds[:-KEEP_BUILDS]:
        if old != build:
            shutil.rmtree(old, ignore_errors=True)


def read_manifest(build: Path) -> Manifest:
    try:
        return Manifest.model_validate_json((build / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{build / MANIFEST} is missing: run `qa build-index`") from exc
    except ValueError as exc:
        raise IndexCorruptError(f"{build / MANIFEST} is unreadable ({exc}): run `qa build-index`") from exc


def check_fresh(manifest: Manifest, expected: dict[str, Any]) -> None:
    """Raise IndexStaleError naming what differs between the index and the current set-up."""
    actual = {
        "format_version": manifest.format_version,
        "corpus": manifest.corpus.get("hash"),
        "model": manifest.model.get("id"),
        "weights": manifest.model.get("weights_hash"),
        "params": manifest.params,
        "vector_store": manifest.vector_store,
    }
    differs = [key for key, value in expected.items() if actual.get(key) != value]
    if differs:
        raise IndexStaleError(
            f"the index is stale ({', '.join(differs)} changed since it was built): "
            "run `qa build-index` (or `make index`)"
        )


def load_index(
    index_dir: Path, expected: dict[str, Any] | None = None, store: VectorStore | None = None
) -> Index:
    """Load the current build, verifying checksums and (when given) freshness; its vectors from
    ``store`` (by default the store the build names: FAISS, or its Milvus with no token)."""
    build = current_build_dir(index_dir)
    manifest = read_manifest(build)
    if expected is not None:
        check_fresh(manifest, expected)
    for name, digest in manifest.files.items():
        path = build / name
        if not path.is_file():
            raise IndexCorruptError(f"index file missing: {path}: run `qa build-index`")
        if sha256_file(path) != digest:
            raise IndexCorruptError(f"index file corrupted (checksum): {path}: run `qa build-index`")
    try:
        import bm25s

        documents = {
            d["doc_id"]: Document.model_validate(d)
            for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
        }
        chunks = [Chunk.model_validate_json(line) for line in _lines(build / "chunks.jsonl")]
        sentences = [Sentence.model_validate_json(line) for line in _lines(build / "sentences.jsonl")]
        vectors = store or store_of_build(build)
        chunk_vectors = vectors.open(build, "chunks")
        sentence_vectors = vectors.open(build, "sentences")
        clauses = [Clause.model_validate_json(line) for line in _lines(build / "clauses.jsonl")]
        clause_vectors = vectors.open(build, "clauses")
        bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False, verbosity=0)
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read index {build}: {exc}: run `qa build-index`") from exc
    if (
        chunk_vectors.ntotal != len(chunks)
        or sentence_vectors.ntotal != len(sentences)
        or clause_vectors.ntotal != len(clauses)
    ):
        raise IndexCorruptError(f"index {build} has vectors and records out of step: rebuild it")
    return Index(
        manifest,
        build,
        documents,
        chunks,
        sentences,
        chunk_vectors,
        sentence_vectors,
        bm25,
        clauses=clauses,
        clause_vectors=clause_vectors,
    )


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
