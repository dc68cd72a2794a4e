"""Query encoders compared in-process: the fp32 floor against faster paths.

The floor is what one question must cost: one bare fp32 ``encode_query`` call. Each
candidate (ONNX Runtime fp32; PyTorch int8 dynamic quantization of the MLP's gate/up
projections; PyTorch bf16) is timed on the same questions, interleaved with fp32 so a
busy machine slows all alike, and checked on every gold question: cosine to fp32, the
product's top-1 passage, and the answer (text, short answer, quotes and offsets; and
separately with the citation scores too), computed from the candidate's vectors by the
real retriever and answerer over the bench's index. A candidate meets the bar only if
the top-1 passages and the answers are all identical and the cosine is >= 0.99.
"""

from __future__ import annotations

import copy
import gc
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa.bench.models import EncoderResult, Latency
from qa.config import Settings
from qa.embed import SentenceTransformerEmbedder
from qa.text import normalize_query

MIN_COSINE = 0.99
Encode = Callable[[list[str]], np.ndarray]


class FixedVectors:
    """An Embedder over one encoder, with the gold questions' vectors encoded ahead in a batch.

    Text the retriever asks for that is not in the table (it may cut long questions) is
    encoded on the spot by the same encoder.
    """

    def __init__(self, table: dict[str, np.ndarray], encode: Encode, model_id: str) -> None:
        self.table = dict(table)
        self.encode = encode
        self.model_id = model_id

    @property
    def dim(self) -> int:
        return int(next(iter(self.table.values())).shape[0])

    def weights_hash(self) -> str:
        return "fixed"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.table]
        if missing:
            self.table.update(zip(missing, self.encode(missing), strict=True))
        return np.vstack([self.table[t] for t in texts]).astype(np.float32)

    def encode_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        raise NotImplementedError("documents come from the index")


def _torch_variant(model: Any, kind: str) -> Encode:
    """A PyTorch copy of ``model`` in int8 (gate/up projections only) or bf16."""
    import torch

    if kind == "bf16":
        variant = copy.deepcopy(model).to(torch.bfloat16)
    else:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        # down_proj sees large activation outliers: quantizing it drops cosine to ~0.9.
        names = [
            n
            for n, m in model.named_modules()
            if isinstance(m, torch.nn.Linear) and n.endswith(("mlp.gate_proj", "mlp.up_proj"))
        ]
        quantized = {id(p) for n in names for p in model.get_submodule(n).parameters()}
        tensors = itertools.chain(model.parameters(), model.buffers())
        shared = {id(t): t for t in tensors if id(t) not in quantized}
        variant = copy.deepcopy(model, shared)  # shares every tensor except the ones quantized
        qconfig = {n: per_channel_dynamic_qconfig for n in names}
        quantize_dynamic(variant, qconfig, dtype=torch.qint8, inplace=True)

    def encode(texts: list[str]) -> np.ndarray:
        vectors = variant.encode_query(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=16)
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    return encode


def _answers(
    settings: Settings, index_dir: Path, questions: list[str], table: dict[str, np.ndarray], encode: Encode
) -> list[tuple[str | None, dict[str, Any]]]:
    """(top-1 chunk id, answer without timings) per question, from the given vectors."""
    from qa.answer.pipeline import build_pipeline
    from qa.engine import Engine
    from qa.index import load_index
    from qa.retrieve import HybridRetriever

    index = load_index(index_dir)
    embedder = FixedVectors(table, encode, settings.embed_model)
    retriever = HybridRetriever(index, embedder, settings)
    answerer = build_pipeline(Engine(settings, embedder, index, retriever))
    results = []
    for q in questions:
        hits = retriever.retrieve(q, settings.top_k).hits
        response = answerer.answer(q, settings.top_k)
        results.append((hits[0].chunk_id if hits else None, response.model_dump(exclude={"timings_ms"})))
    return results


def _unscored(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its citation scores: what a reader sees (text, quotes, offsets)."""
    citations = [{k: v for k, v in c.items() if k != "score"} for c in answer["citations"]]
    return {**answer, "citations": citations}


def _timed(encode: Encode, texts: list[str]) -> float:
    began = time.perf_counter()
    encode(texts)
    return (time.perf_counter() - began) * 1000


def measure(
    settings: Settings, index_dir: Path, timed: list[str], gold: list[str], kinds: list[str]
) -> tuple[Latency, list[EncoderResult]]:
    """The fp32 floor on ``timed`` questions, and each candidate in ``kinds`` against it."""
    timed_norm = [normalize_query(q) for q in timed]
    single: dict[str, list[float]] = {}
    batch16: dict[str, float] = {}

    def time_block(name: str, encode: Encode) -> None:
        """One encoder at a time, so no other runtime's threads compete with it."""
        encode(timed_norm[:2])  # warm-up: first calls pay for lazy initialisation
        single[name] = [_timed(encode, [text]) for text in timed_norm]
        batch16[name] = min(_timed(encode, timed_norm[:16]) for _ in range(2)) / 16

    fp32 = SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size, settings.embed_dim)
    encoders: dict[str, Encode] = {"fp32 (torch)": fp32.encode_queries}
    time_block("fp32 (torch)", fp32.encode_queries)  # the floor, before anything else is loaded
    notes: dict[str, str] = {}
    for kind in kinds:
        encode: Encode
        if kind == "onnx":
            from qa.embed_onnx import OnnxEmbedder

            onnx = OnnxEmbedder(settings.embed_model, settings.embed_batch_size, settings.embed_dim)
            name, encode = "onnx fp32 (onnxruntime)", onnx.encode_queries
            notes[name] = "QA_EMBED_BACKEND=onnx"
        elif kind in ("int8", "bf16"):
            name = "int8 gate/up (torch)" if kind == "int8" else "bf16 (torch)"
            encode = _torch_variant(fp32._model, kind)
            notes[name] = "measured only, not a backend"
        else:
            raise SystemExit(f"error: unknown encoder {kind!r} (onnx, int8, bf16)")
        encoders[name] = encode
        time_block(name, encode)

    gold_norm = list(dict.fromkeys(normalize_query(q) for q in gold))
    reference = fp32.encode_queries(gold_norm)
    reference_table = dict(zip(gold_norm, reference, strict=True))
    expected = _answers(settings, index_dir, gold, reference_table, fp32.encode_queries)
    floor = Latency.of(single["fp32 (torch)"])
    results = []
    for name, encode in encoders.items():
        is_floor = name.startswith("fp32")
        vectors = reference if is_floor else encode(gold_norm)
        cosine = float((vectors * reference).sum(axis=1).min())
        table = dict(zip(gold_norm, vectors, strict=True))
        got = expected if is_floor else _answers(settings, index_dir, gold, table, encode)
        top1 = sum(a[0] == b[0] for a, b in zip(got, expected, strict=True))
        same = sum(_unscored(a[1]) == _unscored(b[1]) for a, b in zip(got, expected, strict=True))
        strict = sum(a[1] == b[1] for a, b in zip(got, expected, strict=True))
        latency = Latency.of(single[name])
        results.append(
            EncoderResult(
                name=name,
                adopted=top1 == len(gold) and same == len(gold) and cosine >= MIN_COSINE,
                single=latency,
                batch16_each_ms=round(batch16[name], 2),
                speedup=round(floor.p50 / latency.p50, 2) if latency.p50 else 0.0,
                cosine_min=round(cosine, 6),
                top1_identical=top1,
                answers_identical=same,
                answers_identical_with_scores=strict,
                questions=len(gold),
                note=notes.get(name, "the floor"),
            )
        )
    del encoders, fp32
    gc.collect()
    return floor, results
