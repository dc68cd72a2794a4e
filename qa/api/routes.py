"""Routes: ask, health, readiness and chunks (documents: qa.api.documents)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse

from qa.api.budget import QuestionBudget, check_off_loop, get_budget
from qa.api.limits import LIMIT_RESPONSES, QuestionGuard, get_guard
from qa.api.metrics import record_answer
from qa.api.models import (
    ASK_EXAMPLES,
    AskRequest,
    ChunkOut,
    Health,
    Ready,
    ResourceId,
)
from qa.api.state import ServiceState, get_state
from qa.engine import Engine
from qa.errors import NotFoundError
from qa.schemas import AskResponse

router = APIRouter()


def get_engine(state: Annotated[ServiceState, Depends(get_state)]) -> Engine:
    return state.require()[0]


@router.post("/ask", response_model=AskResponse, tags=["ask"], responses=LIMIT_RESPONSES)
async def ask(
    body: Annotated[AskRequest, Body(openapi_examples=ASK_EXAMPLES)],
    state: Annotated[ServiceState, Depends(get_state)],
    guard: Annotated[QuestionGuard, Depends(get_guard)],
    budget: Annotated[QuestionBudget, Depends(get_budget)],
    request: Request,
    response: Response,
) -> AskResponse:
    """Answer a question with exact quotes from the report, or refuse when it does not say.
    A question over `QA_MAX_QUESTION_TOKENS` tokens gets 422; a busy service 503 at once.
    `Server-Timing: queue;dur=<ms>` says how long the question waited for a worker slot."""
    engine, answerer = await state.require_async(body.answerer)
    heavy = await check_off_loop(budget, engine.embedder, [body.question])
    ticket = guard.reserve(heavy)
    args = (body.question, body.top_k, body.mode, body.debug)
    answer = await guard.run(answerer.answer, *args, ticket=ticket, disconnected=request.is_disconnected)
    response.headers["Server-Timing"] = f"queue;dur={ticket.waited_s * 1000:.1f}"
    record_answer(answer)
    return answer


@router.get("/healthz", response_model=Health, tags=["ops"])
def healthz() -> Health:
    """Alive: the process answers HTTP (the model may still be loading)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    response_model_exclude_none=True,
    tags=["ops"],
    responses={503: {"model": Ready}},
)
def readyz(state: Annotated[ServiceState, Depends(get_state)], request: Request) -> Ready | JSONResponse:
    """Ready or not: `ready` (200); `loading`, `building` (the index, at start, with its current
    step) or `error` (503). Public, so it says no more: why loading failed is in `detail` only for
    a request with an API key (or when no keys are set); the manifest is at `/manifest`."""
    status = state.status
    if status == "ready":
        return Ready(status="ready")
    detail = state.progress if status == "building" else None
    if status == "error" and _may_see_internals(request):
        detail = state.error
    body = Ready(status=status, detail=detail)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=503, headers={"Retry-After": "5"})


def _may_see_internals(request: Request) -> bool:
    return bool(getattr(request.state, "key_id", None)) or not request.app.state.qa_keys_required


@router.get("/manifest", tags=["ops"], responses={503: {"description": "Still loading."}})
def manifest(engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """The serving index's manifest: build id, corpus files, model, library versions (behind
    the API key when keys are set: it names paths and versions)."""
    return engine.index.manifest.model_dump()


@router.get("/chunks/{chunk_id}", response_model=ChunkOut, tags=["corpus"], responses={404: {}})
def chunk(chunk_id: ResourceId, engine: Annotated[Engine, Depends(get_engine)]) -> ChunkOut:
    pos = engine.index.chunk_pos.get(chunk_id)
    if pos is None:
        raise NotFoundError(f"unknown chunk id: {chunk_id!r}")
    record = engine.index.chunks[pos]
    title = engine.index.documents[record.doc_id].title
    return ChunkOut(**record.model_dump(exclude={"chunk_id"}), chunk_id=record.chunk_id, title=title)
