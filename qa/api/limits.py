"""Load limits: a token bucket per client; the admission of questions lives in qa.api.admission.

Why a bucket: a burst from one client must not starve the others (rate limit, 429). The service
as a whole bounds the wait instead (qa.api.admission: a queue for the worker slots, 503 +
``Retry-After`` past ``QA_MAX_WAIT_MS``), and one question's work is bounded by its tokens
(qa.api.budget) and its time (504).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api.admission import QuestionGuard, Ticket
from qa.api.security import PROBE_PATHS
from qa.errors import RateLimitedError

__all__ = ["QuestionGuard", "RateLimitMiddleware", "RateLimiter", "Ticket", "TokenBucket", "get_guard"]
UNLIMITED_PATHS = PROBE_PATHS  # probes are never throttled


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second; a request takes one.

    Pure: the caller passes the clock, so tests drive it with a fake one.
    """

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens: 0.0 when granted, else the seconds until they would be there."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (cost - self.tokens) / self.rate


class RateLimiter:
    """One bucket per identity (API key id or client IP), the least recently seen dropped first
    beyond ``max_clients`` so that a flood of addresses cannot exhaust memory."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.per_minute = per_minute
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, identity: str) -> None:
        """Raise RateLimitedError when ``identity`` has no token left."""
        if not self.enabled:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(identity)
            if bucket is None:
                bucket = self._buckets[identity] = TokenBucket(self.rate, self.burst, now)
                while len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(identity)
            wait = bucket.take(now)
        self._refuse_if(wait)

    def _refuse_if(self, wait: float) -> None:
        """Raise 429 when the bucket says to wait ``wait`` seconds (> 0)."""
        if wait > 0:
            raise RateLimitedError(
                f"rate limit exceeded: {self.per_minute:g} requests per minute, bursts of {self.burst}; "
                f"retry in {wait:.1f} s",
                retry_after=wait,
            )


def client_identity(scope: Scope) -> str:
    """The API key's id when the request carried one (set by qa.api.security), else the client IP."""
    key_id = scope.get("state", {}).get("key_id")
    if key_id:
        return f"key:{key_id}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def charge_failed_key(limiter: RateLimiter) -> Callable[[Scope], None]:
    """For qa.api.security: a request with a missing or wrong key spends a token of its client
    IP's bucket (never a key's: it proved none), so guessing keys meets 429 like any flood."""

    def charge(scope: Scope) -> None:
        client = scope.get("client")
        limiter.check(f"ip:{client[0] if client else 'unknown'}")

    return charge


class RateLimitMiddleware:
    """429 + ``Retry-After`` for a client over its bucket; /healthz and /readyz are never limited."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            self.limiter.check(client_identity(scope))
        except RateLimitedError as exc:
            from qa.api.middleware import error_response

            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)


SWITCH_INTERVAL_S = 0.001


def tune_interpreter() -> None:
    """For the server process: a 1 ms GIL switch interval instead of 5 ms, and glibc malloc tuned.

    The event loop shares the GIL with the answer threads; each time it returns from a socket
    call it waits up to one interval for the GIL. At 5 ms a 503 for a busy service took a median
    of ~200 ms under 64 clients; at 1 ms ~30 ms (make loadtest on 2 cores), so "busy" is said
    at once instead of after the queue of events ahead of it.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    tune_malloc()


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8
MALLOC_ARENAS = 2
MMAP_THRESHOLD = 128 * 1024


def tune_malloc() -> None:
    """A fixed mmap threshold and at most two malloc arenas, so freed buffers go back to the OS.

    glibc serves blocks over the mmap threshold (128 KB) with their own mappings, returned on
    free, but each such free raises the threshold up to 32 MB: after the first long question,
    ONNX Runtime's buffers (~50 MB for a 253-token input, ~220 MB for four) come from the heap
    instead, where they stay. Measured in one process (4 threads encoding 253-token questions):
    RSS +166 MB with glibc's defaults, +52 MB after malloc_trim, +3 MB with the threshold
    fixed at 128 KB (mallopt turns the dynamic threshold off). Threads get their own arenas
    too (up to 8 per core), which keep their freed memory: two are enough for the service.
    """
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def get_guard(request: Request) -> QuestionGuard:
    """FastAPI dependency: the app's QuestionGuard (installed by qa.api.hardening)."""
    guard: QuestionGuard = request.app.state.qa_guard
    return guard


LIMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"description": "Rate limit exceeded (see Retry-After)."},
    503: {"description": "Busy (expected wait over QA_MAX_WAIT_MS) or still loading (see Retry-After)."},
    504: {"description": "The answer took longer than QA_REQUEST_TIMEOUT_S."},
}
