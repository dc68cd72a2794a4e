"""Admission by expected wait: questions queue for a worker slot, and are turned away only when
the wait ahead of them would be too long.

Refusing as soon as every slot is busy (the old bound) turned away 72 % of 16 clients although
a wait of two or three seconds would have served them; letting everyone in lets the wait grow
without bound. So, as a CoDel queue or Envoy's adaptive concurrency would: ``max_in_flight``
slots run questions (what the machine can do at once; micro-batching works across them), the
rest wait in FIFO order, and a new question is admitted while its expected wait (measured,
qa.api.wait_estimate) is under ``max_wait_s``. Past it, the refusal (503) is immediate and its
``Retry-After`` says when the queue will have drained. An estimate can still be wrong (slow
answers ahead), so, as CoDel drops by sojourn time, a question still queued ``max_wait_s``
after its admission leaves with the same 503: the bound holds whatever the estimate said.

The answerer is synchronous CPU work in a thread, which cannot be cancelled: a question past
its time limit is abandoned (504) and gives its slot back at once, so one pathological
question cannot keep a slot; the token budget (qa.api.budget) bounds how long such a thread
can still run. A queued question whose client goes away leaves the queue.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from qa.api import metrics
from qa.api.wait_estimate import WaitEstimate
from qa.errors import ClientGoneError, OverloadedError, RequestTimeoutError, ShuttingDownError

T = TypeVar("T")
DISCONNECT_POLL_S = 0.25
MAX_QUEUE = 4096  # a hard bound on waiting requests, whatever the estimate says


class Ticket:
    """One admitted question: waiting for a slot, then running, then done (or dropped)."""

    def __init__(self, guard: QuestionGuard, heavy: bool = False) -> None:
        self._guard = guard
        self.heavy = heavy
        self.state = "queued"  # -> "granted" -> "running" -> "done"; or -> "dropped"
        self.future: asyncio.Future[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.admitted = guard.clock()
        self.started = 0.0
        self.base_wait = 0.0  # the uncorrected wait estimated when it was admitted

    @property
    def waited_s(self) -> float:
        """Time from admission to a slot (so far, while still queued)."""
        return (self.started or self._guard.clock()) - self.admitted

    def drop_if_unstarted(self) -> None:
        """Leave the queue (or give back a slot granted but never used); no-op once running."""
        self._guard._drop(self)


class QuestionGuard:
    """``max_in_flight`` slots, a FIFO queue admitted by expected wait, and a time limit.

    ``await guard.run(fn, *args)`` admits (or raises OverloadedError at once), waits for a slot,
    runs ``fn`` in a worker thread within ``timeout_s`` and gives the slot back. A stream
    admits before its response starts with ``guard.reserve()`` (503 instead of an error event
    after a 200) and later runs with ``guard.run(fn, *args, ticket=ticket)``.
    """

    def __init__(
        self,
        max_in_flight: int,
        timeout_s: float,
        max_wait_s: float = 3.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.estimate = WaitEstimate(max_in_flight)
        self._lock = threading.Lock()
        self._queue: deque[Ticket] = deque()
        self._running: set[Ticket] = set()
        self._threads: anyio.CapacityLimiter | None = None
        self.draining = False  # SIGTERM: no new questions; those in the house finish within the grace
        self.expired = False  # the grace is over: what still waits or runs ends with a 503
        self._scopes: set[anyio.CancelScope] = set()

    @property
    def in_flight(self) -> int:
        """Questions holding a slot (running, or granted one and about to run)."""
        return len(self._running)

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def service_s(self) -> float | None:
        """The measured time of one answer with every slot busy (None before the first)."""
        return self.estimate.service_s

    @service_s.setter
    def service_s(self, seconds: float | None) -> None:
        self.estimate.service_s = seconds

    def expected_wait(self, ahead: int | None = None) -> float:
        """Seconds a question joining now would wait for a slot: 0 while one is free, else
        the estimate of qa.api.wait_estimate."""
        with self._lock:
            return self._expected_wait_locked(ahead)[1]

    def _expected_wait_locked(self, ahead: int | None = None) -> tuple[float, float]:
        """(uncorrected, corrected) expected wait."""
        ahead = len(self._queue) if ahead is None else ahead
        if len(self._running) < self.max_in_flight and ahead == 0:
            return 0.0, 0.0
        now = self.clock()
        oldest = max((now - t.started for t in self._running if t.state == "running"), default=0.0)
        base = self.estimate.base(ahead, oldest)
        return base, self.estimate.corrected(base)

    def begin_drain(self, grace_s: float) -> None:
        """From the event loop, when shutdown starts: refuse new questions, and end the ones
        still waiting or running ``grace_s`` from now with a 503 (ShuttingDownError), before
        the server's own grace cancels them into a bare 500 or a cut stream."""
        self.draining = True
        asyncio.get_running_loop().call_later(max(0.0, grace_s), self._expire)

    def _expire(self) -> None:
        self.expired = True
        for scope in list(self._scopes):
            scope.cancel()

    def reserve(self, heavy: bool = False) -> Ticket:
        """Admit one question into the queue now, or raise OverloadedError (503) at once.

        ``heavy`` (a long question, qa.api.budget) may hold at most half the slots, so short
        questions always find one: heavy ones wait for each other, not the others for them."""
        if self.draining:
            metrics.count_shed("shutdown")
            raise ShuttingDownError("the server is shutting down; retry on another instance", retry_after=5)
        ticket = Ticket(self, heavy)
        with self._lock:
            base, wait = self._expected_wait_locked()
            if (wait > 0 and wait >= self.max_wait_s) or len(self._queue) >= MAX_QUEUE:
                raise self._busy_locked("wait", f"the expected wait is {wait:.1f} s", wait)
            ticket.base_wait = base
            self._queue.append(ticket)
            self._grant_next_locked()
            self._publish_locked()
        return ticket

    def _busy_locked(self, reason: str, why: str, wait: float) -> OverloadedError:
        """The 503 of a question the queue won't serve in time, with its ``Retry-After``."""
        service = max(self.service_s or 0.0, 0.1)
        retry = max(1.0, wait - self.max_wait_s + service)
        metrics.count_shed(reason)
        return OverloadedError(
            f"busy: {why}, over {self.max_wait_s:g} s (QA_MAX_WAIT_MS), "
            f"with {len(self._running)} questions answered and {len(self._queue)} waiting; "
            f"retry in {math.ceil(retry)} s",
            retry_after=retry,
        )

    async def _wait_for_slot(
        self, ticket: Ticket, disconnected: Callable[[], Awaitable[bool]] | None
    ) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if ticket.state == "granted":
                return
            if ticket.state != "queued":
                raise RuntimeError("abandoned before it started")
            ticket.loop = loop
            ticket.future = loop.create_future()
        while True:
            deadline = ticket.admitted + self.max_wait_s
            poll = min(DISCONNECT_POLL_S, max(0.0, deadline - self.clock()))
            try:
                await asyncio.wait_for(asyncio.shield(ticket.future), poll)
                return
            except TimeoutError:
                if disconnected is not None and await disconnected():
                    raise ClientGoneError("the client went away while its question was queued") from None
                with self._lock:
                    if ticket.state == "queued" and self.clock() >= deadline:
                        self._finish_locked(ticket)
                        wait = self._expected_wait_locked()[1]
                        raise self._busy_locked("deadline", f"waited {ticket.waited_s:.1f} s", wait) from None

    async def run(
        self,
        fn: Callable[..., T],
        *args: Any,
        ticket: Ticket | None = None,
        disconnected: Callable[[], Awaitable[bool]] | None = None,
    ) -> T:
        """Run ``fn(*args)`` in a worker thread once a slot is free (admitting it first unless
        ``ticket`` was reserved), all within the time limit; ``disconnected`` is polled while
        queued so that a client that went away leaves the queue."""
        ticket = ticket or self.reserve()
        scope = anyio.CancelScope()
        self._scopes.add(scope)
        try:
            with scope:
                if self.expired:
                    scope.cancel()
                with anyio.fail_after(self.timeout_s):
                    await self._wait_for_slot(ticket, disconnected)
                    with self._lock:
                        if ticket.state != "granted":
                            raise RuntimeError("abandoned before it started")
                        ticket.state = "running"
                        ticket.started = self.clock()
                        sharing = len(self._running)
                        self.estimate.record_wait(ticket.base_wait, ticket.waited_s)
                    metrics.observe_queue_wait(ticket.waited_s)
                    if self._threads is None:
                        # Room for abandoned threads still finishing beside the slots' own.
                        self._threads = anyio.CapacityLimiter(2 * self.max_in_flight)
                    result = await anyio.to_thread.run_sync(
                        fn, *args, abandon_on_cancel=True, limiter=self._threads
                    )
                    # The slot's whole hold, thread hand-offs and event-loop turns included.
                    self._measured(self.clock() - ticket.started, sharing)
                    return result
            raise ShuttingDownError(
                "the server is shutting down and its grace (QA_SHUTDOWN_GRACE_S) ran out before the "
                "answer was ready; ask again",
                retry_after=5,
            )
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"the answer took longer than {self.timeout_s:g} s (QA_REQUEST_TIMEOUT_S)"
            ) from exc
        finally:
            self._scopes.discard(scope)
            self._finish(ticket)

    def _measured(self, seconds: float, sharing: int) -> None:
        """Record one answer's time; it shared the machine with the questions running when it
        started and when it ended, on average (see WaitEstimate.record_answer)."""
        with self._lock:
            self.estimate.record_answer(seconds, (sharing + len(self._running)) / 2)

    def _finish(self, ticket: Ticket) -> None:
        """Leave the queue or give the slot to the next question, whatever state it was in."""
        with self._lock:
            self._finish_locked(ticket)

    def _finish_locked(self, ticket: Ticket) -> None:
        if ticket.state == "queued":
            self._queue.remove(ticket)
        elif ticket.state in ("granted", "running"):
            self._running.discard(ticket)
            self._grant_next_locked()
        if ticket.state in ("queued", "granted"):
            ticket.state = "dropped"
        elif ticket.state == "running":
            ticket.state = "done"
        self._publish_locked()

    def _publish_locked(self) -> None:
        """The queue and the slots as /metrics shows them (qa_queue_length, qa_in_flight)."""
        metrics.set_queue_length(len(self._queue))
        metrics.set_in_flight(len(self._running))

    def _drop(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.state in ("queued", "granted"):
                self._finish_locked(ticket)

    def _grant_next_locked(self) -> None:
        """Free slots go to the queue in order, skipping heavy questions while half the slots
        already run heavy ones."""
        heavy_slots = max(1, self.max_in_flight // 2)
        heavy_running = sum(1 for t in self._running if t.heavy)
        for nxt in list(self._queue):
            if len(self._running) >= self.max_in_flight:
                return
            if nxt.heavy and heavy_running >= heavy_slots:
                continue
            self._queue.remove(nxt)
            nxt.state = "granted"
            self._running.add(nxt)
            heavy_running += nxt.heavy
            if nxt.future is not None and nxt.loop is not None:
                nxt.loop.call_soon_threadsafe(_resolve, nxt.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
