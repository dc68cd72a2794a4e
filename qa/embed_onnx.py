"""The query encoder on ONNX Runtime: the same fp32 graph without PyTorch's per-op overhead.

A question is ~30 tokens, so a forward pass of EmbeddingGemma is hundreds of small ops and
eager PyTorch spends much of its time dispatching them; ONNX Runtime runs the whole graph
(fused and planned once) in fp32, so the vectors match the PyTorch ones (cosine 1.0) at a
fraction of the latency, and a process that only answers questions need not import torch.

The graph is exported once from the local model folder (qa.onnx_export). Documents are still
encoded by the PyTorch model, loaded only when an index is built, so the index is the same
whichever backend answers queries.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
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


class OnnxQueryEncoder:
    """Tokenize with the model's own tokenizer.json, add the query prompt, run the graph."""

    def __init__(self, model_folder: Path, threads: int | None = None, folder_override: Path | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = folder_override or export_dir(model_folder)
        st_config = _read_json(model_folder / "config_sentence_transformers.json")
        self.prompt = str(st_config.get("prompts", {}).get("query", ""))
        max_length = int(_read_json(model_folder / "sentence_bert_config.json").get("max_seq_length", 2048))
        pad_id = int(_read_json(model_folder / "config.json").get("pad_token_id", 0))
        self.tokenizer = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.enable_padding(direction="right", pad_id=pad_id)
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

    def token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch([self.prompt + t for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask

    def encode(self, texts: list[str]) -> np.ndarray:
        ids, mask = self.token_ids(texts)
        (vectors,) = self.session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(vectors, dtype=np.float32)


class OnnxEmbedder:
    """Queries on ONNX Runtime; documents on the PyTorch model; each loaded when first needed.

    Model id and weights hash are the PyTorch model's: the index is the same either way.
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
        if self._truncate:
            vectors = vectors[:, : self._truncate]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.asarray(self.torch_embedder().encode_documents(texts, progress=progress))

    def torch_embedder(self) -> SentenceTransformerEmbedder:
        """The PyTorch model, loaded on first use (an index build), then kept."""
        with self._documents_lock:
            if self._documents is None:
                from qa.embed import SentenceTransformerEmbedder

                self._documents = SentenceTransformerEmbedder(
                    self.model_id, self.batch_size, self._truncate, threads=self._threads
                )
            return self._documents


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


if __name__ == "__main__":  # `python -m qa.embed_onnx` (make model): the export, as before
    sys.exit(main())
