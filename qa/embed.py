"""Embedders: the model behind dense retrieval, behind one small interface.

EmbeddingGemma has separate task prompts for queries and documents and is much worse
without them, so the interface keeps the two calls apart. The default loads a local
folder with the hub switched off, so a missing model fails at once with a message that
says how to get it instead of trying the network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.checksums import update_with_file
from qa.errors import ModelError

_VERIFIED_MARKER = ".verified"


class Embedder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    def weights_hash(self) -> str: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """sentence-transformers model from a folder (offline) or a hub id (needs internet)."""

    def __init__(
        self, model: str, batch_size: int = 16, dim: int | None = None, threads: int | None = None
    ) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self._truncate = dim
        self._folder = Path(model) if Path(model).exists() else None
        if self._folder is None and (model.startswith(("/", ".")) or os.sep in model.rstrip("/")):
            raise ModelError(f"embedding model folder not found: {model}. Run `make model`.")
        if self._folder is not None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if threads:
                torch.set_num_threads(threads)
            self._model = SentenceTransformer(
                model,
                device="cpu",
                local_files_only=self._folder is not None,
                truncate_dim=dim,
            )
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise ModelError(f"cannot load embedding model {model!r}: {exc}") from exc

    @property
    def dim(self) -> int:
        size = self._model.get_sentence_embedding_dimension()
        return int(size) if size else int(self.encode_queries(["x"]).shape[1])

    def weights_hash(self) -> str:
        """sha256 that identifies the weights; the fetch step's verified marker when present."""
        if self._folder is None:
            return f"hub:{self.model_id}"
        return folder_weights_hash(self._folder)

    def document_key(self) -> str:
        """What besides the weights decides a passage's vector (the embedding cache's key)."""
        prompt = (self._model.prompts or {}).get("document", "")
        return f"torch|{prompt}|dim={self._truncate}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=True, progress=False)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, query=False, progress=progress)

    def _encode(self, texts: list[str], *, query: bool, progress: bool) -> np.ndarray:
        encode = self._model.encode_query if query else self._model.encode_document
        vectors = encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def folder_weights_hash(folder: Path) -> str:
    """sha256 that identifies a model folder's weights; the fetch step's verified marker when present."""
    marker = folder / _VERIFIED_MARKER
    if marker.is_file():
        return marker.read_text().strip()
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.safetensors")):
        digest.update(str(path.relative_to(folder)).encode())
        update_with_file(digest, path)
    return digest.hexdigest()


def make_embedder(
    model: str,
    batch_size: int = 16,
    dim: int | None = None,
    backend: str = "torch",
    threads: int | None = None,
) -> Embedder:
    """The one factory: sentence-transformers on PyTorch, or its ONNX Runtime export for queries."""
    if backend == "onnx":
        from qa.embed_onnx import OnnxEmbedder

        return OnnxEmbedder(model, batch_size=batch_size, dim=dim, threads=threads)
    if backend != "torch":
        raise ModelError(f"unknown embedding backend {backend!r} (torch or onnx)")
    return SentenceTransformerEmbedder(model, batch_size=batch_size, dim=dim, threads=threads)
