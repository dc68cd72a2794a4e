"""Micro-batching of query embeddings: same vectors as encoding alone, fewer forward passes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from fakes import FakeEmbedder

from qa.batching import MicroBatchingEmbedder
from qa.config import ROOT


def gold_questions() -> list[str]:
    lines = (ROOT / "corpus" / "gold" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


class SlowEmbedder(FakeEmbedder):
    """A fake whose query encode takes a while, like a forward pass, and records batch sizes."""

    def __init__(self, delay: float = 0.05) -> None:
        super().__init__()
        self.delay = delay
        self.batches: list[int] = []
        self.threads: set[str] = set()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.batches.append(len(texts))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        return super().encode_queries(texts)


QUESTIONS = [f"重庆 5G 基站 question {i}" for i in range(24)]


def test_concurrent_callers_share_forward_passes_and_get_their_own_vectors():
    inner = SlowEmbedder()
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=20, max_batch=64)
    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        results = list(pool.map(lambda q: batcher.encode_queries([q]), QUESTIONS))
    expected = FakeEmbedder().encode_queries(QUESTIONS)
    for i, vectors in enumerate(results):
        assert vectors.shape == (1, inner.dim)
        np.testing.assert_allclose(vectors[0], expected[i])
    assert sum(inner.batches) == len(QUESTIONS)
    assert len(inner.batches) < len(QUESTIONS) / 2, inner.batches
    assert batcher.stats.largest > 1 and batcher.stats.texts == len(QUESTIONS)
    assert inner.threads == {"qa-embed-batcher"}  # callers never run the model themselves
    batcher.close()


def test_multi_text_calls_are_split_back_in_order():
    inner = SlowEmbedder(delay=0.02)
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=20)
    calls = [QUESTIONS[i : i + 3] for i in range(0, 12, 3)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(batcher.encode_queries, calls))
    for texts, vectors in zip(calls, results, strict=True):
        np.testing.assert_allclose(vectors, FakeEmbedder().encode_queries(texts))
    batcher.close()


def test_a_lone_question_does_not_wait_for_company():
    inner = SlowEmbedder(delay=0.0)
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=1000)
    began = time.perf_counter()
    for q in QUESTIONS[:5]:
        batcher.encode_queries([q])
    assert time.perf_counter() - began < 1.0  # five lone questions, none held for the 1 s window
    assert inner.batches == [1, 1, 1, 1, 1]
    batcher.close()


def test_max_batch_caps_one_forward_pass():
    inner = SlowEmbedder(delay=0.05)
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=50, max_batch=4)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda q: batcher.encode_queries([q]), QUESTIONS[:16]))
    assert max(inner.batches) <= 4 and sum(inner.batches) == 16
    batcher.close()


def test_an_encoder_failure_reaches_every_caller_of_the_batch():
    class Broken(SlowEmbedder):
        def encode_queries(self, texts: list[str]) -> np.ndarray:
            time.sleep(0.02)
            raise RuntimeError("model exploded")

    batcher = MicroBatchingEmbedder(Broken(), max_wait_ms=20)
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(batcher.encode_queries, [q]) for q in QUESTIONS[:6]]
        for future in futures:
            with pytest.raises(RuntimeError, match="model exploded"):
                future.result(timeout=10)
    batcher.close()


def test_everything_but_queries_passes_straight_through():
    inner = FakeEmbedder(dim=32)
    batcher = MicroBatchingEmbedder(inner)
    assert batcher.dim == 32 and batcher.model_id == inner.model_id
    assert batcher.weights_hash() == inner.weights_hash()
    docs = batcher.encode_documents(["a", "b"])
    assert docs.shape == (2, 32) and inner.calls["documents"] == 1
    assert batcher.encode_queries([]).shape == (0, 32)
    assert batcher._worker is None  # no thread until a question needs one


def test_closed_batcher_refuses_new_questions():
    batcher = MicroBatchingEmbedder(FakeEmbedder())
    batcher.encode_queries(["x"])
    batcher.close()
    assert batcher._worker is not None and not batcher._worker.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.encode_queries(["y"])


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        MicroBatchingEmbedder(FakeEmbedder(), max_wait_ms=-1)
    with pytest.raises(ValueError):
        MicroBatchingEmbedder(FakeEmbedder(), max_batch=0)


def test_the_event_loop_keeps_running_while_questions_wait_for_the_encoder():
    """Callers block worker threads (as /ask does), never the loop: its ticks go on meanwhile."""
    batcher = MicroBatchingEmbedder(SlowEmbedder(delay=0.3), max_wait_ms=5)

    async def scenario() -> int:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.gather(*(asyncio.to_thread(batcher.encode_queries, [q]) for q in QUESTIONS[:8]))
        done.set()
        await task
        return ticks

    with ThreadPoolExecutor(max_workers=1) as pool:  # a fresh loop, whatever the session runs
        ticks = pool.submit(asyncio.run, scenario()).result()
    assert ticks >= 10  # >= 0.3 s of encoding, the loop ticked throughout
    batcher.close()


@pytest.mark.slow
def test_batched_vectors_match_direct_encoding_with_the_real_model(embedder):
    """The service's batched vectors equal one-by-one fp32 vectors: answers cannot change."""
    from qa.text import normalize_query

    questions = [normalize_query(q) for q in gold_questions()][:32]
    inner = embedder.inner if isinstance(embedder, MicroBatchingEmbedder) else embedder
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=20, max_batch=64)
    with ThreadPoolExecutor(max_workers=16) as pool:
        batched = np.vstack(list(pool.map(lambda q: batcher.encode_queries([q]), questions)))
    direct = np.vstack([inner.encode_queries([q]) for q in questions])
    assert batcher.stats.largest > 1  # they really were encoded together
    np.testing.assert_allclose(batched, direct, atol=2e-5)
    assert (batched * direct).sum(axis=1).min() > 0.9999
    batcher.close()


