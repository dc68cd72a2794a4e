"""Run a gold set through a backend in one or more retrieval modes and judge every answer.

Each question is sent twice per mode: once to ask (the answer, timed end to end for
latency) and once to search (the passages, for hit@k/MRR and the exported
``retrieved_contexts``). A question the service rejects, or one that crashes the answerer, is
recorded with its error and scored as a miss instead of stopping the run; an unreachable
service, or five failures in a row, stops it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from tqdm import tqdm

from qa.answer.cache import HIT
from qa.config import SearchMode
from qa.config_llm import AnswererName
from qa.errors import QAError
from qa.eval.backends import Backend, QuestionRejected
from qa.eval.gold import GoldItem
from qa.eval.metrics import (
    HIT_DEPTHS,
    CitedQuote,
    Metrics,
    Passage,
    QuestionResult,
    group_by,
    judge,
    summarize,
)
from qa.schemas import Document

COMPARE_MODES = (SearchMode.DENSE, SearchMode.BM25, SearchMode.HYBRID)


@dataclass(frozen=True)
class RunSpec:
    """One column of a run: a retrieval mode and an answerer, under a label ("hybrid", "generative")."""

    label: str
    mode: SearchMode
    answerer: AnswererName = AnswererName.EXTRACTIVE

    @classmethod
    def of(cls, item: SearchMode | RunSpec) -> RunSpec:
        return item if isinstance(item, RunSpec) else cls(item.value, item)


def run_specs(mode: SearchMode, answerer: AnswererName, compare: bool) -> list[RunSpec]:
    """What ``qa eval`` runs: ``--compare`` puts the three modes side by side, or, with
    ``--answerer generative``, the extractive and the generative answerer in the same mode."""
    generative = RunSpec(AnswererName.GENERATIVE.value, mode, AnswererName.GENERATIVE)
    if answerer is AnswererName.GENERATIVE:
        return [RunSpec(mode.value, mode), generative] if compare else [generative]
    return [RunSpec.of(m) for m in COMPARE_MODES] if compare else [RunSpec.of(mode)]


MAX_ERRORS_IN_A_ROW = 5
CACHE_HIT_TIMING = HIT  # the timings_ms key of an answer served from the answer cache


class EvalAborted(QAError):
    """Questions keep failing one after another: a broken backend, not a bad gold set."""


class ModeSummary(BaseModel):
    overall: Metrics
    by_language: dict[str, Metrics]
    by_type: dict[str, Metrics]


class EvalRun(BaseModel):
    """Everything one ``qa eval`` produced: settings of the run, metrics and every answer."""

    created_at: str
    backend: str
    index: str | None
    gold: str
    top_k: int
    modes: list[str]
    questions: int
    seconds: float
    summary: dict[str, ModeSummary]
    results: list[QuestionResult]
    policy: dict[str, Any] | None = None  # the answer policy of an in-process run (unknown over HTTP)

    def failures(self) -> list[QuestionResult]:
        return [r for r in self.results if r.failures]


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(needle) if needle else -1
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def ask_one(
    backend: Backend, item: GoldItem, spec: SearchMode | RunSpec, top_k: int, doc: Document | None
) -> QuestionResult:
    """Search and ask one question in one mode; the verdict is filled in by ``judge``."""
    spec = RunSpec.of(spec)
    mode = spec.mode
    result = QuestionResult(
        id=item.id,
        mode=spec.label,
        question=item.question,
        language=item.language,
        type=item.type.value,
        answerable=item.answerable,
        answers=item.answers,
        evidence=item.evidence,
        doc_id=item.doc_id,
        evidence_spans=_spans(doc.text, item.evidence) if doc else [],
    )
    try:
        response, result.latency_ms = backend.ask(item.question, top_k, mode, spec.answerer)
        hits = backend.search(item.question, max(top_k, *HIT_DEPTHS), mode)
        result.retrieved = [Passage(**h.model_dump(include=set(Passage.model_fields))) for h in hits]
    except QuestionRejected as exc:
        result.error = exc.detail
        return judge(result)
    except QAError:
        raise  # the service is gone or refuses us: no later question would fare better
    except Exception as exc:  # a crash on one question is that question's failure, not the run's
        result.error = f"{type(exc).__name__}: {exc}"
        return judge(result)
    result.answer = response.answer
    result.short_answer = response.short_answer
    result.found = response.found
    result.cached = CACHE_HIT_TIMING in response.timings_ms
    result.answerer, result.grounded, result.violations = (
        response.answerer,
        response.grounded,
        response.violations,
    )
    result.citations = [
        CitedQuote(n=c.n, doc_id=c.doc_id, start=c.start, end=c.end, quote=c.quote, supporting=c.supporting)
        for c in response.citations
    ]
    return judge(result)


def policy_of(backend: object) -> dict[str, Any] | None:
    """The answer policy an in-process backend answers with, and its fingerprint."""
    policy = getattr(getattr(backend, "answerer", None), "policy", None)
    if policy is None:
        return None
    return {"fingerprint": policy.fingerprint(), **policy.model_dump(mode="json")}


def _stop_if_broken(results: list[QuestionResult]) -> None:
    """Several failures in a row mean the backend is broken, not the questions: stop early."""
    last = results[-MAX_ERRORS_IN_A_ROW:]
    if len(last) == MAX_ERRORS_IN_A_ROW and all(r.error for r in last):
        raise EvalAborted(
            f"stopped: the last {MAX_ERRORS_IN_A_ROW} questions all failed; the latest with {last[-1].error}"
        )


def summarize_mode(results: list[QuestionResult]) -> ModeSummary:
    return ModeSummary(
        overall=summarize(results),
        by_language=group_by(results, lambda r: r.language),
        by_type=group_by(results, lambda r: r.type),
    )


def run_eval(
    gold: list[GoldItem],
    backend: Backend,
    modes: Sequence[SearchMode | RunSpec],
    *,
    top_k: int = 5,
    gold_path: str = "",
    progress: bool = True,
) -> EvalRun:
    """Ask every gold question in every mode (mode by mode) and summarize each mode."""
    began = time.perf_counter()
    specs = [RunSpec.of(m) for m in modes]
    docs = {doc_id: backend.document(doc_id) for doc_id in sorted({i.doc_id for i in gold if i.answerable})}
    results: list[QuestionResult] = []
    with tqdm(total=len(gold) * len(specs), unit="q", disable=not progress, dynamic_ncols=True) as bar:
        for spec in specs:
            bar.set_description(f"eval {spec.label}")
            for item in gold:
                results.append(ask_one(backend, item, spec, top_k, docs.get(item.doc_id)))
                bar.update()
                _stop_if_broken(results)
    summary = {s.label: summarize_mode([r for r in results if r.mode == s.label]) for s in specs}
    return EvalRun(
        policy=policy_of(backend),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        backend=backend.label,
        index=backend.index_id(),
        gold=gold_path,
        top_k=top_k,
        modes=[s.label for s in specs],
        questions=len(gold),
        seconds=round(time.perf_counter() - began, 2),
        summary=summary,
        results=results,
    )
