"""Load over loopback HTTP: closed-loop clients, each question asked once, bounded in time.

Each client sends its next question when the previous answer arrived, so N clients mean
N questions in flight. Questions come from one shared list and every one is used once,
so no answer comes from the cache unless the run is meant to measure the cache. A run
stops when the list is used up or at its deadline, whichever comes first.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from qa.answer.cache import HIT
from qa.bench.models import Latency, LoadRun
from qa.loadtest import check_loopback


async def _run(
    url: str, questions: list[str], clients: int, deadline_s: float
) -> tuple[list[float], Counter[str], list[str], float, int]:
    check_loopback(url)
    todo = list(reversed(questions))
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors: list[str] = []
    hits = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    began = time.perf_counter()
    deadline = began + deadline_s
    async with httpx.AsyncClient(base_url=url, timeout=120.0, limits=limits) as http:

        async def client() -> None:
            nonlocal hits
            while todo and time.perf_counter() < deadline:
                question = todo.pop()
                sent = time.perf_counter()
                try:
                    response = await http.post("/ask", json={"question": question})
                except httpx.HTTPError as exc:
                    statuses["lost"] += 1
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                elapsed = (time.perf_counter() - sent) * 1000
                statuses[str(response.status_code)] += 1
                if response.status_code == 200:
                    latencies.append(elapsed)
                    hits += HIT in response.json().get("timings_ms", {})
                elif len(errors) < 10:
                    errors.append(f"{response.status_code}: {response.text[:200]}")

        await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - began
    return latencies, statuses, errors, seconds, hits


def run_load(
    url: str, label: str, questions: list[str], clients: int, deadline_s: float, expect_hit: bool = False
) -> LoadRun:
    """Ask ``questions`` with ``clients`` concurrent clients; every non-200 counts as an error."""
    # A loop of its own in a thread of its own: callers may already run one (a test session).
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome = pool.submit(asyncio.run, _run(url, questions, clients, deadline_s)).result()
    latencies, statuses, errors, seconds, hits = outcome
    ok = statuses.get("200", 0)
    if expect_hit and hits != ok:
        errors.append(f"{ok - hits} of {ok} repeated questions were not served from the cache")
    if not expect_hit and hits:
        errors.append(f"{hits} answers came from the cache although every question was new")
    return LoadRun(
        label=label,
        clients=clients,
        requests=sum(statuses.values()),
        ok=ok,
        errors=sum(statuses.values()) - ok,
        seconds=round(seconds, 2),
        throughput=round(ok / seconds, 2) if seconds else 0.0,
        latency=Latency.of(latencies),
        statuses=dict(sorted(statuses.items())),
        error_samples=errors[:10],
    )
