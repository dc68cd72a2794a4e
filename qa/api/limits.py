"""Load limits: a token bucket per client, a bound on questions in flight, a time limit per answer.

Why these three: a burst from one client must not starve the others (rate limit, 429), the
service as a whole must refuse at once rather than let latency grow without bound when every
worker is busy (in-flight bound, 503 + ``Retry-After``), and one pathological question must not
hold a client forever (time limit, 504). The answerer is synchronous CPU work in a thread, which
cannot be cancelled: a timed-out answer keeps its in-flight slot until its thread really ends,
so the bound counts work actually running, not requests still connected.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api import metrics
from qa.api.security import PROBE_PATHS
from qa.errors import OverloadedError, RateLimitedError, RequestTimeoutError

T = TypeVar("T")
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


class Ticket:
    """One in-flight slot, released exactly once: by the worker thread when it ran, or by the
    waiting request when the thread never started (cancelled before it was scheduled, or a
    reserved slot whose answer never ran)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self._lock = threading.Lock()
        self._state = "waiting"  # -> "running" -> "done", or -> "dropped"

    def start(self) -> bool:
        with self._lock:
            if self._state != "waiting":
                return False
            self._state = "running"
            return True

    def finish(self) -> None:
        with self._lock:
            self._state = "done"
        self._release()

    def drop_if_unstarted(self) -> None:
        with self._lock:
            if self._state != "waiting":
                return
            self._state = "dropped"
        self._release()


class QuestionGuard:
    """At most ``max_in_flight`` questions at once (503 beyond, at once), each within ``timeout_s``.

    Routes that answer questions use ``await guard.run(fn, *args)`` (a worker thread with the
    time limit) or, for work that is itself async, ``async with guard.slot():``. A stream takes
    its slot with ``guard.reserve()`` before its response starts, so a busy service answers 503
    rather than a 200 with an error event, then answers with ``guard.run(fn, *args, ticket=...)``.
    """

    def __init__(self, max_in_flight: int, timeout_s: float, retry_after: float = 1.0) -> None:
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._count_lock = threading.Lock()
        self._in_flight = 0
        self._threads: anyio.CapacityLimiter | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def _acquire(self) -> None:
        if not self._slots.acquire(blocking=False):
            metrics.count_shed("busy")
            raise OverloadedError(
                f"busy: {self.max_in_flight} questions are being answered (QA_MAX_IN_FLIGHT); "
                f"retry in {self.retry_after:g} s",
                retry_after=self.retry_after,
            )
        with self._count_lock:
            self._in_flight += 1
            metrics.set_in_flight(self._in_flight)

    def _release(self) -> None:
        with self._count_lock:
            self._in_flight -= 1
            metrics.set_in_flight(self._in_flight)
        self._slots.release()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the body of the ``async with`` (no time limit: streams pace themselves)."""
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def reserve(self) -> Ticket:
        """Take one slot now (OverloadedError at once when none is free) for a ``run`` later.

        The caller must end the ticket: ``run(..., ticket=ticket)`` does, and if the answer may
        never run (the client went away first), ``ticket.drop_if_unstarted()`` gives the slot back.
        """
        self._acquire()
        return Ticket(self._release)

    async def run(self, fn: Callable[..., T], *args: Any, ticket: Ticket | None = None) -> T:
        """Run ``fn(*args)`` in a worker thread inside one slot, within the time limit; the slot
        is taken here, or is the one ``ticket`` reserved."""
        ticket = ticket or self.reserve()

        def work() -> T:
            if not ticket.start():
                raise RuntimeError("abandoned before it started")
            try:
                return fn(*args)
            finally:
                ticket.finish()

        if self._threads is None:
            # Own thread pool sized to the slots: a timed-out answer still running in its thread
            # holds its slot, so the pool never runs short and never queues.
            self._threads = anyio.CapacityLimiter(self.max_in_flight)
        try:
            with anyio.fail_after(self.timeout_s):
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=self._threads)
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"the answer took longer than {self.timeout_s:g} s (QA_REQUEST_TIMEOUT_S)"
            ) from exc
        finally:
            ticket.drop_if_unstarted()


SWITCH_INTERVAL_S = 0.001


def tune_interpreter() -> None:
    """For the server process: a 1 ms GIL switch interval instead of 5 ms.

    The event loop shares the GIL with the answer threads; each time it returns from a socket
    call it waits up to one interval for the GIL. At 5 ms a 503 for a busy service took a median
    of ~200 ms under 64 clients; at 1 ms ~30 ms (make loadtest on 2 cores), so "busy" is said
    at once instead of after the queue of events ahead of it.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def get_guard(request: Request) -> QuestionGuard:
    """FastAPI dependency: the app's QuestionGuard (installed by qa.api.hardening)."""
    guard: QuestionGuard = request.app.state.qa_guard
    return guard


LIMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"description": "Rate limit exceeded (see Retry-After)."},
    503: {"description": "Busy (QA_MAX_IN_FLIGHT) or still loading (see Retry-After)."},
    504: {"description": "The answer took longer than QA_REQUEST_TIMEOUT_S."},
}
