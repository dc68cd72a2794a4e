"""The bench's load runs against a real server: counts, cache detection, batching under load."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from qa.bench.load import run_load
from qa.bench.questions import distinct_questions, gold_questions
from qa.config import ROOT, Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(engine) -> Iterator[tuple[str, object]]:
    """The service as `qa serve` builds it (warmed-up, cached answerer) over the session index."""
    from qa.answer.cache import serving_answerer
    from qa.answer.pipeline import build_pipeline
    from qa.api import create_app
    from qa.api.state import Live, ServiceState

    settings = Settings(
        index_dir=engine.settings.index_dir, rate_limit_per_min=0, max_in_flight=32, _env_file=None
    )
    state = ServiceState(settings)
    answerer = serving_answerer(build_pipeline(engine), settings)
    state.live = Live(engine, answerer)
    state.ready.set()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, state=state), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", engine
    srv.should_exit = True
    thread.join(30)


def test_sequential_then_repeated_questions(server):
    url, _ = server
    questions = distinct_questions(gold_questions(ROOT / "corpus" / "gold" / "gold.jsonl"), 6)
    first = run_load(url, "sequential", questions, 1, 120)
    assert (first.ok, first.errors, first.requests) == (6, 0, 6), first.error_samples
    assert first.latency.n == 6 and first.latency.p50 > 0 and first.throughput > 0
    again = run_load(url, "cache hits", questions, 1, 120, expect_hit=True)
    assert again.ok == 6 and not again.error_samples  # every repeat was a cache hit
    assert again.latency.p50 < first.latency.p50
    flattered = run_load(url, "not new", questions[:2], 1, 120)  # said to be new, but cached
    assert any("from the cache" in e for e in flattered.error_samples)


def test_concurrent_clients_share_encoder_passes(server):
    url, engine = server
    from qa.batching import BatchStats, MicroBatchingEmbedder

    if not isinstance(engine.embedder, MicroBatchingEmbedder):
        pytest.skip("micro-batching is off (QA_BATCH_MAX_SIZE=1)")
    gold = gold_questions(ROOT / "corpus" / "gold" / "gold.jsonl")
    questions = distinct_questions(gold, 80)[40:80]  # not asked by the other test
    engine.embedder.stats = BatchStats()
    run = run_load(url, "8 clients", questions, 8, 300)
    assert (run.ok, run.errors, run.clients) == (40, 0, 8), run.error_samples
    stats = engine.embedder.stats
    assert stats.texts == 40 and stats.largest > 1 and stats.batches < 40, stats


def test_a_dead_server_counts_lost_requests_instead_of_crashing():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = run_load(f"http://127.0.0.1:{port}", "dead", ["a", "b", "c"], 2, 10)
    assert run.ok == 0 and run.errors == 3 and run.statuses == {"lost": 3}
