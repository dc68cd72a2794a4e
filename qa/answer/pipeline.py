"""The answer pipeline: analyse → retrieve → evidence → compose, assembled in one place.

The API, the CLI, the evaluation and the benchmark all answer through ``build_pipeline``,
so they cannot drift apart. A question is analysed once into a typed ``Plan`` (its kind,
unit and required terms, and the retrieval ``Query`` with its one embedding); each stage
takes the plan, not the raw string. Follow-up turns are resolved here too
(``answer_turn``), before the plan is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from qa.answer.evidence import Candidate
from qa.answer.followup import Resolution, resolve_conversation
from qa.answer.gather import Gatherer
from qa.answer.lexicon import Lexicon
from qa.answer.policy import DEFAULT_POLICY, Policy
from qa.answer.question import Question, analyze
from qa.config import SearchMode
from qa.retrieve import HybridRetriever, Query, Retrieval
from qa.schemas import AskResponse

if TYPE_CHECKING:
    from qa.answer.compose import ExtractiveComposer
    from qa.engine import Engine

MIN_RETRIEVED = 5


Delta = Callable[[str], None]


class Answerer(Protocol):
    """What the API, CLI, eval and bench call. ``history`` (earlier questions of the conversation)
    and ``on_delta`` (receives answer text as it is generated) serve the generative answerer; the
    extractive one has no use for them."""

    def answer(
        self,
        question: str,
        top_k: int = 5,
        mode: SearchMode | None = None,
        debug: bool = False,
        history: Sequence[str] = (),
        on_delta: Delta | None = None,
    ) -> AskResponse: ...


@dataclass(frozen=True)
class Plan:
    """A question analysed once: what is asked (``question``) and how to search for it (``query``)."""

    question: Question
    query: Query


class Pipeline:
    """The stages over one loaded index; read-only after construction, so shared across requests."""

    def __init__(self, retriever: HybridRetriever, composer: ExtractiveComposer, policy: Policy) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self.composer = composer
        self.policy = policy
        self.gatherer = Gatherer(self.index, composer.lexicon, policy)

    def analyse(self, question: str) -> Plan:
        query = self.retriever.query(question)
        subject = self.composer.lexicon.subject_words(query.tokens, self.policy.subject_share)
        return Plan(analyze(question, self.policy, subject), query)

    def retrieve(self, plan: Plan, top_k: int, mode: SearchMode | None = None) -> Retrieval:
        return self.retriever.retrieve(plan.query, max(top_k, MIN_RETRIEVED), mode)

    def evidence(self, plan: Plan, retrieval: Retrieval, top_k: int) -> list[Candidate]:
        return self.gatherer.candidates(plan.question, retrieval, top_k)

    def compose(self, plan: Plan, candidates: list[Candidate]) -> AskResponse:
        chosen = self.gatherer.choose(plan.question, candidates)
        if chosen:
            return self.composer.compose(plan.question, chosen)
        return self.composer.refuse(plan.question, candidates)

    def answer(
        self,
        question: str,
        top_k: int = 5,
        mode: SearchMode | None = None,
        debug: bool = False,
        history: Sequence[str] = (),
        on_delta: Delta | None = None,
    ) -> AskResponse:
        began = time.perf_counter()
        plan = self.analyse(question)
        embedded = time.perf_counter()
        retrieval = self.retrieve(plan, top_k, mode)
        candidates = self.evidence(plan, retrieval, top_k)
        response = self.compose(plan, candidates)
        response.timings_ms = {
            "embed": round((embedded - began) * 1000, 3),
            **retrieval.timings_ms,
            "total": round((time.perf_counter() - began) * 1000, 3),
        }
        if debug:
            response.debug = _debug(plan, candidates, self.policy)
        return response


def answer_turn(
    answerer: Answerer,
    questions: list[str],
    top_k: int = 5,
    mode: SearchMode | None = None,
    on_delta: Delta | None = None,
) -> tuple[Resolution, AskResponse]:
    """Answer the last question of a conversation, resolving it as a follow-up first.

    The resolution's candidates are tried in order; the first the corpus answers wins, and
    when none does the refusal for the first candidate (the best reading) is returned. The
    earlier questions go to the answerer as ``history`` (the generative one shows them to its model).
    """
    resolution = resolve_conversation(questions)
    refusal: AskResponse | None = None
    for candidate in resolution.candidates:
        response = answerer.answer(candidate, top_k, mode, history=questions[:-1], on_delta=on_delta)
        if response.found:
            return resolution.model_copy(update={"resolved": candidate}), response
        refusal = refusal or response
    assert refusal is not None, "a resolution always has a candidate"
    return resolution, refusal


def _debug(plan: Plan, candidates: list[Candidate], policy: Policy) -> dict[str, Any]:
    """The analysis and the per-check breakdown of the two best candidates."""
    q = plan.question

    def row(cand: Candidate) -> dict[str, Any]:
        return {
            "sentence": cand.sentence.text,
            "doc_id": cand.sentence.doc_id,
            "score": round(cand.score, 4),
            "dense": round(cand.dense, 4),
            "soft": round(cand.soft, 4),
            "checks": [c.model_dump() for c in cand.checks],
        }

    return {
        "plan": {
            "language": q.language.value,
            "asked": q.asked.value,
            "unit": q.unit,
            "hard_terms": q.hard_terms,
            "entities": q.entities,
            "focus_terms": q.focus_terms,
            "tokens": plan.query.tokens,
        },
        "policy": policy.fingerprint(),
        "candidates": [row(c) for c in candidates[:2]],
    }


def build_pipeline(engine: Engine, retriever: HybridRetriever | None = None) -> Pipeline:
    """The product's pipeline over an engine: templates and policy from its settings."""
    from qa.answer.compose import ExtractiveComposer
    from qa.answer.policy import load_policy
    from qa.prompts import load_templates

    settings = engine.settings
    retriever = retriever or engine.retriever
    policy = load_policy(settings.answer_policy) if settings.answer_policy else DEFAULT_POLICY
    lexicon = Lexicon([s.text for s in engine.index.sentences])
    composer = ExtractiveComposer(engine.index, load_templates(settings.prompts_dir), lexicon, policy)
    return Pipeline(retriever, composer, policy)
