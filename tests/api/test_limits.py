"""Load limits: token bucket (fake clock), then the limits over HTTP (admission itself: test_admission.py).

The unit tests drive the pure logic with a fake clock and a blocking function; the slow
tests run the real service on a loopback port with the real model and report.
"""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest
from apihelpers import HeldAnswerer, held_server, unloaded_server

from qa.api.limits import QuestionGuard, RateLimiter, TokenBucket
from qa.errors import RateLimitedError

QUESTION = "重庆和成都两地直联带宽达到多少?"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- token bucket ------------------------------------------------------------------------------


def test_bucket_grants_a_burst_then_refuses_with_the_wait():
    bucket = TokenBucket(rate=2.0, capacity=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)  # one token comes back after 1/rate s


def test_bucket_refills_at_its_rate_and_never_above_capacity():
    bucket = TokenBucket(rate=1.0, capacity=2, now=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.take(1.0) == 0.0  # one whole token after 1 s
    assert bucket.take(100.0) == 0.0
    assert bucket.take(100.0) == 0.0
    assert bucket.take(100.0) > 0  # a long idle time refills to capacity (2), not 100


def test_bucket_ignores_a_clock_going_backwards():
    bucket = TokenBucket(rate=1.0, capacity=1, now=10.0)
    assert bucket.take(10.0) == 0.0
    assert bucket.take(5.0) > 0


def test_rate_limiter_is_per_identity_and_says_when_to_retry():
    clock = FakeClock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    limiter.check("ip:a")
    limiter.check("ip:a")
    with pytest.raises(RateLimitedError) as err:
        limiter.check("ip:a")
    assert err.value.status_code == 429
    assert err.value.retry_after == pytest.approx(1.0)
    limiter.check("ip:b")  # another client has its own bucket
    clock.now += 1.0
    limiter.check("ip:a")


def test_rate_limiter_off_when_rate_is_zero():
    limiter = RateLimiter(per_minute=0, burst=1, clock=FakeClock())
    for _ in range(100):
        limiter.check("ip:a")


def test_rate_limiter_forgets_the_oldest_clients_beyond_its_bound():
    limiter = RateLimiter(per_minute=60, burst=1, clock=FakeClock(), max_clients=3)
    for name in "abcd":
        limiter.check(name)
    assert len(limiter._buckets) == 3
    limiter.check("a")  # "a" was dropped: a fresh bucket, not a refusal


# --- in-flight bound and time limit -------------------------------------------------------------


# --- over HTTP, with a stand-in answerer (no model) -----------------------------------------------


STREAMS = [
    ("/ask/stream", {"question": QUESTION}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}], "stream": True}),
]


def _wait_in_flight(guard: QuestionGuard, n: int) -> None:
    deadline = time.monotonic() + 30
    while guard.in_flight != n:
        assert time.monotonic() < deadline, f"in flight: {guard.in_flight}, expected {n}"
        time.sleep(0.01)


def test_streams_answer_503_with_retry_after_before_they_start_when_busy():
    """Like /ask: a busy service refuses a stream with 503 + Retry-After + {"detail"}, not with
    an error event after a 200; once a slot is free the streams run and give it back."""
    answerer = HeldAnswerer()
    with held_server(answerer, max_in_flight=1, max_wait_ms=1) as server, httpx.Client(timeout=60) as client:
        guard = server.app.state.qa_guard
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(client.post, f"{server.url}/ask", json={"question": QUESTION})
            try:
                _wait_in_flight(guard, 1)
                for route, body in STREAMS:
                    r = client.post(f"{server.url}{route}", json=body)
                    assert r.status_code == 503, (route, r.status_code, r.text)
                    assert "QA_MAX_WAIT_MS" in r.text  # {"detail"}; OpenAI's {"error"} on /v1
                    assert int(r.headers["retry-after"]) >= 1
                assert guard.in_flight == 1  # the refusals took no slot
            finally:
                answerer.release.set()
            assert held.result().status_code == 200
        _wait_in_flight(guard, 0)
        for (route, body), last in zip(STREAMS, ["event: done", "data: [DONE]"], strict=True):
            r = client.post(f"{server.url}{route}", json=body)
            assert r.status_code == 200 and last in r.text, (route, r.text)
        _wait_in_flight(guard, 0)


