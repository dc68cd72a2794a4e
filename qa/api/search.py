"""``POST /search``: the retrieved passages alone, without an answer.

Evaluation over HTTP needs what the retriever returned to score hit@k and MRR, and a
client building its own answer needs the same; both get the ranked hits of one mode.
Input is validated like ``/ask`` (422 with ``{"detail"}`` on bad input), and the
same rate limit, in-flight bound and time limit apply.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from qa.api.budget import QuestionBudget, check_off_loop, get_budget
from qa.api.limits import LIMIT_RESPONSES, QuestionGuard, get_guard
from qa.api.models import AskRequest
from qa.api.routes import get_state
from qa.api.state import ServiceState
from qa.schemas import Hit

router = APIRouter()


class SearchRequest(AskRequest):
    """Same fields and checks as ``/ask``: question, top_k (1-20), optional mode."""


class SearchResponse(BaseModel):
    hits: list[Hit] = Field(description="Passages best first.")


SEARCH_EXAMPLES = {
    "hybrid": {
        "summary": "Hybrid retrieval",
        "value": {"question": "重庆和成都两地直联带宽达到多少?", "top_k": 5, "mode": "hybrid"},
    },
}


@router.post("/search", response_model=SearchResponse, tags=["ask"], responses=LIMIT_RESPONSES)
async def search(
    body: Annotated[SearchRequest, Body(openapi_examples=SEARCH_EXAMPLES)],
    state: Annotated[ServiceState, Depends(get_state)],
    guard: Annotated[QuestionGuard, Depends(get_guard)],
    budget: Annotated[QuestionBudget, Depends(get_budget)],
) -> SearchResponse:
    """Retrieve the passages that best match the question, in one retrieval mode.

    Embedding the question is the same CPU work as in ``/ask``, so it shares the same
    queue, token budget and time limit."""
    engine, _ = state.require()
    ticket = guard.reserve(await check_off_loop(budget, engine.embedder, [body.question]))
    retrieval = await guard.run(
        engine.retriever.retrieve, body.question, body.top_k, body.mode, ticket=ticket
    )
    return SearchResponse(hits=retrieval.hits)
