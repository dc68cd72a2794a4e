"""The generative answerer: the pipeline's evidence, written up by an LLM, checked by the guard.

A question goes analyse → retrieve → evidence exactly as for the extractive answerer (the same
``Pipeline``), then: refuse at once, with the extractive refusal, unless some candidate passes
the support checks the policy lists in ``generative_refusals`` (by default all of them, so it
refuses whenever the extractive answerer does: the 1.5B model, asked anyway, gave a growth rate
(7.6%) as "how many 亿元" of revenue); otherwise number the best passages
[1]…[k], let the model answer, and check the answer with the grounding guard. A violation
gets one repair turn that names it; a second failure delivers the extractive answer instead.
So no figure reaches the user that a cited passage does not state, whatever the model writes.

Streaming: ``on_delta`` receives the model's text as it is generated (after the short-answer
line). The guard checks the complete answer; the final response, which the API sends as the
``done`` event, replaces the streamed text when a repair or the fallback changed it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa.answer.checks import any_passes
from qa.answer.evidence import Candidate
from qa.answer.pipeline import Answerer, Delta, Pipeline, Plan
from qa.answer.question import Asked, Question
from qa.config import SearchMode, Settings
from qa.errors import LLMError
from qa.generate.guard import (
    GuardReport,
    Violation,
    check_answer,
    describe,
    holding_passages,
    split_claims,
    strip_markers,
)
from qa.generate.llm import ChatModel
from qa.generate.prompt import GenerationPrompts, Reply, StreamFilter, load_generation_prompts, parse
from qa.lang import TABLES
from qa.prompts import load_guard_wording
from qa.schemas import AskResponse, Citation


@dataclass
class _Attempt:
    reply: Reply
    report: GuardReport
    raw: str


class GenerativeAnswerer:
    """Answers through ``pipeline``'s stages and ``model``; read-only, shared across requests."""

    name = "generative"
    uses_history = True  # earlier questions are in the prompt: the answer cache must not reuse answers

    def __init__(
        self,
        pipeline: Pipeline,
        model: ChatModel,
        prompts: dict[str, GenerationPrompts],
        prompts_dir: Path,
        passages: int = 4,
        max_tokens: int = 200,
    ) -> None:
        self.pipeline = pipeline
        self.index = pipeline.index
        self.policy = pipeline.policy
        self.model = model
        self.prompts = prompts
        self.passages = passages
        self.max_tokens = max_tokens
        self.wording = load_guard_wording(prompts_dir)

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
        p = self.pipeline
        plan = p.analyse(question)
        retrieval = p.retrieve(plan, top_k, mode)
        candidates = p.evidence(plan, retrieval, max(top_k, self.passages))
        timings = {**retrieval.timings_ms, "evidence": _ms(began)}
        if not any_passes(candidates, self.policy.generative_refusals):
            # by default exactly when the extractive answerer refuses: its refusal, no model time spent
            return _finish(p.compose(plan, candidates), timings, began)
        response, violations = self._generate(
            plan, candidates[: self.passages], list(history), on_delta, timings
        )
        if response is None:  # the guard failed twice: the extractive answer, which quotes
            response = p.compose(plan, candidates).model_copy(update={"violations": violations})
        elif not response.found:
            refusal = p.composer.refuse(plan.question, candidates)
            refusal.answerer, refusal.refusal_reason = self.name, "llm: the passages do not answer"
            response = refusal
        return _finish(response, timings, began)

    def _generate(
        self,
        plan: Plan,
        candidates: list[Candidate],
        history: list[str],
        on_delta: Delta | None,
        timings: dict[str, float],
    ) -> tuple[AskResponse | None, list[str]]:
        """The model's checked answer (``None`` when it failed the guard twice) and the violations."""
        q = plan.question
        prompts = self.prompts[q.language.value]
        citations = [self._passage(n, c) for n, c in enumerate(candidates, start=1)]
        shown = {c.n: c.quote for c in citations}
        messages = prompts.messages(q.text, list(shown.values()), history)
        began = time.perf_counter()
        first = self._attempt(messages, prompts, shown, q, on_delta, timings)
        timings["llm"] = _ms(began)
        violations = [v.detail for v in first.report.violations]
        attempt = first
        if not first.reply.not_found and not first.report.grounded:
            repair = prompts.repair_messages(
                messages,
                first.raw,
                describe(first.report.violations, q.language.value, self.wording[q.language.value]),
            )
            attempt = self._attempt(repair, prompts, shown, q, None, timings)
            timings["repair"] = _ms(began) - timings["llm"]
            violations += [f"after repair: {v.detail}" for v in attempt.report.violations]
        if attempt.reply.not_found:
            refusal = AskResponse(
                question=q.text, answer="", found=False, language=q.language.value, citations=[]
            )
            return refusal, violations
        if not attempt.report.grounded:
            return None, violations
        cited = {n for claim in split_claims(attempt.reply.text) for n in claim.cites}
        short = attempt.reply.short_answer
        cited |= set(_sources(short, shown)) if _verdict(short, q) is None else set()
        return AskResponse(
            question=q.text,
            answer=attempt.reply.text,
            short_answer=attempt.reply.short_answer,
            found=True,
            language=q.language.value,
            citations=[c for c in citations if c.n in cited],
            answerer=self.name,
            grounded=True,
            violations=violations,
        ), violations

    def _attempt(
        self,
        messages: list[dict[str, str]],
        prompts: GenerationPrompts,
        shown: dict[int, str],
        q: Question,
        on_delta: Delta | None,
        timings: dict[str, float],
    ) -> _Attempt:
        raw = "".join(self._stream(messages, on_delta, timings))
        reply = parse(raw, prompts, self.prompts.values())
        lang = q.language.value
        verdict = _verdict(reply.short_answer, q)
        if verdict is not None:  # 是/否, Yes/No: a verdict on the passage, not a span of it
            reply = replace(reply, short_answer=verdict)
        span = None if verdict is not None else reply.short_answer
        report = check_answer(reply.text, shown, lang, q.text, span, _sources(span, shown))
        if not re.search(r"\w", strip_markers(reply.text)) and not reply.not_found:  # "" or a bare "[1]"
            report = GuardReport([Violation("empty", "the reply has no answer line", ""), *report.violations])
        return _Attempt(reply, report, raw)

    def _stream(
        self, messages: list[dict[str, str]], on_delta: Delta | None, timings: dict[str, float]
    ) -> Iterator[str]:
        began = time.perf_counter()
        relay = StreamFilter(on_delta, self.prompts.values()) if on_delta else None
        try:
            for piece in self.model.stream(messages, self.max_tokens):
                # From the question's arrival: the evidence stages took timings["evidence"].
                timings.setdefault("first_token", round(timings.get("evidence", 0.0) + _ms(began), 3))
                if relay:
                    relay.feed(piece)
                yield piece
        except LLMError:
            raise
        except Exception as exc:  # a local model's failure, said as the service's error
            raise LLMError(f"the LLM failed: {type(exc).__name__}: {exc}") from exc

    def _passage(self, n: int, cand: Candidate) -> Citation:
        """The candidate sentence, with the sentence before it (same paragraph) for context."""
        sentences = self.index.sentences
        doc = self.index.documents[cand.sentence.doc_id]
        lo = hi = len(cand.sentence.text)
        prev = sentences[cand.pos - 1] if cand.pos > 0 else None
        start = cand.sentence.start
        if (
            prev is not None
            and prev.doc_id == doc.doc_id
            and "\n\n" not in doc.text[prev.start : start]
            and cand.sentence.end - prev.start <= self.policy.passage_chars
        ):
            start = prev.start
        lo = start - cand.sentence.start
        return self.pipeline.composer.citation(n, cand, lo, hi, supporting=True)


