"""Exporting the query encoder to ONNX, once per set of weights, quietly.

The graph (transformer, mean pooling, both Dense layers, normalization) is exported from the
local model folder into ``<model>/onnx/`` and checked against PyTorch before it is kept;
``export.json`` records the weights it came from, so new weights mean a new export. Nothing is
downloaded. torch.export, the ONNX exporter and onnxscript print their progress and warnings
on the way; they go to ``<model>/onnx-export.log``, and ``make model`` shows one
line of its own (``python -m qa.onnx_export``, or ``python -m qa.embed_onnx`` as before).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qa.errors import ModelError, QAError

EXPORT_DIR = "onnx"
MODEL_FILE = "model.onnx"
META_FILE = "export.json"
LOG_FILE = "onnx-export.log"
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
    from sentence_transformers import SentenceTransformer

    from qa.embed_onnx import OnnxQueryEncoder

    began = time.perf_counter()
    with quiet_output(export_log(model_folder)):
        model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)
        meta = _export_checked(model, model_folder, weights_hash, OnnxQueryEncoder)
    return meta.model_copy(update={"seconds": round(time.perf_counter() - began, 1)})


def _export_checked(model: Any, model_folder: Path, weights_hash: str, encoder_class: Any) -> ExportMeta:
    """The export itself, into a staging folder published only once its vectors match PyTorch's."""
    import sentence_transformers
    import torch

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
        encoder = encoder_class(model_folder, folder_override=staging)
        cosine = float((reference * encoder.encode(_CHECK_TEXTS)).sum(axis=1).min())
        if cosine < MIN_EXPORT_COSINE:
            raise ModelError(f"the ONNX export differs from PyTorch (cosine {cosine:.5f}); not kept")
        meta = ExportMeta(
            weights_hash=weights_hash,
            torch=torch.__version__,
            sentence_transformers=sentence_transformers.__version__,
            seconds=0.0,
            min_cosine=round(cosine, 6),
        )
        (staging / META_FILE).write_text(meta.model_dump_json(indent=2), encoding="utf-8")
        final = export_dir(model_folder)
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def export_log(model_folder: Path) -> Path:
    """Where the exporter's own output goes (kept after a failure, replaced by the next export)."""
    return model_folder / LOG_FILE


@contextmanager
def quiet_output(path: Path) -> Iterator[None]:
    """Send everything written to stdout and stderr, by Python or by C++, to ``path`` instead.

    Redirected at the file-descriptor level, because much of the exporter's output never passes
    through ``sys.stdout``; process-wide while it lasts, which is why it wraps only the export.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("w", encoding="utf-8", buffering=1) as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:  # sys.stdout may not be fd 1 (a test runner's capture): swap it too
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def main() -> int:
    """``python -m qa.onnx_export``: export the query encoder of QA_EMBED_MODEL unless up to date;
    one line of output either way."""
    from qa.config import get_settings
    from qa.embed import folder_weights_hash

    try:
        folder = Path(get_settings().embed_model)
    except QAError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    if not folder.is_dir():
        print(f"error: model folder not found: {folder}; run `make model`", file=sys.stderr)
        return 2
    weights = folder_weights_hash(folder)
    if is_exported(folder, weights):
        print(f"ONNX query encoder up to date in {export_dir(folder)}")
        return 0
    print(
        f"exporting the ONNX query encoder to {export_dir(folder)} (once, a minute or two)…",
        end="",
        flush=True,
    )
    try:
        meta = export_onnx(folder, weights)
    except Exception as exc:
        detail = exc.detail if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
        print(f" failed: {detail} (the exporter's output: {export_log(folder)})", flush=True)
        return 2
    print(f" done in {meta.seconds:.0f} s (min cosine to PyTorch {meta.min_cosine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
