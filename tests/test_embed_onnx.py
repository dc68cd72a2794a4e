"""The ONNX Runtime query encoder: the PyTorch model's vectors, tokens and rankings, faster.

Adopted as the default only because these hold on every gold question: the same token
ids, cosine to PyTorch fp32 >= 0.9999 (the bar is 0.99), and the same retrieved passages.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.config import ROOT, Settings
from qa.embed import folder_weights_hash, make_embedder
from qa.embed_onnx import OnnxEmbedder, export_dir, is_exported, read_meta
from qa.errors import ModelError


def gold_questions() -> list[str]:
    lines = (ROOT / "corpus" / "gold" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


MODEL = Path(Settings(_env_file=None).embed_model)


def test_unknown_backend_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="unknown embedding backend"):
        make_embedder(str(tmp_path), backend="tensorrt")
    with pytest.raises(ModelError, match="local model folder"):
        OnnxEmbedder(str(tmp_path / "nowhere"))


def test_an_export_is_only_trusted_for_the_weights_it_came_from(tmp_path):
    assert read_meta(tmp_path) is None and not is_exported(tmp_path, "abc")
    folder = export_dir(tmp_path)
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    (folder / "export.json").write_text("{not json")
    assert read_meta(tmp_path) is None  # unreadable metadata: export again
    (folder / "export.json").write_text(
        '{"weights_hash": "abc", "torch": "t", "sentence_transformers": "s", "seconds": 1, "min_cosine": 1}'
    )
    assert is_exported(tmp_path, "abc") and not is_exported(tmp_path, "other-weights")


def _onnx(embedder) -> OnnxEmbedder:
    inner = getattr(embedder, "inner", embedder)
    if not isinstance(inner, OnnxEmbedder):
        pytest.skip("the session embedder is not the ONNX backend (QA_EMBED_BACKEND=torch)")
    return inner


@pytest.mark.slow
def test_the_export_matches_the_installed_weights(embedder):
    _onnx(embedder)
    meta = read_meta(MODEL)
    assert meta is not None and meta.weights_hash == folder_weights_hash(MODEL)
    assert meta.min_cosine >= 0.9999


@pytest.mark.slow
def test_token_ids_are_the_sentence_transformers_ones(embedder):
    onnx = _onnx(embedder)
    model = onnx.torch_embedder()._model
    prompt = model.prompts["query"]
    questions = gold_questions()
    expected = model.preprocess([prompt + q for q in questions])
    ids, mask = onnx.encoder.token_ids(questions)
    np.testing.assert_array_equal(ids, expected["input_ids"].numpy())
    np.testing.assert_array_equal(mask, expected["attention_mask"].numpy())


@pytest.mark.slow
def test_vectors_and_retrieval_equal_pytorch_on_every_gold_question(engine):
    """Cosine to fp32 PyTorch and the hybrid retriever's passages, question by question."""
    from qa.text import normalize_query

    onnx = _onnx(engine.embedder)
    torch_fp32 = onnx.torch_embedder()
    questions = gold_questions()
    texts = [normalize_query(q) for q in questions]
    fast, reference = onnx.encode_queries(texts), torch_fp32.encode_queries(texts)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (fast * reference).sum(axis=1).min() >= 0.9999
    for question, f, r in zip(questions, fast, reference, strict=True):
        got = engine.retriever.retrieve(question, 5, query_vector=f[None, :]).hits
        want = engine.retriever.retrieve(question, 5, query_vector=r[None, :]).hits
        assert [h.chunk_id for h in got] == [h.chunk_id for h in want], question


@pytest.mark.slow
def test_one_by_one_equals_one_batch_of_mixed_lengths(embedder):
    onnx = _onnx(embedder)
    long = "千兆光网" * 40
    texts = ["5G", "重庆市信息通信业“十四五”期间建成了多少个5G基站?", "What is the bandwidth?", long]
    together = onnx.encode_queries(texts)
    alone = np.vstack([onnx.encode_queries([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    assert onnx.encode_queries([]).shape == (0, together.shape[1])


@pytest.mark.slow
def test_passages_match_pytorch_fp32_on_the_reports_passages(engine):
    """The bar for building the index with ONNX: cosine >= 0.9999 to fp32 PyTorch on real passages
    (every chunk, every third sentence, every third figure clause of the report)."""
    onnx = _onnx(engine.embedder)
    index = engine.index
    texts = [c.text for c in index.chunks]
    texts += [s.text for s in index.sentences[::3]] + [c.text for c in index.clauses[::3]]
    fast = onnx.encode_documents(texts)
    reference = onnx.torch_embedder().encode_documents(texts)
    assert fast.shape == reference.shape == (len(texts), index.chunk_vectors.d)
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (fast * reference).sum(axis=1).min() >= 0.9999


@pytest.mark.slow
def test_passages_sorted_and_batched_equal_one_by_one(embedder):
    onnx = _onnx(embedder)
    # One text over a batch's 1,024-token budget (1,208 tokens), and more texts than a batch holds.
    texts = ["5G", "重庆市信息通信业“十四五”期间建成了多少个5G基站?" * 3, "千兆光网" * 300, "What is it?"]
    texts += [f"第{i}项指标" for i in range(14)]
    together = onnx.encode_documents(texts)
    alone = np.vstack([onnx.encode_documents([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    assert onnx.encode_documents([]).shape == (0, together.shape[1])


def test_token_batches_cap_texts_and_padded_tokens():
    from qa.embed_onnx import token_batches

    counts = [3, 5, 5, 8, 20, 40]  # sorted, as the encoder sorts them
    slices = list(token_batches(counts, max_texts=3, max_tokens=24))
    assert [counts[s] for s in slices] == [[3, 5, 5], [8], [20], [40]]
    for s in slices:  # a batch is padded to its last text; alone, a text may exceed the budget
        assert len(counts[s]) <= 3 and (len(counts[s]) == 1 or len(counts[s]) * counts[s][-1] <= 24)
    assert list(token_batches([], 3, 24)) == []