class TimedEmbedder(FakeEmbedder):
    """Encodes take time in proportion to the padded tokens (questions × longest, by characters
    with the fake's tokenizer), like the real encoder; records each batch's texts."""

    def __init__(self, per_token: float = 0.002) -> None:
        super().__init__()
        self.per_token = per_token
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            self.batches.append(list(texts))
        time.sleep(self.per_token * len(texts) * max(len(t) for t in texts))
        return super().encode_queries(texts)


def test_a_long_question_does_not_hold_short_ones_behind_it():
    """The long question goes to its own lane: short questions sent while it is being encoded
    come back long before it does, and never share its (padded) batch."""
    inner = TimedEmbedder()
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=5)
    long_question = "长" * 1000  # ~2 s with this fake
    done: dict[str, float] = {}
    began = time.monotonic()

    def ask(text: str) -> None:
        batcher.encode_queries([text])
        done[text] = time.monotonic() - began

    with ThreadPoolExecutor(max_workers=8) as pool:
        pool.submit(ask, long_question)
        time.sleep(0.2)  # the long one is being encoded
        list(pool.map(ask, [f"短问题{i}" for i in range(6)]))
        shorts_done = max(t for q, t in done.items() if q != long_question)
    assert long_question in done
    assert shorts_done < done[long_question] / 2, done
    assert all(len(b) == 1 for b in inner.batches if long_question in b)
    batcher.close()


def test_batches_are_bounded_by_padded_tokens_and_filled_lightest_first():
    inner = SlowEmbedder(delay=0.3)
    batcher = MicroBatchingEmbedder(inner, max_wait_ms=50, max_batch=64, max_tokens=400)
    texts = ["x" * 100 for _ in range(8)]  # 100 "tokens" each with the fake: 4 per batch at most
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda t: batcher.encode_queries([t]), texts))
    assert sum(inner.batches) == 8
    assert max(inner.batches) <= 4, inner.batches
    batcher.close()
