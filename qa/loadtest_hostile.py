"""``make loadtest`` with ``--hostile``: worst-case questions beside a client asking normal ones.

Four requests of 1,999 × "𠀀" (~8,000 tokens) once stalled every other user for a minute and
left the server 1.2 GB bigger. This run sends them on purpose: first 4, then 16 concurrent
hostile clients, each looping over the worst inputs there are — the rare-character question,
a stream with the longest history the 64 KB body limit lets through (20 entries of 700 rare
characters; 1,999 each is a 413), and the longest
question the token budget admits (~253 tokens, a new text each time) — while one normal client
asks ordinary questions one after another. It reports the normal client's latency (p99 must stay
under 2 s), every 5xx, and the server's RSS before and after (within 100 MB; only when the
load test started the server, so it knows its pid).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
from pydantic import BaseModel, Field

from qa.loadtest import percentiles, queue_wait_ms, run_clients

RARE = "𠀀"  # outside the vocabulary: four byte-tokens each
NORMAL_P99_MS = 2000.0
RSS_GROWTH_MB = 100
PHASES = (4, 16)


class HostileReport(BaseModel):
    url: str
    seconds: float
    phases: list[int] = Field(description="Concurrent hostile clients in each half of the run.")
    normal_statuses: dict[str, int]
    normal_latency_ms: dict[str, float]
    normal_queue_wait_ms: dict[str, float] = Field(description="Server-Timing queue wait of its answers.")
    baseline_latency_ms: dict[str, float] = Field(
        description="The normal client alone just before (same machine, same moment): what the CPU allows."
    )
    hostile_statuses: dict[str, int]
    five_xx: int = Field(description="5xx responses, normal and hostile (a 503 'busy' included).")
    lost: int
    rss_before_mb: int | None = None
    rss_after_mb: int | None = None
    server_exit_code: int | None = None
    passed: bool
    verdict: str


def hostile_requests(n: int) -> list[tuple[str, dict[str, Any]]]:
    """The worst inputs, in turn: refused by the token budget, or the longest admitted."""
    longest_admitted = RARE * 63 + f" {n}"
    return [
        ("/ask", {"question": RARE * 1999}),
        (
            "/ask/stream",
            {"question": RARE * 1999, "history": [RARE * 700] * 20},
        ),  # 56 KB: under the body limit
        ("/ask", {"question": longest_admitted}),
        ("/ask/stream", {"question": longest_admitted, "history": [RARE * 60] * 20}),
    ]


def rss_mb(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


async def _run(
    url: str, questions: list[str], seconds: float, api_key: str | None
) -> tuple[list[tuple[int | None, float, float | None]], Counter[str]]:
    headers = {"X-API-Key": api_key} if api_key else {}
    normal: list[tuple[int | None, float, float | None]] = []
    hostile: Counter[str] = Counter()
    began = time.monotonic()
    end = began + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:

        async def normal_client() -> None:
            n = 0
            while time.monotonic() < end:
                sent = time.monotonic()
                try:
                    r = await http.post("/ask", json={"question": f"{questions[n % len(questions)]} ({n})"})
                    wait = queue_wait_ms(r.headers.get("server-timing"))
                    normal.append((r.status_code, time.monotonic() - sent, wait))
                except httpx.HTTPError:
                    normal.append((None, time.monotonic() - sent, None))
                n += 1

        async def hostile_client(k: int, until: float) -> None:
            n = 0
            while time.monotonic() < until:
                path, body = hostile_requests(k * 100_000 + n)[n % 4]
                try:
                    r = await http.post(path, json=body)
                    hostile[str(r.status_code)] += 1
                    if r.status_code in (429, 503):
                        await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 2.0))
                except httpx.HTTPError:
                    hostile["lost"] += 1
                n += 1

        async def phases() -> None:
            step = seconds / len(PHASES)
            for i, clients in enumerate(PHASES):
                until = began + step * (i + 1)
                await asyncio.gather(*(hostile_client(k, until) for k in range(clients)))

        await asyncio.gather(normal_client(), phases())
    return normal, hostile


def run_hostile(
    url: str, questions: list[str], seconds: float, *, api_key: str | None, pid: int | None
) -> HostileReport:
    """Warm up, note RSS, time the normal client alone (the baseline), run the phases, let the
    server settle, note RSS again."""
    headers = {"X-API-Key": api_key} if api_key else {}
    for question in questions[:3]:
        httpx.post(f"{url}/ask", json={"question": question}, headers=headers, timeout=120)
    before = rss_mb(pid)
    alone = run_clients(url, questions, 1, min(10.0, seconds / 3), api_key=api_key, timeout=120, unique=True)
    baseline, _ = asyncio.run(alone)
    print(f"hostile: {' then '.join(map(str, PHASES))} worst-case clients beside a normal one, {seconds:g}s")
    normal, hostile = asyncio.run(_run(url, questions, seconds, api_key))
    time.sleep(2)
    after = rss_mb(pid)
    normal_statuses = Counter("lost" if s is None else str(s) for s, _, _ in normal)
    latency = percentiles([t for s, t, _ in normal if s == 200])
    five_xx = sum(n for code, n in (normal_statuses + hostile).items() if code.startswith("5"))
    lost = normal_statuses.get("lost", 0) + hostile.get("lost", 0)
    checks = {
        f"normal p99 {latency.get('p99')} ms < {NORMAL_P99_MS:g}": latency.get("p99", 1e9) < NORMAL_P99_MS,
        f"5xx {five_xx} == 0": five_xx == 0,
        f"lost {lost} == 0": lost == 0,
        f"normal answers {normal_statuses.get('200', 0)} > 0": normal_statuses.get("200", 0) > 0,
    }
    if before is not None and after is not None:
        checks[f"RSS {before} -> {after} MB (<= +{RSS_GROWTH_MB})"] = after - before <= RSS_GROWTH_MB
    return HostileReport(
        url=url,
        seconds=seconds,
        phases=list(PHASES),
        normal_statuses=dict(sorted(normal_statuses.items())),
        normal_latency_ms=latency,
        normal_queue_wait_ms=percentiles([w / 1000 for s, _, w in normal if s == 200 and w is not None]),
        baseline_latency_ms=percentiles([b.seconds for b in baseline if b.status == 200]),
        hostile_statuses=dict(sorted(hostile.items())),
        five_xx=five_xx,
        lost=lost,
        rss_before_mb=before,
        rss_after_mb=after,
        passed=all(checks.values()),
        verdict="; ".join(f"{'ok' if ok else 'FAIL'}: {what}" for what, ok in checks.items()),
    )
