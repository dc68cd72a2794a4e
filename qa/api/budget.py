"""The token budget of one question: what bounds the encoder work a request can ask for.

Characters do not bound the work (see qa.tokens): 1,999 × "𠀀" passes a 2,000-character limit
yet is ~8,000 tokens, ~12–17 s of encoder time and ~400 MB of activations. So every text that
will be embedded is counted with the encoder's tokenizer before any work is queued: the
question, each ``history`` entry of ``/ask/stream``, each user turn of a chat, and the follow-up
those resolve to (qa.answer.followup joins the previous question's topic to the new one, so a
chain of long turns can grow). Past ``QA_MAX_QUESTION_TOKENS`` the request is refused with 422
and a detail that says which text, how long, and the limit; nothing is truncated, because a
silently shortened question would be answered as a different question.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
from fastapi import Request

from qa.answer.followup import resolve_conversation
from qa.batching import LIGHT_TOKENS
from qa.errors import InvalidInputError
from qa.tokens import TokenCounter


class QuestionBudget:
    """Refuses (InvalidInputError, 422) texts over ``max_tokens`` tokens of the serving encoder."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._counter: tuple[Any, TokenCounter] | None = None

    def counter(self, embedder: Any) -> TokenCounter:
        """The counter of ``embedder``'s tokenizer, made once per embedder (reloads keep it)."""
        with self._lock:
            if self._counter is None or self._counter[0] is not embedder:
                self._counter = (embedder, TokenCounter.for_embedder(embedder))
            return self._counter[1]

    def check_question(self, embedder: Any, question: str) -> bool:
        return self.check_conversation(embedder, [question])

    def check_conversation(self, embedder: Any, questions: list[str]) -> bool:
        """Each turn (the last is the question), then the question(s) it resolves to; True when
        what will be embedded is long (a heavy question for admission: qa.api.admission)."""
        counter = self.counter(embedder)
        earlier = len(questions) - 1
        counts = {}
        for n in range(earlier, -1, -1):  # the question first, one at a time: a refusal costs little
            tokens = counts[n] = counter.count(questions[n])
            if tokens > self.max_tokens:
                what = "the question" if n == earlier else f"earlier question {n + 1} of {earlier}"
                raise InvalidInputError(self._too_long(what, counter.describe(tokens), len(questions[n])))
        if len(questions) < 2:
            return counts[earlier] > LIGHT_TOKENS
        resolution = resolve_conversation(questions)
        resolved = counter.counts(resolution.candidates)
        for text, tokens in zip(resolution.candidates, resolved, strict=True):
            if tokens > self.max_tokens:
                raise InvalidInputError(
                    f"the follow-up resolves to a question of {counter.describe(tokens)} tokens "
                    f"({len(text)} characters), "
                    f"over the limit of {self.max_tokens} (QA_MAX_QUESTION_TOKENS): ask it as a new question"
                )
        return max(resolved) > LIGHT_TOKENS

    def _too_long(self, what: str, tokens: str, chars: int) -> str:
        return (
            f"{what} is {tokens} tokens long ({chars} characters), over the limit of {self.max_tokens} "
            f"tokens (QA_MAX_QUESTION_TOKENS); rare characters count up to 4 tokens each: shorten it"
        )


async def check_off_loop(budget: QuestionBudget, embedder: Any, questions: list[str]) -> bool:
    """``check_conversation`` in a worker thread: tokenizing 20 long history entries (or loading
    the tokenizer with the encoder, on the first question) must not stall the event loop."""
    return await anyio.to_thread.run_sync(budget.check_conversation, embedder, questions)


def get_budget(request: Request) -> QuestionBudget:
    """FastAPI dependency: the app's QuestionBudget (installed by qa.api.hardening)."""
    budget: QuestionBudget = request.app.state.qa_budget
    return budget
