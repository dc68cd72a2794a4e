"""The bench's own logic: percentiles, distinct questions, targets and the Markdown table."""

from __future__ import annotations

import pytest

from qa.bench.load import check_loopback
from qa.bench.models import (
    BaselineResult,
    BenchReport,
    BuildResult,
    EncoderResult,
    Latency,
    LoadRun,
    Machine,
    ServiceBench,
    ServiceResult,
)
from qa.bench.questions import distinct_questions, gold_questions, take
from qa.bench.report import markdown, service_ratios, targets
from qa.config import ROOT
from qa.text import normalize_query

GOLD = ROOT / "corpus" / "gold" / "gold.jsonl"


def test_latency_percentiles_of_known_samples():
    lat = Latency.of([float(x) for x in range(1, 101)])  # 1..100 ms
    assert lat.n == 100 and lat.p50 == 50.5 and lat.p95 == 96.0 and lat.p99 == 100.0 and lat.mean == 50.5
    assert Latency.of([]).n == 0


def test_distinct_questions_never_share_a_cache_key_and_mix_languages():
    gold = gold_questions(GOLD)
    pool = distinct_questions(gold, 600)
    assert len(pool) == 600
    assert len({normalize_query(q) for q in pool}) == 600
    assert set(gold[:50]) <= set(pool)  # the gold questions themselves come first
    head = pool[:100]
    assert any(q.isascii() for q in head) and any(not q.isascii() for q in head)
    with pytest.raises(SystemExit):
        distinct_questions(gold, 100_000)


def test_take_uses_each_question_once():
    first, rest = take(["a", "b", "c"], 2)
    assert first == ["a", "b"] and rest == ["c"]
    with pytest.raises(SystemExit):
        take(rest, 2)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://192.168.1.5", "http://8.8.8.8:80"])
def test_load_is_only_sent_to_loopback(url):
    with pytest.raises(SystemExit, match="loopback"):
        check_loopback(url)
    check_loopback("http://127.0.0.1:8000")


def _run(label: str, clients: int, p50: float, throughput: float, errors: int = 0) -> LoadRun:
    lat = Latency(n=10, p50=p50, p95=p50 * 1.5, p99=p50 * 2, mean=p50)
    return LoadRun(
        label=label,
        clients=clients,
        requests=10 + errors,
        ok=10,
        errors=errors,
        seconds=1.0,
        throughput=throughput,
        latency=lat,
        statuses={"200": 10},
    )


def _service(backend: str, seq_p50: float, c16_rate: float, startup: float, rss: float) -> ServiceBench:
    return ServiceBench(
        service=ServiceResult(
            backend=backend, startup_seconds=startup, peak_rss_mb=rss, reembedded_at_start=False, env={}
        ),
        sequential=_run("sequential", 1, seq_p50, 1000 / seq_p50),
        cache_hit=_run("cache hits (repeats)", 1, 2.0, 400.0),
        concurrent=[_run("16 clients", 16, 400.0, c16_rate)],
    )


def _report(seq_p50: float, c16_rate: float, startup: float = 4.0, rss: float = 1500.0) -> BenchReport:
    floor = Latency(n=10, p50=80.0, p95=100.0, p99=110.0, mean=82.0)
    report = BenchReport(
        started_at="2026-01-01T00:00:00+00:00",
        seconds=300.0,
        machine=Machine(
            cpu="Test CPU",
            cores=2,
            memory_gb=24.0,
            python="3.11.7",
            platform="Linux",
            versions={"torch": "2.13.0"},
            load_average_start=[0.1, 0.1, 0.1],
            load_average_end=[0.2, 0.1, 0.1],
        ),
        build=BuildResult(
            seconds=40.0, peak_rss_mb=1800.0, chunks=21, sentences=96, onnx_export_seconds=None
        ),
        default_backend="onnx",
        services=[
            _service("torch", 120.0, 20.0, 3.0, 1900.0),  # c16 2.4x: the torch row misses its target
            _service("onnx", seq_p50, c16_rate, startup, rss),
        ],
        floor=floor,
        encoders=[
            EncoderResult(
                name="fp32 (torch)",
                adopted=True,
                single=floor,
                batch16_each_ms=27.0,
                speedup=1.0,
                cosine_min=1.0,
                top1_identical=247,
                answers_identical=247,
                answers_identical_with_scores=247,
                questions=247,
            )
        ],
        baseline=BaselineResult(name="LangChain", build_seconds=3.0, query=floor, prompts="same"),
        targets=[],
    )
    for run in report.services:
        run.ratios = service_ratios(run, floor.p50, report.baseline.query.p50)
    report.targets = targets(report)
    return report


def test_targets_follow_the_issue():
    good = _report(seq_p50=88.0, c16_rate=40.0)  # 1.1 x floor; 40/s vs 11.4/s sequential
    onnx = good.services[1].ratios
    assert onnx["ask_p50_over_floor_p50"] == 1.1
    assert onnx["c16_throughput_over_sequential"] == pytest.approx(3.52)
    assert onnx["ask_p50_over_langchain_p50"] == 1.1
    assert onnx["c16_throughput_over_floor_rate"] == 3.2  # 40/s against 1000/80 ms = 12.5/s
    missed = [t.name for t in good.targets if not t.ok]
    assert missed == ["throughput, 16 clients / sequential [torch]"]
    bad = _report(seq_p50=100.0, c16_rate=20.0, startup=12.0, rss=2500.0)
    missed = [t.name for t in bad.targets if not t.ok and "[onnx]" in t.name]
    assert len(missed) == 4, missed  # p50 ratio 1.25, throughput 2.0x, start-up 12 s, 2.5 GB


def test_markdown_table_has_every_figure():
    text = markdown(_report(seq_p50=88.0, c16_rate=40.0))
    for needle in [
        "Test CPU, 2 cores",
        "| onnx | sequential | 10/10 | 0 | 88.0 |",
        "| torch | sequential | 10/10 | 0 | 120.0 |",
        "| onnx | cache hits (repeats) |",
        "| onnx | 16 clients | 10/10 |",
        "| onnx | 4.00 | 1500 | 3.52x | 0.00x | 3.20x | 3.20x |",
        "| fp32 (torch) | 80.0 |",
        "Index build from scratch: 40.0 s, peak RSS 1800 MB",
        "| LangChain | 3.0 | 80.0 | 100.0 | 1.00 | 1.10 |",
        "| /ask p50 (sequential, warm, distinct) / fp32 floor p50 [onnx] | 1.1 | <= 1.15 | yes |",
    ]:
        assert needle in text, needle
