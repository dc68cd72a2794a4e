"""The query encoder on ONNX Runtime: the same fp32 graph without PyTorch's per-op overhead.

A question is ~30 tokens, so a forward pass of EmbeddingGemma is hundreds of small ops and
eager PyTorch spends much of its time dispatching them; ONNX Runtime runs the whole graph
(fused and planned once) in fp32, so the vectors match the PyTorch ones (cosine 1.0) at a
fraction of the latency, and a process that only answers questions need not import torch.

The graph (transformer, mean pooling, both Dense layers, normalization) is exported once
from the local model folder into ``<model>/onnx/`` and checked against PyTorch before it
is kept; ``export.json`` records the weights it came from, so new weights mean a new
export. Nothing is downloaded. Documents are still encoded by the PyTorch model, loaded
only when an index is built, so the index is the same whichever backend answers queries.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from qa.errors import ModelError

if TYPE_CHECKING:
    from qa.embed import SentenceTransformerEmbedder

log = logging.getLogger(__name__)

EXPORT_DIR = "onnx"
MODEL_FILE = "model.onnx"
META_FILE = "export.json"
OUTPUT = "qa_sentence_embedding"  # not "embedding": the exporter already names a value so
MIN_EXPORT_COSINE = 0.9999
_CHECK_TEXTS = ["重庆和成都两地直联带宽达到多少?", "What is the bandwidth?", "数字经济 5G 基站 千兆光网 " * 6]


class ExportMeta(BaseModel):
    """What an export was made from; a mismatch with the current weights means re-export."""

    weights_hash: str
    torch: str
    sentence_transformers: str
    seconds: float
    min_cosine: float


def export_dir(model_folder: Path) -> Path:
    return model_folder / EXPORT_DIR


def read_meta(model_folder: Path) -> ExportMeta | None:
    path = export_dir(model_folder) / META_FILE
    if not (path.is_file() and (export_dir(model_folder) / MODEL_FILE).is_file()):
        return None
    try:
        return ExportMeta.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def is_exported(model_folder: Path, weights_hash: str) -> bool:
    meta = read_meta(model_folder)
    return meta is not None and meta.weights_hash == weights_hash


def export_onnx(model_folder: Path, weights_hash: str) -> ExportMeta:
    """Export the sentence-transformers pipeline to ONNX, verify it, then publish it atomically."""
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    began = time.perf_counter()
    log.warning("exporting the ONNX query encoder from %s (once; takes a minute or two)", model_folder)
    model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return self.st(features)["sentence_embedding"]

    prompt = model.prompts.get("query") or ""
    features = model.preprocess([prompt + t for t in _CHECK_TEXTS[:2]])
    example = (features["input_ids"], features["attention_mask"])
    batch = torch.export.Dim("batch", min=1, max=4096)
    seq = torch.export.Dim("seq", min=2, max=8192)
    staging = model_folder / f".{EXPORT_DIR}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                Pipeline().eval(),
                example,
                str(staging / MODEL_FILE),
                input_names=["input_ids", "attention_mask"],
                output_names=[OUTPUT],
                dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                dynamo=True,
                external_data=True,
            )
        reference = model.encode_query(
            _CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        encoder = OnnxQueryEncoder(model_folder, folder_override=staging)
        cosine = float((reference * encoder.encode(_CHECK_TEXTS)).sum(axis=1).min())
        if cosine < MIN_EXPORT_COSINE:
            raise ModelError(f"the ONNX export differs from PyTorch (cosine {cosine:.5f}); not kept")
        meta = ExportMeta(
            weights_hash=weights_hash,
            torch=torch.__version__,
            sentence_transformers=sentence_transformers.__version__,
            seconds=round(time.perf_counter() - began, 1),
            min_cosine=round(cosine, 6),
        )
        (staging / META_FILE).write_text(meta.model_dump_json(indent=2), encoding="utf-8")
        final = export_dir(model_folder)
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.warning("exported the ONNX query encoder in %.0f s (min cosine %.6f)", meta.seconds, cosine)
    return meta


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
                    export_onnx(self._folder, self._weights)
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


def main() -> int:
    """``python -m qa.embed_onnx``: export the query encoder of QA_EMBED_MODEL unless up to date."""
    from qa.config import get_settings
    from qa.embed import folder_weights_hash

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = Path(get_settings().embed_model)
    if not folder.is_dir():
        print(f"error: model folder not found: {folder}; run `make model`", file=sys.stderr)
        return 2
    weights = folder_weights_hash(folder)
    if is_exported(folder, weights):
        print(f"ONNX query encoder up to date in {export_dir(folder)}")
        return 0
    try:
        meta = export_onnx(folder, weights)
    except ModelError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(f"exported {export_dir(folder)} in {meta.seconds:.0f} s (min cosine to PyTorch {meta.min_cosine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
