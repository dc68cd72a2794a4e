"""Answering a conversation turn off the event loop, with the generated text relayed as it comes.

The answerer runs in a worker thread (``QuestionGuard.run``: the in-flight bound, the queue and
the time limit). The generative answerer calls ``on_delta`` from that thread with each piece of
text its model writes; the pieces cross to the event loop through ``call_soon_threadsafe`` into
a queue the stream reads, so tokens reach the client while the model is still writing. The
extractive answerer never calls it: its answer arrives whole, and the routes cut it in pieces.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request

from qa.answer.followup import Resolution
from qa.answer.pipeline import Answerer, answer_turn
from qa.api.limits import QuestionGuard, Ticket
from qa.api.metrics import record_answer
from qa.config import SearchMode
from qa.schemas import AskResponse


@dataclass(frozen=True)
class Turn:
    """A finished turn: the resolution of the follow-up and the answer."""

    resolution: Resolution
    response: AskResponse


async def answer_conversation(
    guard: QuestionGuard,
    answerer: Answerer,
    questions: list[str],
    top_k: int,
    mode: SearchMode | None,
    ticket: Ticket | None = None,
    request: Request | None = None,
) -> Turn:
    """The blocking answer in a worker thread, within the in-flight bound and time limit
    (in the slot ``ticket`` reserved, when given); a client that goes away leaves the queue."""
    gone = request.is_disconnected if request is not None else None
    resolution, response = await guard.run(
        answer_turn, answerer, questions, top_k, mode, ticket=ticket, disconnected=gone
    )
    record_answer(response)
    return Turn(resolution, response)


async def relay_conversation(
    guard: QuestionGuard,
    answerer: Answerer,
    questions: list[str],
    top_k: int,
    mode: SearchMode | None,
    ticket: Ticket,
) -> AsyncIterator[str | Turn]:
    """The generated text in pieces as the model writes it, then the finished ``Turn``.

    Exceptions of the answer (a timeout, a failed LLM) are raised after the pieces already sent.
    """
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue[str | None] = asyncio.Queue()

    def on_delta(text: str) -> None:
        loop.call_soon_threadsafe(pieces.put_nowait, text)

    turn = functools.partial(answer_turn, on_delta=on_delta)
    task = asyncio.ensure_future(guard.run(turn, answerer, questions, top_k, mode, ticket=ticket))
    # Runs after every piece the thread queued: call_soon_threadsafe keeps their order.
    task.add_done_callback(lambda _: pieces.put_nowait(None))
    try:
        while (piece := await pieces.get()) is not None:
            yield piece
        resolution, response = await task
    finally:
        if not task.done():
            task.cancel()
    record_answer(response)
    yield Turn(resolution, response)
