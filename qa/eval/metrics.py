"""Scoring one evaluation run: per-question judgements, then metrics over any subset.

Definitions (also in the README):

* **hit@k / MRR** (answerable questions): a retrieved passage is a hit when the gold
  evidence string lies inside its text; ``rank`` is the 1-based position of the first
  hit among the top 5 passages. hit@k = share with rank <= k; MRR = mean of 1/rank
  (0 without a hit).
* **answer accuracy** (answerable): ``found`` is true and every accepted answer string
  occurs in ``answer``, both compared after NFKC folding.
* **short-answer exact match** (answerable questions of type number or date):
  ``short_answer`` equals one accepted answer after NFKC folding and stripping whitespace,
  qualifiers aside (超38个 matches 38个: the source's qualifier is kept in the short answer);
  for an item with several required values (a "from X to Y" change) the short answer
  must hold every one of them instead, since no single value is the whole answer.
* **citation precision** (answerable): of all supporting citations (``supporting`` true),
  the share that *cover the evidence*: same document and the quote's character span
  ``[start, end)`` overlaps a span where the evidence occurs in that document.
* **citation recall** (answerable): share of questions with at least one supporting
  citation that covers the evidence.
* **refusal precision / recall / F1**: the positive class is "unanswerable", predicted
  positive is a refusal (``found`` false). Precision = refused unanswerables / all
  refusals; recall = refused unanswerables / all unanswerables.
* **latency p50 / p95**: wall time of the whole ask call (HTTP round trip with ``--url``),
  over the questions the service answered afresh (a rejected question has no latency, and
  an answer from the service's answer cache measures a look-up, not answering).

A metric whose denominator is empty in a subset is ``None`` (shown as "–"); the refusal
metrics are ``None`` in a subset without unanswerable questions (e.g. one answerable type).
Wrong refusals of answerable questions still count in the overall and per-language rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, model_validator

from qa.eval.grounding import GuardSummary, Outcome
from qa.text.values import strip_qualifiers

HIT_DEPTHS = (1, 3, 5)
SHORT_ANSWER_TYPES = frozenset({"number", "date"})


class Passage(BaseModel):
    """A retrieved passage, as the search call returned it."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str


class CitedQuote(BaseModel):
    n: int
    doc_id: str
    start: int
    end: int
    quote: str
    supporting: bool


class QuestionResult(BaseModel):
    """One gold question asked in one mode: what was expected, what came back, the verdict."""

    id: str
    mode: str
    question: str
    language: str
    type: str
    answerable: bool
    answers: list[str]
    evidence: str
    doc_id: str
    evidence_spans: list[tuple[int, int]] = Field(default_factory=list)

    retrieved: list[Passage] = Field(default_factory=list)
    answer: str = ""
    short_answer: str | None = None
    found: bool = False
    citations: list[CitedQuote] = Field(default_factory=list)
    latency_ms: float = 0.0
    cached: bool = Field(False, description="The service answered from its answer cache.")
    error: str | None = None
    answerer: str = "extractive"
    grounded: bool = True
    violations: list[str] = Field(default_factory=list)

    rank: int | None = None
    correct: bool | None = None
    short_exact: bool | None = None
    supporting: int = 0
    supporting_on_evidence: int = 0
    failures: list[str] = Field(default_factory=list)


class Metrics(BaseModel):
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float | None = None
    hit_at_3: float | None = None
    hit_at_5: float | None = None
    mrr: float | None = None
    answer_accuracy: float | None = None
    short_exact_match: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    refusal_precision: float | None = None
    refusal_recall: float | None = None
    refusal_f1: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    # The generative answerer's guard: answers it repaired, replaced by the extractive answer, or
    # (never, if it works) delivered with a figure no cited passage states; English answers to
    # English questions.
    guard: GuardSummary = Field(default_factory=GuardSummary)

    @model_validator(mode="before")
    @classmethod
    def _flat_guard(cls, data: Any) -> Any:
        """Reports written before ``guard`` was nested carry its four fields flat: fold them in."""
        if isinstance(data, dict) and "guard" not in data:
            flat = {k: data[k] for k in GuardSummary.model_fields if k in data}
            if flat:
                data = {**{k: v for k, v in data.items() if k not in flat}, "guard": flat}
        return data


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def short_answer_matches(short_answer: str | None, answers: list[str]) -> bool:
    short = fold(short_answer or "").strip()
    if not short:
        return False
    accepted = [fold(a).strip() for a in answers]
    if len(accepted) > 1:
        return all(a in short for a in accepted)
    return short in accepted or strip_qualifiers(short) in {strip_qualifiers(a) for a in accepted}


