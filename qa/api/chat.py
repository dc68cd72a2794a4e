"""Chat routes: ``POST /ask/stream`` (Server-Sent Events), the OpenAI-compatible
``POST /v1/chat/completions`` and ``GET /v1/models``.

Both answer through :func:`qa.answer.pipeline.answer_turn`, so follow-up questions are
resolved the same way everywhere. The blocking answerer runs in a worker thread; the
event loop only sends events. Readiness and the in-flight bound (``QA_MAX_IN_FLIGHT``) are
checked before the stream starts, so a loading or busy service answers 503 with ``{"detail"}``
and ``Retry-After``, as ``/ask`` does, instead of an error event after a 200.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from qa.api.budget import QuestionBudget, check_off_loop, get_budget
from qa.api.chat_models import (
    COMPLETION_EXAMPLES,
    MODEL_IDS,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    CitationsEvent,
    CitedFields,
    Delta,
    DeltaEvent,
    ErrorEvent,
    ModelCard,
    ModelList,
    OpenAIError,
    StreamAskRequest,
    Usage,
)
from qa.api.drain import stream_grace_s
from qa.api.limits import LIMIT_RESPONSES, QuestionGuard, Ticket, get_guard
from qa.api.relay import Turn, answer_conversation, relay_conversation
from qa.api.routes import get_state
from qa.api.state import ServiceState
from qa.api.streaming import count_tokens, split_answer
from qa.config_llm import AnswererName
from qa.errors import NotFoundError, QAError

log = logging.getLogger("qa.api.chat")
router = APIRouter()
STARTED = int(time.time())
# "no-cache" and "X-Accel-Buffering: no" keep proxies (nginx) from holding events back.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
PING_SECONDS = 10
ASK_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "citations, delta…, done"},
    **LIMIT_RESPONSES,
}
COMPLETIONS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "JSON, or chunks when stream is true"},
    400: {"description": "Malformed request (e.g. no messages)"},
    404: {"description": "Unknown model"},
    "4XX": {"description": "Other refusals: no or unknown API key (401), body too large (413)"},
    **LIMIT_RESPONSES,
}
for _status in set(COMPLETIONS_RESPONSES) - {200}:  # all in OpenAI's shape (qa.api.openai_errors)
    COMPLETIONS_RESPONSES[_status] = {**COMPLETIONS_RESPONSES[_status], "model": OpenAIError}

STREAM_EXAMPLES = {
    "follow-up": {
        "summary": "追问 (follow-up)",
        "value": {"question": "那农村呢?", "history": ["电信固定资产投资4年累计超过多少亿元?"]},
    },
    "zh": {"summary": "中文问题", "value": {"question": "重庆和成都两地直联带宽达到多少?"}},
}


def _failure(exc: BaseException) -> str:
    if isinstance(exc, QAError):
        return exc.detail
    log.error("answer failed", exc_info=exc)
    return f"internal error: {type(exc).__name__}"


class _ReservedStream(EventSourceResponse):
    """An event stream holding the in-flight slot reserved for its answer before the response
    started; the slot is given back here if the stream ends before the answer began (the client
    went away first), otherwise by the answer's worker thread when it ends."""

    def __init__(self, events: AsyncIterator[ServerSentEvent], ticket: Ticket, grace_s: float) -> None:
        # sse-starlette would close the stream at once on shutdown; the guard ends an unfinished
        # answer with an error event before this grace is over (qa.api.drain).
        super().__init__(
            events,
            headers=SSE_HEADERS,
            ping=PING_SECONDS,
            sep="\n",
            shutdown_grace_period=stream_grace_s(grace_s),
        )
        self.ticket = ticket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ticket.drop_if_unstarted()


@router.post(
    "/ask/stream",
    tags=["chat"],
    response_class=EventSourceResponse,
    responses=ASK_STREAM_RESPONSES,
)
async def ask_stream(
    body: Annotated[StreamAskRequest, Body(openapi_examples=STREAM_EXAMPLES)],
    state: Annotated[ServiceState, Depends(get_state)],
    guard: Annotated[QuestionGuard, Depends(get_guard)],
    budget: Annotated[QuestionBudget, Depends(get_budget)],
) -> EventSourceResponse:
    """Answer as Server-Sent Events: `citations` (the sources) first, then `delta` events
    with the answer text in pieces, then `done` with the complete `/ask` response;
    `error` with `{"detail"}` on a failure once streaming (a timeout). A busy or loading
    service answers 503 before the stream starts. `history` (earlier questions) resolves
    follow-ups. With `"answerer": "generative"` the `delta` events carry the model's text as it
    is written, before `citations`; `done` holds the checked answer, which replaces the streamed
    text (a repair or the extractive fallback may have changed it)."""
    engine, answerer = await state.require_async(body.answerer)
    questions = [*body.history, body.question]
    heavy = await check_off_loop(budget, engine.embedder, questions)  # 422 before the stream, like /ask
    ticket = guard.reserve(heavy)  # busy: 503 + Retry-After now, not an error event after a 200

    async def events() -> AsyncIterator[ServerSentEvent]:
        streamed = False
        try:
            async for item in relay_conversation(guard, answerer, questions, body.top_k, body.mode, ticket):
                if isinstance(item, Turn):
                    resolution, response = item.resolution, item.response
                else:
                    streamed = True
                    yield ServerSentEvent(DeltaEvent(text=item).model_dump_json(), event="delta")
        except Exception as exc:
            yield ServerSentEvent(ErrorEvent(detail=_failure(exc)).model_dump_json(), event="error")
            return
        first = CitationsEvent(
            question=resolution.question,
            resolved_question=response.question,
            found=response.found,
            short_answer=response.short_answer,
            language=response.language,
            citations=response.citations,
        )
        yield ServerSentEvent(first.model_dump_json(), event="citations")
        if not streamed:  # a whole answer (extractive, cached): sent in clause-sized pieces
            for piece in split_answer(response.answer):
                yield ServerSentEvent(DeltaEvent(text=piece).model_dump_json(), event="delta")
        yield ServerSentEvent(response.model_dump_json(), event="done")

    return _ReservedStream(events(), ticket, state.settings.shutdown_grace_s)


