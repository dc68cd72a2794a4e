"""The query encoder on ONNX Runtime: the same fp32 graph without PyTorch's per-op overhead.

A question is ~30 tokens, so a forward pass of EmbeddingGemma is hundreds of small ops and
eager PyTorch spends much of its time dispatching them; ONNX Runtime runs the whole graph
(fused and planned once) in fp32, so the vectors match the PyTorch ones (cosine 1.0) at a
fraction of the latency, and a process that only answers questions need not import torch.

The graph is exported once from the local model folder (qa.onnx_export). Passages go through
the same graph with the document prompt when an index is built: the vectors match PyTorch's
(tests/test_embed_onnx.py measures cosine >= 0.9999 on the report's passages) and a build
takes a fraction of the time. Passages are sorted by token length and batched under a
padded-token budget, so a batch of short sentences is not padded to one long chunk.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import ModelError
from qa.onnx_export import (
    MODEL_FILE,
    OUTPUT,
    export_dir,
    export_log,
    export_onnx,
    is_exported,
    main,
    read_meta,
)

if TYPE_CHECKING:
    from qa.embed import SentenceTransformerEmbedder

__all__ = [
    "OnnxEmbedder",
    "OnnxQueryEncoder",
    "export_dir",
    "export_onnx",
    "is_exported",
    "main",
    "read_meta",
]
log = logging.getLogger(__name__)
# Padded tokens per passage batch (and at most QA_EMBED_BATCH_SIZE texts). Building the report
# from scratch (shared CPU, load 2.4-3.9): 1,024 tokens 14.1-15.5 s and ~800 MB peak RSS;
# 2,048: 16.7-34.3 s, ~1,000 MB; 8,192 with 64 texts: 43.6 s, 1,487 MB. Smaller batches pad
# less and keep the activations (batch x tokens x 6,912 floats in each MLP) small.
DOCUMENT_BATCH_TOKENS = 1024


class OnnxQueryEncoder:
    """Tokenize with the model's own tokenizer.json, add the query prompt, run the graph."""

    def __init__(self, model_folder: Path, threads: int | None = None, folder_override: Path | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = folder_override or export_dir(model_folder)
        st_config = _read_json(model_folder / "config_sentence_transformers.json")
        self.prompt = str(st_config.get("prompts", {}).get("query", ""))
        self.document_prompt = str(st_config.get("prompts", {}).get("document", ""))
        max_length = int(_read_json(model_folder / "sentence_bert_config.json").get("max_seq_length", 2048))
        pad_id = int(_read_json(model_folder / "config.json").get("pad_token_id", 0))
        self.tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.enable_padding(direction="right", pad_id=pad_id)
        self._pad_id = pad_id
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        # ONNX Runtime's CPU arena keeps the peak of every input shape it has seen: one 2,048-token
        # question left ~400 MB behind for good (RSS 588 -> 986 MB; 594 MB without the arena), and
        # 16 questions of 253 tokens ~300 MB (882 vs 613 MB). Without it, small questions were
        # no slower on this machine (median 235-250 ms vs 260-285 ms, noisy, shared CPU).
        options.enable_cpu_mem_arena = False
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped failures
            raise ModelError(f"cannot load the ONNX query encoder in {folder}: {exc}") from exc

    def token_ids(self, texts: list[str], prompt: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        prefix = self.prompt if prompt is None else prompt
        encodings = self.tokenizer.encode_batch([prefix + t for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask

    def encode(self, texts: list[str], prompt: str | None = None) -> np.ndarray:
        """Unnormalized vectors of ``texts`` with ``prompt`` (the query prompt when None)."""
        ids, mask = self.token_ids(texts, prompt)
        (vectors,) = self.session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)

    def token_counts(self, texts: list[str], prompt: str) -> list[int]:
        """Tokens of each text with its prompt, unpadded (for sorting and budgeting batches)."""
        with self._unpadded() as tokenizer:
            return [len(e.ids) for e in tokenizer.encode_batch([prompt + t for t in texts])]

    @contextlib.contextmanager
    def _unpadded(self) -> Iterator[Any]:
        self.tokenizer.no_padding()
        try:
            yield self.tokenizer
        finally:
            self.tokenizer.enable_padding(direction="right", pad_id=self._pad_id)


class OnnxEmbedder:
    """Queries and passages on ONNX Runtime, loaded when first needed.

    Model id and weights hash are the PyTorch model's: the vectors match it (cosine >= 0.9999),
    so an index built by either backend serves questions encoded by the other.
    """

    def __init__(
        self, model: str, batch_size: int = 16, dim: int | None = None, threads: int | None = None
    ) -> None:
        folder = Path(model)
        if not folder.is_dir():
            raise ModelError(f"the onnx backend needs a local model folder: {model} not found; `make model`")
        from qa.embed import folder_weights_hash

        self.model_id = model
        self.batch_size = batch_size
        self._truncate = dim
        self._threads = threads
        self._folder = folder
        self._weights = folder_weights_hash(folder)
        self._encoder: OnnxQueryEncoder | None = None
        self._encoder_lock = threading.Lock()
        self._documents: SentenceTransformerEmbedder | None = None
        self._documents_lock = threading.Lock()

    @property
    def encoder(self) -> OnnxQueryEncoder:
        """The ONNX session, loaded (and exported, if it never was) for the first question.

        Lazy so that an index build, which only embeds documents, never loads it; the
        service's warm-up question loads it before ``/readyz`` says ready.
        """
        with self._encoder_lock:
            if self._encoder is None:
                if not is_exported(self._folder, self._weights):
                    log.warning(
                        "exporting the ONNX query encoder from %s (once; a minute or two; details in %s)",
                        self._folder, export_log(self._folder),
                    )  # fmt: skip
                    meta = export_onnx(self._folder, self._weights)
                    log.warning("exported the ONNX query encoder in %.0f s", meta.seconds)
                self._encoder = OnnxQueryEncoder(self._folder, threads=self._threads)
            return self._encoder

    @cached_property
    def dim(self) -> int:
        """Measured once from the graph's output (it is read by every encode call)."""
        if self._truncate:
            return self._truncate
        return int(self.encode_queries(["x"]).shape[1])

    def weights_hash(self) -> str:
        return self._weights

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Like sentence-transformers: sorted by length, in batches, truncated, then normalized."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        parts = []
        for start in range(0, len(texts), self.batch_size):
            parts.append(self.encoder.encode([texts[i] for i in order[start : start + self.batch_size]]))
        vectors = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        vectors[order] = np.vstack(parts)
        return self._finish(vectors)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Passages with the document prompt, shortest first, in batches of at most
        ``batch_size`` texts and DOCUMENT_BATCH_TOKENS padded tokens."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encoder = self.encoder
        prompt = encoder.document_prompt
        counts = encoder.token_counts(texts, prompt)
        order = np.argsort(counts, kind="stable")
        vectors: np.ndarray | None = None
        with _progress_bar(len(texts), progress) as bar:
            sorted_counts = [counts[i] for i in order]
            for batch in token_batches(sorted_counts, self.batch_size, DOCUMENT_BATCH_TOKENS):
                rows = order[batch.start : batch.stop]
                part = encoder.encode([texts[i] for i in rows], prompt)
                if vectors is None:
                    vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
                vectors[rows] = part
                bar.update(len(rows))
        assert vectors is not None
        return self._finish(vectors)

    def document_key(self) -> str:
        """What besides the weights decides a passage's vector (the embedding cache's key)."""
        return f"onnx|{self.encoder.document_prompt}|dim={self._truncate}"

    def _finish(self, vectors: np.ndarray) -> np.ndarray:
        if self._truncate:
            vectors = vectors[:, : self._truncate]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def torch_embedder(self) -> SentenceTransformerEmbedder:
        """The PyTorch model, loaded on first use (an index build), then kept."""
        with self._documents_lock:
            if self._documents is None:
                from qa.embed import SentenceTransformerEmbedder

                self._documents = SentenceTransformerEmbedder(
                    self.model_id, self.batch_size, self._truncate, threads=self._threads
                )
            return self._documents


def token_batches(sorted_counts: list[int], max_texts: int, max_tokens: int) -> Iterator[slice]:
    """Consecutive slices of texts sorted by token count, each padded to its last (longest)
    text within ``max_tokens`` (a text longer than that alone), at most ``max_texts`` long."""
    start = 0
    for end in range(1, len(sorted_counts) + 1):
        too_many = end - start > max_texts
        too_wide = (end - start) * sorted_counts[end - 1] > max_tokens and end - start > 1
        if too_many or too_wide:
            yield slice(start, end - 1)
            start = end - 1
    if start < len(sorted_counts):
        yield slice(start, len(sorted_counts))


@contextlib.contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Any]:
    from tqdm import tqdm

    with tqdm(total=total, desc="embedding", unit=" texts", disable=not show, smoothing=0.1) as bar:
        yield bar


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


if __name__ == "__main__":  # `python -m qa.embed_onnx` (make model): the export, as before
    sys.exit(main())