def _sources(short: str | None, shown: dict[int, str]) -> list[int]:
    """The first passage that holds the short answer verbatim: its own citation, delivered with the
    answer, so a short answer copied from a passage the sentence does not cite is still a quote."""
    return holding_passages(short, shown)[:1] if short else []


def _verdict(short: str | None, q: Question) -> str | None:
    """A yes/no question's short answer as the question's language says it (是/否, Yes/No), or None."""
    if short is None or q.asked is not Asked.YES_NO:
        return None
    word = re.sub(r"[\s.。!!]+", "", short).lower()
    asked = TABLES[q.language.value]
    if any(word == t.yes.lower() for t in TABLES.values()):
        return asked.yes
    if any(word == t.no.lower() for t in TABLES.values()):
        return asked.no
    return None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def _finish(response: AskResponse, timings: dict[str, float], began: float) -> AskResponse:
    response.timings_ms = {**timings, "total": _ms(began)}
    return response


def open_generative(
    pipeline: Pipeline, settings: Settings, model: ChatModel | None = None
) -> GenerativeAnswerer:
    """The generative answerer over ``pipeline``, its LLM (``model``, or the configured one) loaded
    here: what the CLI, the evaluation and the benchmark use."""
    from qa.generate.llm import open_chat_model

    return GenerativeAnswerer(
        pipeline,
        model or open_chat_model(settings),
        load_generation_prompts(settings.prompts_dir),
        settings.prompts_dir,
        passages=settings.llm_passages,
        max_tokens=settings.llm_max_tokens,
    )


def generative_answerer(pipeline: Pipeline, model: ChatModel, settings: Settings) -> Answerer:
    """The service's generative answerer: cached like the extractive one (answers are greedy, so
    repeatable), without a warm-up question."""
    from qa.answer.cache import CachedAnswerer

    answerer = open_generative(pipeline, settings, model)
    if settings.answer_cache_size == 0:
        return answerer
    return CachedAnswerer(answerer, settings, settings.answer_cache_size)