def test_a_forged_x_forwarded_for_gets_no_fresh_rate_limit_bucket():
    """By default no proxy is believed: a client on loopback that names another address in
    X-Forwarded-For still spends its own tokens (uvicorn alone would believe it from 127.0.0.1)."""
    with unloaded_server(rate_limit_per_min=1, rate_limit_burst=1) as server, httpx.Client(timeout=30) as c:
        assert c.get(f"{server.url}/documents").status_code == 503  # the one token: past the limiter
        for forged in ("203.0.113.7", "198.51.100.2, 203.0.113.8"):
            r = c.get(f"{server.url}/documents", headers={"X-Forwarded-For": forged})
            assert r.status_code == 429, (forged, r.status_code, r.text)
            assert "rate limit" in r.json()["detail"]


def test_x_forwarded_for_is_believed_from_a_configured_proxy():
    with (
        unloaded_server(rate_limit_per_min=1, rate_limit_burst=1, forwarded_allow_ips="127.0.0.1") as server,
        httpx.Client(timeout=30) as c,
    ):
        client_a, client_b = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
        assert c.get(f"{server.url}/documents", headers=client_a).status_code == 503
        assert c.get(f"{server.url}/documents", headers=client_a).status_code == 429
        assert c.get(f"{server.url}/documents", headers=client_b).status_code == 503  # its own bucket


# --- over HTTP, with the real service ----------------------------------------------------------


@pytest.mark.slow
def test_overload_answers_503_with_retry_after_at_once(serve):
    with serve(max_in_flight=1, max_wait_ms=1, request_timeout_s=120) as server:

        def ask(_: int) -> tuple[int, float, dict, str | None]:
            began = time.perf_counter()
            r = httpx.post(f"{server.url}/ask", json={"question": QUESTION}, timeout=180)
            return r.status_code, time.perf_counter() - began, r.json(), r.headers.get("retry-after")

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            results = list(pool.map(ask, range(6)))
        statuses = [s for s, *_ in results]
        assert 200 in statuses and 503 in statuses, statuses
        assert set(statuses) <= {200, 503}
        ok_slowest = max(t for s, t, *_ in results if s == 200)
        for status, seconds, body, retry_after in results:
            if status == 503:
                assert "QA_MAX_WAIT_MS" in body["detail"]
                assert retry_after is not None and int(retry_after) >= 1
                assert seconds < ok_slowest  # refused without waiting for the answer in flight
        assert server.app.state.qa_guard.in_flight == 0
        again = httpx.post(f"{server.url}/ask", json={"question": QUESTION}, timeout=180)
        assert again.status_code == 200 and again.json()["found"] is True


@pytest.mark.slow
def test_time_limit_answers_504_with_detail(serve):
    with serve(request_timeout_s=0.001) as server:
        r = httpx.post(f"{server.url}/ask", json={"question": QUESTION}, timeout=60)
        assert r.status_code == 504
        assert "QA_REQUEST_TIMEOUT_S" in r.json()["detail"]
        deadline = time.monotonic() + 60
        while server.app.state.qa_guard.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.app.state.qa_guard.in_flight == 0  # the abandoned answer ended and gave its slot back


@pytest.mark.slow
def test_rate_limit_answers_429_with_retry_after_and_spares_probes(serve):
    with serve(rate_limit_per_min=6, rate_limit_burst=3) as server, httpx.Client(timeout=30) as c:
        assert [c.get(f"{server.url}/documents").status_code for _ in range(3)] == [200, 200, 200]
        r = c.get(f"{server.url}/documents")
        assert r.status_code == 429
        assert "rate limit" in r.json()["detail"]
        assert 1 <= int(r.headers["retry-after"]) <= 10  # 6/min: a token every 10 s
        assert c.post(f"{server.url}/ask", json={"question": QUESTION}).status_code == 429
        assert all(c.get(f"{server.url}/healthz").status_code == 200 for _ in range(10))
        assert all(c.get(f"{server.url}/readyz").status_code == 200 for _ in range(10))
