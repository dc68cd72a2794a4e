"""Where a build's vectors live: FAISS files in the build folder, or Milvus collections.

Retrieval needs three things of a table of vectors: its size, an exact inner-product search
and some rows back by position (the answerer scores a few dozen sentences and clauses per
question). ``VectorTable`` is that subset of a FAISS index, so FAISS serves it as it is, and
``qa.index.milvus`` offers the same over Milvus (Milvus Lite in a file, or a server by URL),
for corpora whose vectors should not sit in every replica's memory.

A build writes its tables through a ``VectorStore`` into the build folder (FAISS: the files;
Milvus: collections named after the build, and ``vectors.json`` naming them), so the
manifest's checksums and the atomic switch of CURRENT cover either store.

``QA_VECTOR_STORE``: ``faiss`` (default) | ``milvus:///path/file.db`` | ``http(s)://host:19530``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

from qa.config import check_store_url
from qa.errors import ConfigError, IndexCorruptError

TABLES = ("chunks", "sentences", "clauses")
STORE_FILE = "vectors.json"
FAISS = "faiss"
__all__ = ["check_store_url"]


class VectorTable(Protocol):
    """The part of a FAISS index retrieval uses; positions are the records' list positions."""

    @property
    def ntotal(self) -> int: ...

    @property
    def d(self) -> int: ...

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, i: int) -> np.ndarray: ...

    def reconstruct_n(self, start: int, n: int) -> np.ndarray: ...


class VectorStore(Protocol):
    kind: str

    def write(self, staging: Path, build_id: str, table: str, vectors: np.ndarray) -> None: ...

    def finish(self, staging: Path) -> None: ...

    def open(self, build: Path, table: str) -> VectorTable: ...

    def prune(self, keep: set[str]) -> None: ...


def make_store(url: str, token: str = "") -> VectorStore:
    """The store for a QA_VECTOR_STORE value (already checked by the settings)."""
    url = check_store_url(url)
    if url == FAISS:
        return FaissStore()
    try:
        from qa.index.milvus import MilvusStore
    except ImportError as exc:
        raise ConfigError(
            "QA_VECTOR_STORE names Milvus, but pymilvus is not installed: pip install -e '.[milvus]'"
        ) from exc
    return MilvusStore(url, token)


def store_of_build(build: Path, token: str = "") -> VectorStore:
    """The store a published build was written to (builds from before stores: FAISS)."""
    path = build / STORE_FILE
    if not path.is_file():
        return FaissStore()
    try:
        url = str(json.loads(path.read_text(encoding="utf-8"))["url"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}): run `qa build-index`") from exc
    return make_store(url, token)


class FaissStore:
    """Exact inner-product FAISS indexes in the build folder, memory-mapped when read."""

    kind = FAISS

    def write(self, staging: Path, build_id: str, table: str, vectors: np.ndarray) -> None:
        faiss.write_index(flat_ip(vectors), str(staging / f"{table}.faiss"))

    def finish(self, staging: Path) -> None:
        """Nothing to record: a build folder without vectors.json is a FAISS build."""

    def open(self, build: Path, table: str) -> VectorTable:
        return read_vectors(build / f"{table}.faiss")

    def prune(self, keep: set[str]) -> None:
        """Old FAISS files go with their build folders."""


def read_vectors(path: Path) -> Any:
    """A flat index's vectors memory-mapped from the file (read-only), not copied: worker
    processes serving the same build share those pages (QA_WORKERS)."""
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)


def flat_ip(vectors: np.ndarray) -> faiss.Index:
    """Exact inner product: on normalized vectors it is cosine similarity."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def as_matrix(vectors: VectorTable | None) -> np.ndarray:
    """Every row of a table as one array (FAISS: the rows the answerer slices)."""
    if vectors is None or vectors.ntotal == 0:
        return np.zeros((0, vectors.d if vectors is not None else 0), dtype=np.float32)
    return np.asarray(vectors.reconstruct_n(0, vectors.ntotal), dtype=np.float32)