@router.get("/v1/models", response_model=ModelList, tags=["openai"])
def models(state: Annotated[ServiceState, Depends(get_state)]) -> ModelList:
    """The answerers this service offers as models: `qa-extractive` always, `qa-generative`
    when an LLM is installed (`make llm`) or configured (`QA_LLM_BASE_URL`)."""
    return ModelList(data=[ModelCard(id=m, created=STARTED) for m in _offered(state)])


def _offered(state: ServiceState) -> list[str]:
    llm = state.offers_llm()
    return [m for m, name in MODEL_IDS.items() if name is AnswererName.EXTRACTIVE or llm]


def _answerer_of(model: str, state: ServiceState) -> AnswererName:
    name = MODEL_IDS.get(model)
    if name is None:
        offered = ", ".join(repr(m) for m in _offered(state))
        raise NotFoundError(f"model {model!r} not found; this service offers {offered} (GET /v1/models)")
    if name is AnswererName.GENERATIVE and not state.offers_llm():
        raise NotFoundError(
            f"model {model!r} is not available: no LLM is installed (run `make install-llm llm`) "
            "or configured (QA_LLM_BASE_URL)"
        )
    return name


def _usage(body: ChatCompletionRequest, answer: str) -> Usage:
    prompt = sum(count_tokens(m.text()) for m in body.messages)
    completion = count_tokens(answer)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    tags=["openai"],
    responses=COMPLETIONS_RESPONSES,
)
async def chat_completions(
    body: Annotated[ChatCompletionRequest, Body(openapi_examples=COMPLETION_EXAMPLES)],
    state: Annotated[ServiceState, Depends(get_state)],
    guard: Annotated[QuestionGuard, Depends(get_guard)],
    budget: Annotated[QuestionBudget, Depends(get_budget)],
    request: Request,
) -> ChatCompletion | EventSourceResponse:
    """OpenAI Chat Completions. The last user message is the question; earlier user turns
    resolve follow-ups. The answer keeps its `[n]` markers; `citations`, `found`,
    `short_answer` and `resolved_question` are extra fields (on the last chunk when streaming)."""
    engine, answerer = await state.require_async(_answerer_of(body.model, state))
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    fingerprint = engine.index.manifest.build_id  # the build that answers, read once
    questions = body.user_questions()
    heavy = await check_off_loop(budget, engine.embedder, questions)

    if not body.stream:
        ticket = guard.reserve(heavy)
        turn = await answer_conversation(
            guard, answerer, questions, body.top_k, body.mode, ticket=ticket, request=request
        )
        response = turn.response
        return ChatCompletion(
            id=completion_id,
            created=created,
            model=body.model,
            choices=[Choice(message=AssistantMessage(content=response.answer))],
            usage=_usage(body, response.answer),
            system_fingerprint=fingerprint,
            citations=response.citations,
            found=response.found,
            short_answer=response.short_answer,
            resolved_question=response.question,
        )

    def chunk(
        delta: Delta, finish_reason: Literal["stop"] | None = None, cited: CitedFields | None = None
    ) -> str:
        frame = ChatCompletionChunk(
            id=completion_id,
            created=created,
            model=body.model,
            system_fingerprint=fingerprint,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
            **(cited.model_dump() if cited else {}),
        )
        data = frame.model_dump(mode="json", exclude_none=True)
        data["choices"][0]["finish_reason"] = finish_reason
        if cited:
            data["short_answer"] = cited.short_answer
        return json.dumps(data, ensure_ascii=False)

    ticket = guard.reserve(heavy)  # busy: 503 + Retry-After now, not an error frame after a 200

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(chunk(Delta(role="assistant", content="")))
        streamed = False
        try:
            async for item in relay_conversation(guard, answerer, questions, body.top_k, body.mode, ticket):
                if isinstance(item, Turn):
                    response = item.response
                else:
                    streamed = True
                    yield ServerSentEvent(chunk(Delta(content=item)))
        except Exception as exc:
            detail = _failure(exc)
            # OpenAI's own mid-stream error shape: its clients raise APIError on it.
            error = {"error": {"message": detail, "type": "server_error"}, "detail": detail}
            yield ServerSentEvent(json.dumps(error, ensure_ascii=False))
            return
        if not streamed:
            for piece in split_answer(response.answer):
                yield ServerSentEvent(chunk(Delta(content=piece)))
        cited = CitedFields(
            citations=response.citations,
            found=response.found,
            short_answer=response.short_answer,
            resolved_question=response.question,
        )
        yield ServerSentEvent(chunk(Delta(), "stop", cited))
        if body.stream_options and body.stream_options.include_usage:
            usage = ChatCompletionChunk(
                id=completion_id,
                created=created,
                model=body.model,
                choices=[],
                usage=_usage(body, response.answer),
                system_fingerprint=fingerprint,
                **cited.model_dump(),
            )
            yield ServerSentEvent(usage.model_dump_json())
        yield ServerSentEvent("[DONE]")

    return _ReservedStream(events(), ticket, state.settings.shutdown_grace_s)
