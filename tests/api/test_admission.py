"""Admission by expected wait (qa.api.admission): queue, estimate, refusal, time limit, drain.

Driven with blocking functions in threads and a fake clock where the estimate matters; the
HTTP behaviour (503 before a stream starts, disconnects leaving the queue) is tested over a
real server in test_limits.py and below.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from qa.api.admission import QuestionGuard
from qa.errors import OverloadedError, RequestTimeoutError, ShuttingDownError


async def _until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never met"
        await asyncio.sleep(0.01)


def test_questions_queue_for_a_slot_in_order_instead_of_being_refused():
    guard = QuestionGuard(max_in_flight=1, timeout_s=30, max_wait_s=60)
    release = threading.Event()
    order: list[int] = []

    async def scenario() -> None:
        first = asyncio.create_task(guard.run(release.wait, 10))
        await _until(lambda: guard.in_flight == 1)
        queued = [asyncio.create_task(guard.run(order.append, n)) for n in range(3)]
        await _until(lambda: guard.queued == 3)
        assert guard.in_flight == 1  # the queue does not add concurrency
        release.set()
        await asyncio.gather(first, *queued)
        assert order == [0, 1, 2]
        assert guard.in_flight == 0 and guard.queued == 0

    asyncio.run(scenario())


def test_expected_wait_is_service_time_times_queue_ahead_over_slots():
    guard = QuestionGuard(max_in_flight=2, timeout_s=30, max_wait_s=3.0, clock=lambda: 100.0)
    guard.service_s = 1.0
    assert guard.expected_wait() == 0.0  # a slot is free
    a, b = guard.reserve(), guard.reserve()  # both slots
    assert guard.expected_wait() == pytest.approx(0.5)  # first in line: one of two slots frees
    queued = [guard.reserve() for _ in range(4)]  # waits 0.5, 1.0, 1.5, 2.0: all under 3 s
    assert guard.queued == 4
    assert guard.expected_wait() == pytest.approx(2.5)
    guard.reserve()  # 2.5 s: admitted
    with pytest.raises(OverloadedError) as err:
        guard.reserve()  # 3.0 s is not under the bound
    assert err.value.status_code == 503 and "QA_MAX_WAIT_MS" in err.value.detail
    assert err.value.retry_after >= 1
    for ticket in [a, b, *queued]:
        ticket.drop_if_unstarted()
    assert guard.in_flight == 1 and guard.queued == 0  # the last admitted one got a slot


def test_a_question_running_long_counts_as_the_service_time():
    """No measurement yet, or one stuck question: its age is the estimate, so the queue behind
    it is refused rather than promised a short wait."""
    now = [0.0]
    guard = QuestionGuard(max_in_flight=1, timeout_s=30, max_wait_s=1.0, clock=lambda: now[0])
    running = guard.reserve()
    running.state, running.started = "running", 0.0
    now[0] = 0.5
    guard.reserve()  # 0.5 s expected (no measurement yet: the running one's age)
    guard.service_s = 0.4
    now[0] = 0.7
    guard.reserve()  # measured 0.4 s per answer, one ahead: 0.8 s
    now[0] = 5.0
    with pytest.raises(OverloadedError):
        guard.reserve()  # stuck for 5 s: 2.5 s per answer


def test_time_limit_abandons_the_answer_and_frees_its_slot_at_once():
    guard = QuestionGuard(max_in_flight=1, timeout_s=0.2, max_wait_s=60)
    release = threading.Event()

    async def scenario() -> None:
        with pytest.raises(RequestTimeoutError) as err:
            await guard.run(release.wait, 30)
        assert err.value.status_code == 504
        assert guard.in_flight == 0  # the thread still runs, but holds no slot
        assert await guard.run(lambda: 42) == 42
        release.set()

    asyncio.run(scenario())


def test_the_slot_is_given_back_when_the_work_raises():
    guard = QuestionGuard(max_in_flight=1, timeout_s=5)

    def boom() -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        with pytest.raises(ValueError):
            await guard.run(boom)
        assert guard.in_flight == 0
        assert await guard.run(lambda: 1) == 1

    asyncio.run(scenario())


def test_a_cancelled_queued_question_leaves_the_queue():
    guard = QuestionGuard(max_in_flight=1, timeout_s=30, max_wait_s=60)
    release = threading.Event()

    async def scenario() -> None:
        first = asyncio.create_task(guard.run(release.wait, 10))
        await _until(lambda: guard.in_flight == 1)
        waiting = asyncio.create_task(guard.run(lambda: "never"))
        await _until(lambda: guard.queued == 1)
        waiting.cancel()
        await _until(lambda: guard.queued == 0)
        release.set()
        await first
        assert guard.in_flight == 0

    asyncio.run(scenario())


def test_a_client_that_went_away_leaves_the_queue():
    guard = QuestionGuard(max_in_flight=1, timeout_s=30, max_wait_s=60)
    release = threading.Event()
    gone = False

    async def disconnected() -> bool:
        return gone

    async def scenario() -> None:
        nonlocal gone
        first = asyncio.create_task(guard.run(release.wait, 10))
        await _until(lambda: guard.in_flight == 1)
        waiting = asyncio.create_task(guard.run(lambda: "never", disconnected=disconnected))
        await _until(lambda: guard.queued == 1)
        gone = True
        with pytest.raises(Exception) as err:
            await waiting
        assert getattr(err.value, "status_code", None) == 499
        assert guard.queued == 0
        release.set()
        await first

    asyncio.run(scenario())


def test_a_reserved_ticket_is_given_back_once_and_never_runs_after():
    guard = QuestionGuard(max_in_flight=1, timeout_s=5)
    ticket = guard.reserve()
    assert guard.in_flight == 1
    assert asyncio.run(guard.run(lambda: 7, ticket=ticket)) == 7
    assert guard.in_flight == 0
    unused = guard.reserve()
    unused.drop_if_unstarted()
    unused.drop_if_unstarted()
    assert guard.in_flight == 0
    with pytest.raises(RuntimeError):
        asyncio.run(guard.run(lambda: 7, ticket=unused))
    assert guard.in_flight == 0


def test_drain_refuses_new_questions_and_ends_unfinished_ones_with_503_after_the_grace():
    guard = QuestionGuard(max_in_flight=2, timeout_s=30, max_wait_s=60)
    release = threading.Event()

    async def scenario() -> None:
        quick = asyncio.create_task(guard.run(time.sleep, 0.05))
        stuck = asyncio.create_task(guard.run(release.wait, 30))
        await _until(lambda: guard.in_flight == 2)
        guard.begin_drain(0.5)
        with pytest.raises(ShuttingDownError):
            guard.reserve()  # no new questions while draining
        await quick  # finishes within the grace
        with pytest.raises(ShuttingDownError) as err:
            await stuck
        assert err.value.status_code == 503
        assert guard.in_flight == 0
        release.set()

    asyncio.run(scenario())


def test_heavy_questions_hold_at_most_half_the_slots():
    """Short questions always find a slot: long ones queue behind each other, not before them."""
    guard = QuestionGuard(max_in_flight=2, timeout_s=30, max_wait_s=60)
    guard.service_s = 0.1
    first = guard.reserve(heavy=True)
    second = guard.reserve(heavy=True)
    assert first.state == "granted" and second.state == "queued"  # one of two slots for heavy ones
    light = guard.reserve()
    assert light.state == "granted"  # went past the queued heavy question
    light.drop_if_unstarted()
    first.drop_if_unstarted()
    assert second.state == "granted"


# --- over HTTP, with a stand-in answerer (no model) -----------------------------------------------


class QuickAnswerer:
    """Takes 50 ms a question, like a short answer on a fast machine."""

    def answer(self, question: str, top_k: int = 5, mode=None, debug: bool = False, **_):  # type: ignore[no-untyped-def]
        from qa.schemas import AskResponse

        time.sleep(0.05)
        return AskResponse(question=question, answer="答案。", found=True, language="zh", citations=[])


def test_more_clients_than_slots_wait_instead_of_getting_503():
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    from apihelpers import held_server

    with held_server(QuickAnswerer(), max_in_flight=1) as server, httpx.Client(timeout=60) as client:

        def ask(n: int) -> httpx.Response:
            return client.post(f"{server.url}/ask", json={"question": f"问题{n}"})

        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(ask, range(12)))
    assert [r.status_code for r in responses] == [200] * 12
    waits = [float(r.headers["server-timing"].split("dur=")[1]) for r in responses]
    assert max(waits) > 0  # some really queued


def test_a_client_that_disconnects_while_queued_leaves_the_queue():
    import httpx
    from apihelpers import HeldAnswerer, held_server

    answerer = HeldAnswerer()
    with held_server(answerer, max_in_flight=1) as server, httpx.Client(timeout=60) as client:
        guard = server.app.state.qa_guard
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(client.post, f"{server.url}/ask", json={"question": "第一个"})
            assert answerer.started.wait(30)
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(f"{server.url}/ask", json={"question": "第二个"}, timeout=1.0)  # gives up
            deadline = time.monotonic() + 10
            while guard.queued:
                assert time.monotonic() < deadline, "the abandoned question stayed queued"
                time.sleep(0.05)
            answerer.release.set()
            assert held.result().status_code == 200


def test_a_question_still_queued_past_the_bound_leaves_with_503():
    """The estimate said 0.1 s, but the slot ahead never frees: the wait is cut at the bound
    (max wait), not left to the time limit."""
    guard = QuestionGuard(max_in_flight=1, timeout_s=30, max_wait_s=0.3)
    guard.service_s = 0.1
    release = threading.Event()

    async def scenario() -> None:
        first = asyncio.create_task(guard.run(release.wait, 10))
        await _until(lambda: guard.in_flight == 1)
        began = time.monotonic()
        with pytest.raises(OverloadedError) as err:
            await guard.run(time.sleep, 0)
        waited = time.monotonic() - began
        assert 0.3 - 0.05 <= waited < 2.0, waited
        assert err.value.status_code == 503 and "QA_MAX_WAIT_MS" in err.value.detail
        assert err.value.retry_after >= 1
        assert guard.queued == 0 and guard.in_flight == 1  # it left the queue; the slot is still held
        release.set()
        await first
        assert guard.in_flight == 0

    asyncio.run(scenario())
