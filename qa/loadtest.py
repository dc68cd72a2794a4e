"""Load test: N concurrent clients ask questions for T seconds over loopback; every response counted.

``make loadtest`` (or ``python -m qa.loadtest``) starts ``qa serve`` on a free loopback port
(rate limit off unless ``--keep-rate-limit``: all clients share one address), waits for
``/readyz``, runs the clients, then stops the server with SIGTERM. ``--url`` targets a server
already running, on a loopback address only. Each client honours ``Retry-After`` on 503/429.

One client first asks alone (``--capacity-seconds``): this run's sequential capacity and service
time, against which the N clients' goodput (answers/s) and the queue wait of answered questions
(``Server-Timing: queue``; bound: QA_MAX_WAIT_MS + one service time) are reported. Questions are
distinct (no cache help) unless ``--repeat``;
``--hostile`` runs qa.loadtest_hostile instead. Bounded in clients, time and requests. Passes
(exit 0) when nothing was lost, no 5xx but the deliberate 503 (busy), no 4xx but 429, and some
were answered. With QA_API_KEYS set, the first key is used unless --api-key is given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from pydantic import BaseModel, Field

from qa.config import get_settings
from qa.loadtest_server import (
    check_loopback,
    free_port,
    load_questions,
    queue_wait_ms,
    start_server,
    wait_ready,
)

__all__ = ["Sample", "check_loopback", "free_port", "main", "percentiles", "summarize", "wait_ready"]

MAX_CLIENTS, MAX_SECONDS, MAX_REQUESTS = 256, 600, 200_000
# uvicorn re-raises SIGTERM after its graceful shutdown, so a clean stop ends "killed by SIGTERM".
CLEAN_EXITS = (None, 0, -signal.SIGTERM)


class Sample(BaseModel):
    status: int | None = Field(description="HTTP status, None when the request was lost.")
    seconds: float
    error: str | None = None
    wait_ms: float | None = Field(None, description="Queue wait the server reported (Server-Timing).")
    retry_after: bool = Field(False, description="A 503/429 carried Retry-After.")


class LoadReport(BaseModel):
    url: str
    clients: int
    seconds: float
    requests: int
    statuses: dict[str, int] = Field(description="Response count by status; 'lost' for no response.")
    lost: int
    unexpected_5xx: int
    refused_4xx: int = Field(description="4xx other than 429: a wrong key or a broken request.")
    answered_per_second: float = Field(description="Goodput: 200s per second.")
    capacity_per_second: float | None = Field(
        None, description="One client alone, same run: 200s per second."
    )
    goodput_ratio: float | None = Field(None, description="answered_per_second / capacity_per_second.")
    admitted_wait_ms: dict[str, float] = Field(default_factory=dict, description="Queue wait of 200s.")
    service_ms: float | None = Field(None, description="One client alone, same run: median answer time.")
    wait_bound_ms: float | None = Field(
        None, description="QA_MAX_WAIT_MS + service_ms: admitted p99's bound."
    )
    busy_without_retry_after: int = 0
    latency_ms: dict[str, dict[str, float]] = Field(description="Percentiles by status class.")
    lost_errors: list[str]
    server_exit_code: int | None = None
    passed: bool


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1)}


def summarize(
    url: str,
    clients: int,
    seconds: float,
    samples: list[Sample],
    exit_code: int | None,
    capacity: float | None = None,
) -> LoadReport:
    statuses = Counter("lost" if s.status is None else str(s.status) for s in samples)
    unexpected = sum(n for code, n in statuses.items() if code.startswith("5") and code != "503")
    refused = sum(n for code, n in statuses.items() if code.startswith("4") and code != "429")
    lost = statuses.get("lost", 0)
    by_class: dict[str, list[float]] = {}
    for s in samples:
        if s.status is not None:
            by_class.setdefault(str(s.status), []).append(s.seconds)
    ok = (
        lost == 0
        and unexpected == 0
        and refused == 0
        and statuses.get("200", 0) > 0
        and exit_code in CLEAN_EXITS
    )
    goodput = round(statuses.get("200", 0) / seconds, 2) if seconds else 0.0
    waits = [s.wait_ms / 1000 for s in samples if s.status == 200 and s.wait_ms is not None]
    return LoadReport(
        url=url,
        clients=clients,
        seconds=round(seconds, 1),
        requests=len(samples),
        statuses=dict(sorted(statuses.items())),
        lost=lost,
        unexpected_5xx=unexpected,
        answered_per_second=goodput,
        capacity_per_second=capacity,
        goodput_ratio=round(goodput / capacity, 2) if capacity else None,
        admitted_wait_ms=percentiles(waits),
        busy_without_retry_after=sum(1 for s in samples if s.status in (429, 503) and not s.retry_after),
        latency_ms={code: percentiles(v) for code, v in sorted(by_class.items())},
        lost_errors=sorted({s.error or "" for s in samples if s.status is None})[:20],
        server_exit_code=exit_code,
        refused_4xx=refused,
        passed=ok,
    )


async def run_clients(
    url: str,
    questions: list[str],
    clients: int,
    seconds: float,
    *,
    api_key: str | None,
    timeout: float,
    unique: bool = False,
) -> tuple[list[Sample], float]:
    headers = {"X-API-Key": api_key} if api_key else {}
    samples: list[Sample] = []
    began = time.monotonic()
    deadline = began + seconds
    # Idle connections expire on the client before the server's keep-alive timeout (uvicorn: 5 s),
    # so a request is never sent on a connection the server is closing at that moment.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout, limits=limits) as http:

        async def client(n: int) -> None:
            rng = random.Random(n)
            while time.monotonic() < deadline and len(samples) < MAX_REQUESTS:
                question = rng.choice(questions)
                if unique:  # a new text each time: no answer comes from the service's cache
                    question = f"{question} ({n}-{len(samples)})"
                sent = time.monotonic()
                try:
                    r = await http.post("/ask", json={"question": question})
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__} at {sent - began:.1f}s: {exc!r}"[:200]
                    lost = Sample(status=None, seconds=time.monotonic() - sent, error=error)
                    samples.append(lost)
                    await asyncio.sleep(0.1)
                    continue
                retry = "retry-after" in r.headers
                sample = Sample(status=r.status_code, seconds=time.monotonic() - sent, retry_after=retry)
                sample.wait_ms = queue_wait_ms(r.headers.get("server-timing"))
                samples.append(sample)
                if r.status_code in (429, 503):
                    wait = min(float(r.headers.get("retry-after", "1") or 1), 2.0)
                    await asyncio.sleep(wait * rng.uniform(0.5, 1.0))

        await asyncio.gather(*(client(n) for n in range(clients)))
    return samples, time.monotonic() - began


def measure_capacity(
    url: str, questions: list[str], args: argparse.Namespace, api_key: str | None
) -> tuple[float | None, float | None]:
    """One client asking alone (distinct questions), this run's baseline: answers per second,
    and the median seconds of one answer (the service time the wait bound adds)."""
    seconds = min(10.0, args.seconds / 3) if args.capacity_seconds is None else args.capacity_seconds
    if seconds <= 0:
        return None, None
    print(f"1 client for {seconds:g}s: sequential capacity", flush=True)
    alone = run_clients(url, questions, 1, seconds, api_key=api_key, timeout=args.timeout, unique=True)
    samples, elapsed = asyncio.run(alone)
    answered = sorted(x.seconds for x in samples if x.status == 200)
    service = answered[len(answered) // 2] if answered else None
    return round(len(answered) / elapsed, 2), service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="A running server on a loopback address (default: start one).")
    parser.add_argument("--api-key", default=os.environ.get("QA_LOADTEST_API_KEY"))
    parser.add_argument("--questions", type=Path, help="JSONL with a `question` field.")
    parser.add_argument("--timeout", type=float, default=120.0, help="Client timeout per request (s).")
    parser.add_argument("--start-timeout", type=float, default=1200.0, help="Wait for /readyz (s).")
    parser.add_argument("--keep-rate-limit", action="store_true", help="Leave QA_RATE_LIMIT_PER_MIN on.")
    parser.add_argument("--repeat", action="store_true", help="Repeat questions (answer-cache hits).")
    parser.add_argument(
        "--capacity-seconds",
        type=float,
        help="One client alone first, to measure sequential capacity (default: min(10, seconds/3); 0: skip).",
    )
    parser.add_argument("--hostile", action="store_true", help="Worst-case questions (qa.loadtest_hostile).")
    parser.add_argument("--out", type=Path, default=Path("reports/loadtest.json"))
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --seconds 1..{MAX_SECONDS}")

    settings = get_settings()
    questions = load_questions(args.questions, settings)
    api_key = args.api_key or next(iter(settings.api_key_list()), None)
    proc = None
    server_log = Path(tempfile.mkstemp(prefix="qa-loadtest-server-", suffix=".log")[1])
    if args.url:
        url = args.url.rstrip("/")
    else:
        proc, url = start_server(args.keep_rate_limit, server_log)
        print(f"started qa serve at {url} (log: {server_log}); waiting for /readyz", flush=True)
    check_loopback(url)
    exit_code = None
    try:
        wait_ready(url, proc, args.start_timeout)
        if args.hostile:
            from qa.loadtest_hostile import run_hostile

            hostile = run_hostile(
                url, questions, args.seconds, api_key=api_key, pid=proc.pid if proc else None
            )
        else:
            capacity, service_s = measure_capacity(url, questions, args, api_key)
            print(f"{args.clients} clients for {args.seconds:g}s against {url}/ask", flush=True)
            load = run_clients(
                url,
                questions,
                args.clients,
                args.seconds,
                api_key=api_key,
                timeout=args.timeout,
                unique=not args.repeat,
            )
            samples, elapsed = asyncio.run(load)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                exit_code = proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                exit_code = proc.wait(10)
    if args.hostile:
        hostile.server_exit_code = exit_code
        hostile.passed = hostile.passed and exit_code in CLEAN_EXITS
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(hostile.model_dump_json(indent=2), encoding="utf-8")
        print(hostile.model_dump_json(indent=2))
        print(f"{'PASSED' if hostile.passed else 'FAILED'}: {hostile.verdict} -> {args.out}")
        return 0 if hostile.passed else 1
    report = summarize(url, args.clients, elapsed, samples, exit_code, capacity)
    if service_s is not None:
        report.service_ms, report.wait_bound_ms = (
            round(service_s * 1e3, 1),
            round(settings.max_wait_ms + service_s * 1e3, 1),
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    print(report.model_dump_json(indent=2))
    verdict = "PASSED" if report.passed else "FAILED"
    print(
        f"{verdict}: {report.requests} requests, statuses {report.statuses}, lost {report.lost}, "
        f"unexpected 5xx {report.unexpected_5xx}, server exit {exit_code} -> {args.out}"
    )
    if report.capacity_per_second:
        print(
            f"goodput {report.answered_per_second}/s = {report.goodput_ratio} x sequential capacity "
            f"{report.capacity_per_second}/s; queue wait of answered {report.admitted_wait_ms}; "
            f"bound (QA_MAX_WAIT_MS + one service time) {report.wait_bound_ms} ms"
        )
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