def evidence_rank(result: QuestionResult, depth: int = max(HIT_DEPTHS)) -> int | None:
    for rank, passage in enumerate(result.retrieved[:depth], start=1):
        if result.evidence and result.evidence in passage.text:
            return rank
    return None


def covers_evidence(quote: CitedQuote, result: QuestionResult) -> bool:
    return quote.doc_id == result.doc_id and any(
        quote.start < end and start < quote.end for start, end in result.evidence_spans
    )


def judge(result: QuestionResult) -> QuestionResult:
    """Fill in rank, correctness, citation counts and the list of failure reasons."""
    r = result.model_copy(deep=True)
    r.failures = [f"error: {r.error}"] if r.error else []
    if not r.answerable:
        if r.found:
            r.failures.append("refusal: answered a question the report does not answer")
        return r
    r.rank = evidence_rank(r)
    if r.rank is None:
        r.failures.append(f"retrieval: evidence not in the top {max(HIT_DEPTHS)} passages")
    answer = fold(r.answer)
    missing = [a for a in r.answers if fold(a) not in answer]
    r.correct = r.found and not missing
    if not r.found:
        r.failures.append("answer: refused an answerable question")
    elif missing:
        r.failures.append("answer: lacks " + ", ".join(missing))
    if r.type in SHORT_ANSWER_TYPES:
        r.short_exact = short_answer_matches(r.short_answer, r.answers)
        if r.found and not r.short_exact:
            r.failures.append(f"short answer: {r.short_answer!r} is not one of the accepted answers")
    supporting = [c for c in r.citations if c.supporting]
    r.supporting = len(supporting)
    r.supporting_on_evidence = sum(covers_evidence(c, r) for c in supporting)
    if r.found and r.supporting_on_evidence == 0:
        r.failures.append("citation: no supporting quote covers the evidence")
    elif r.supporting_on_evidence < r.supporting:
        r.failures.append(
            f"citation: {r.supporting - r.supporting_on_evidence} supporting quote(s) miss the evidence"
        )
    return r


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def summarize(results: list[QuestionResult]) -> Metrics:
    """Metrics over judged results (any subset: one mode, one language, one type)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    m = Metrics(questions=len(results), answerable=len(answerable), unanswerable=len(unanswerable))
    if answerable:
        m.hit_at_1, m.hit_at_3, m.hit_at_5 = (
            _share(r.rank is not None and r.rank <= k for r in answerable) for k in HIT_DEPTHS
        )
        m.mrr = sum(1 / r.rank for r in answerable if r.rank) / len(answerable)
        m.answer_accuracy = _share(bool(r.correct) for r in answerable)
        m.short_exact_match = _share(bool(r.short_exact) for r in answerable if r.type in SHORT_ANSWER_TYPES)
        m.citation_precision = _ratio(
            sum(r.supporting_on_evidence for r in answerable), sum(r.supporting for r in answerable)
        )
        m.citation_recall = _share(r.supporting_on_evidence > 0 for r in answerable)
    if unanswerable:  # without unanswerable questions a refusal can only be wrong: no P/R/F1
        refused_unanswerable = sum(not r.found for r in unanswerable)
        m.refusal_precision = _ratio(refused_unanswerable, sum(not r.found for r in results))
        m.refusal_recall = refused_unanswerable / len(unanswerable)
        p, rc = m.refusal_precision or 0.0, m.refusal_recall
        m.refusal_f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    m.guard = GuardSummary.of(
        Outcome(r.answerer, r.violations, r.grounded, r.found, r.answer, r.language == "en") for r in results
    )
    answered = [r.latency_ms for r in results if r.error is None and not r.cached]
    if answered:
        latencies = np.array(answered)
        m.latency_p50_ms = float(np.percentile(latencies, 50))
        m.latency_p95_ms = float(np.percentile(latencies, 95))
    return m


def group_by(results: list[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, Metrics]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {name: summarize(rs) for name, rs in sorted(groups.items())}
