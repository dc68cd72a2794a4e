"""Milvus as the vector store: Milvus Lite in a file, or a Milvus server or cluster by URL.

Each build writes one collection per table, named ``qa_<build-id>_<table>``, with the record's
list position as primary key and an exact (FLAT, inner-product) index, so a search returns
what FAISS's flat index returns and the fusion and answers are the same. Collections of builds
that are not kept on disk (and builds that failed half-way) are dropped when a build is
published; one Milvus database should serve one deployment (one corpus), or its builds could
be taken for ours.

Milvus Lite (``milvus:///path/file.db``) runs inside the opening process and locks the file:
one process at a time (build it, then serve it; or build in the service with /admin/reload
and the document API). A server (``http://host:19530``) has no such limit: N replicas share it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexCorruptError, IndexMissingError, VectorStoreError
from qa.index.vectors import STORE_FILE

INSERT_ROWS = 2000
QUERY_ROWS = 10000  # Milvus caps a query's offset + limit at 16,384
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client_for(url: str, token: str = "") -> Any:
    """One client per URL and process: Milvus Lite allows a single opener of its file."""
    from pymilvus import MilvusClient

    with _clients_lock:
        if url not in _clients:
            uri = url.removeprefix("milvus://") if url.startswith("milvus://") else url
            try:
                if url.startswith("milvus://"):
                    Path(uri).parent.mkdir(parents=True, exist_ok=True)
                _clients[url] = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
            except Exception as exc:  # pymilvus raises MilvusException, grpc and OS errors
                raise VectorStoreError(f"cannot open the vector store {url}: {exc}") from exc
        return _clients[url]


def collection_name(build_id: str, table: str) -> str:
    return f"qa_{build_id}_{table}"


class MilvusStore:
    kind = "milvus"

    def __init__(self, url: str, token: str = "") -> None:
        self.url = url
        self._token = token
        self._written: dict[str, dict[str, Any]] = {}

    @property
    def client(self) -> Any:
        return client_for(self.url, self._token)

    def write(self, staging: Path, build_id: str, table: str, vectors: np.ndarray) -> None:
        name = collection_name(build_id, table)
        try:
            self._write(name, vectors)
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors
            raise VectorStoreError(f"cannot write Milvus collection {name} at {self.url}: {exc}") from exc
        self._written[table] = {"name": name, "rows": len(vectors), "dim": int(vectors.shape[1])}

    def _write(self, name: str, vectors: np.ndarray) -> None:
        from pymilvus import DataType, MilvusClient

        client = self.client
        if client.has_collection(name):
            client.drop_collection(name)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        params = client.prepare_index_params()
        params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        client.create_collection(name, schema=schema, index_params=params)
        for start in range(0, len(vectors), INSERT_ROWS):
            rows = vectors[start : start + INSERT_ROWS]
            client.insert(name, [{"id": start + i, "vector": v.tolist()} for i, v in enumerate(rows)])
        client.flush(name)

    def finish(self, staging: Path) -> None:
        """Name the collections in the build folder, so the manifest's checksums cover them."""
        record = {"url": self.url, "collections": self._written}
        (staging / STORE_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        self._written = {}

    def open(self, build: Path, table: str) -> MilvusTable:
        record = json.loads((build / STORE_FILE).read_text(encoding="utf-8"))
        entry = record["collections"][table]
        client = self.client
        name = entry["name"]
        try:
            present = client.has_collection(name)
            rows = int(client.get_collection_stats(name).get("row_count", -1)) if present else -1
            if present:
                client.load_collection(name)
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors
            raise VectorStoreError(f"cannot read Milvus collection {name} at {self.url}: {exc}") from exc
        if not present:
            raise IndexMissingError(
                f"Milvus collection {name} of build {build.name} is gone: run `qa build-index`"
            )
        if rows != int(entry["rows"]):
            raise IndexCorruptError(f"Milvus collection {name} holds {rows} rows, the build {entry['rows']}")
        return MilvusTable(client, name, rows, int(entry["dim"]))

    def prune(self, keep: set[str]) -> None:
        """Drop the collections of builds that are not kept and older than the newest kept one:
        builds whose folders are gone, and builds that failed before they were published."""
        if not keep:
            return
        newest = max(keep)
        try:
            for name in self.client.list_collections():
                parts = name.split("_")
                if len(parts) == 3 and parts[0] == "qa" and parts[1] not in keep and parts[1] < newest:
                    self.client.drop_collection(name)
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors
            raise VectorStoreError(f"cannot drop old collections at {self.url}: {exc}") from exc


class MilvusTable:
    """A collection behind the FAISS-index methods retrieval uses; rows are fetched, not held."""

    def __init__(self, client: Any, name: str, rows: int, dim: int) -> None:
        self._client = client
        self.name = name
        self.ntotal = rows
        self.d = dim

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """A Milvus call whose failure is a VectorStoreError (503 at the API), not a crash."""
        try:
            return method(*args, **kwargs)
        except Exception as exc:  # pymilvus raises MilvusException and grpc errors
            raise VectorStoreError(f"Milvus collection {self.name}: {exc}") from exc

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(x, dtype=np.float32))
        sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if k <= 0 or self.ntotal == 0:
            return sims, ids
        found = self._call(
            self._client.search,
            self.name,
            data=[q.tolist() for q in queries],
            limit=k,
            search_params={"metric_type": "IP"},
            output_fields=["id"],
        )
        for row, hits in enumerate(found):
            for col, hit in enumerate(hits[:k]):
                ids[row, col] = int(hit["id"])
                sims[row, col] = float(hit["distance"])
        return sims, ids

    def rows(self, positions: list[int] | np.ndarray) -> np.ndarray:
        wanted = [int(p) for p in np.atleast_1d(positions)]
        if not wanted:
            return np.zeros((0, self.d), dtype=np.float32)
        got = self._call(self._client.get, self.name, ids=sorted(set(wanted)), output_fields=["vector"])
        by_id = {int(r["id"]): r["vector"] for r in got}
        missing = [p for p in wanted if p not in by_id]
        if missing:
            raise IndexCorruptError(f"Milvus collection {self.name} lacks rows {missing[:5]}")
        return np.asarray([by_id[p] for p in wanted], dtype=np.float32)

    def reconstruct(self, i: int) -> np.ndarray:
        return self.rows([i])[0]

    def reconstruct_n(self, start: int, n: int) -> np.ndarray:
        out = np.empty((n, self.d), dtype=np.float32)
        for lo in range(start, start + n, QUERY_ROWS):
            hi = min(lo + QUERY_ROWS, start + n)
            window = f"id >= {lo} and id < {hi}"
            got = self._call(self._client.query, self.name, filter=window, output_fields=["vector"])
            for r in got:
                out[int(r["id"]) - start] = r["vector"]
        return out


class RemoteRows:
    """The answerer's row lookups (``matrix[positions]``) served by Milvus, one call each."""

    def __init__(self, table: MilvusTable) -> None:
        self.table = table
        self.shape = (table.ntotal, table.d)

    def __getitem__(self, positions: Any) -> np.ndarray:
        if isinstance(positions, int | np.integer):
            return self.table.reconstruct(int(positions))
        return self.table.rows(positions)

    def __len__(self) -> int:
        return self.table.ntotal

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        matrix = self.table.reconstruct_n(0, self.table.ntotal)
        return matrix if dtype is None else matrix.astype(dtype)
