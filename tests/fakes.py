"""A model-free stand-in for the embedder, for unit tests of index and retrieval logic.

Vectors are hashed character uni- and bigrams, L2-normalized: deterministic, fast, and
similar for texts that share characters, which is enough to make dense ranking testable.
"""

from __future__ import annotations

import zlib

import numpy as np


class FakeEmbedder:
    def __init__(self, model_id: str = "fake/char-ngrams", dim: int = 64, weights: str = "w0") -> None:
        self.model_id = model_id
        self._dim = dim
        self._weights = weights
        self.calls = {"queries": 0, "documents": 0}

    @property
    def dim(self) -> int:
        return self._dim

    def weights_hash(self) -> str:
        return f"fake-{self._weights}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            if gram.strip():
                vec[zlib.crc32(gram.encode("utf-8")) % self._dim] += 1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.ascontiguousarray(np.stack([self._vector(t) for t in texts]), dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls["queries"] += 1
        return self._encode(texts)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.calls["documents"] += 1
        return self._encode(texts)
