"""The load test tool: its verdict logic, its loopback-only guard, and a short real run.

`make loadtest` is the full run (64 clients, 60 s); here 8 clients for 5 s against a server
allowing 2 answers at once, so the deliberate 503s are exercised too.
"""

from __future__ import annotations

import json

import pytest

from qa.loadtest import Sample, main, percentiles, summarize
from qa.loadtest_server import check_loopback, queue_wait_ms


def test_verdict_passes_on_answers_and_deliberate_503s_only():
    samples = [
        Sample(status=200, seconds=0.1),
        Sample(status=503, seconds=0.01),
        Sample(status=429, seconds=0.01),
    ]
    report = summarize("http://127.0.0.1:1", 2, 10.0, samples, exit_code=-15)
    assert report.passed and report.statuses == {"200": 1, "429": 1, "503": 1}
    assert report.answered_per_second == 0.1


@pytest.mark.parametrize(
    "bad",
    [
        Sample(status=None, seconds=1.0, error="ReadError"),
        Sample(status=500, seconds=0.1),
        Sample(status=504, seconds=30.0),
        Sample(status=401, seconds=0.01),
    ],
)
def test_verdict_fails_on_a_lost_request_a_5xx_or_a_refusal(bad):
    report = summarize("u", 1, 1.0, [Sample(status=200, seconds=0.1), bad], exit_code=0)
    assert not report.passed


def test_verdict_fails_when_nothing_was_answered_or_the_server_crashed():
    assert not summarize("u", 1, 1.0, [Sample(status=503, seconds=0.1)], exit_code=0).passed
    assert not summarize("u", 1, 1.0, [Sample(status=200, seconds=0.1)], exit_code=1).passed


def test_goodput_against_capacity_and_the_queue_wait_of_answers():
    samples = [Sample(status=200, seconds=0.5, wait_ms=w) for w in (10.0, 20.0, 30.0, 40.0)]
    samples.append(Sample(status=503, seconds=0.01, retry_after=True))
    report = summarize("u", 4, 2.0, samples, exit_code=0, capacity=2.5)
    assert report.answered_per_second == 2.0 and report.goodput_ratio == 0.8
    assert report.admitted_wait_ms["p50"] == 30.0 and report.busy_without_retry_after == 0
    assert queue_wait_ms("queue;dur=12.5, app;dur=3") == 12.5
    assert queue_wait_ms(None) is None and queue_wait_ms("app;dur=3") is None


def test_percentiles_in_ms():
    assert percentiles([0.001 * i for i in range(1, 101)]) == {
        "p50": 51.0,
        "p90": 91.0,
        "p99": 100.0,
        "max": 100.0,
    }
    assert percentiles([]) == {}


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://127.9.9.9:1"])
def test_loopback_urls_are_allowed(url):
    check_loopback(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://192.168.1.2", "http://8.8.8.8"])
def test_other_addresses_are_refused(url):
    with pytest.raises(SystemExit, match="loopback"):
        check_loopback(url)


@pytest.mark.slow
def test_a_short_real_run_against_a_busy_server(serve, tmp_path):
    with serve(max_in_flight=2) as server:
        out = tmp_path / "load.json"
        code = main(["--url", server.url, "--clients", "8", "--seconds", "5", "--out", str(out)])
    report = json.loads(out.read_text())
    assert code == 0 and report["passed"] is True
    assert report["lost"] == 0 and report["unexpected_5xx"] == 0
    assert report["statuses"].get("200", 0) > 0
    assert sum(report["statuses"].values()) == report["requests"]
    assert report["capacity_per_second"] > 0 and report["goodput_ratio"] is not None
    assert "p99" in report["admitted_wait_ms"]


def test_hostile_inputs_fit_the_body_limit_and_the_worst_is_over_any_budget():
    """Each hostile body is under QA_MAX_BODY_BYTES (a 413 would test nothing), and they carry
    what they claim: 1,999 rare characters, 20 history entries."""
    from qa.config import Settings
    from qa.loadtest_hostile import RARE, hostile_requests

    limit = Settings(_env_file=None).max_body_bytes
    requests = hostile_requests(7)
    for path, body in requests:
        assert len(json.dumps(body, ensure_ascii=False).encode("utf-8")) < limit, path
    assert requests[0][1]["question"] == RARE * 1999
    assert len(requests[1][1]["history"]) == 20
