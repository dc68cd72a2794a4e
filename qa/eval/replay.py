"""Replaying answer decisions offline, for calibrating the answer policy (``qa.eval.calibrate``).

A question is asked once; each candidate sentence's score components and missing-term rules
are kept as a ``Row``, so the choice the pipeline would make under another policy (weights,
veto rules, bars) is recomputed without asking again. ``score`` is
``qa.answer.evidence.weighted_score``, the answerer's own formula, and ``outcome`` mirrors the checks of
``qa.answer.checks``; a sentence "holds" the answer when every gold answer (gold set) or any
reference (external sets) is in its text after NFKC folding, white space removed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from qa.answer.evidence import weighted_score
from qa.answer.policy import Policy
from qa.answer.question import Asked

WRONG = 0.0
GOLD_WEIGHT = 3.0  # the bundled report's gold set weighs as much as the three external sets together


@dataclass
class Row:
    dense: float
    soft: float
    focus: float
    kind_ok: bool
    rank: int
    publication: bool
    code: bool
    missing: frozenset[str]
    holds: bool


@dataclass
class Case:
    source: str
    language: str
    figure: bool
    open: bool
    answerable: bool
    rows: list[Row] = field(default_factory=list)


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def collect(pipeline: Any, items: list[tuple[str, bool, list[str], bool]], source: str) -> list[Case]:
    """(question, answerable, answers, all_required) → cases with every candidate's components."""
    cases = []
    for question, answerable, answers, all_required in items:
        plan = pipeline.analyse(question)
        retrieval = pipeline.retrieve(plan, 5)
        candidates = pipeline.evidence(plan, retrieval, 5)
        q = plan.question
        case = Case(
            source,
            q.language.value,
            q.asked in (Asked.QUANTITY, Asked.PERCENT),
            q.asked is Asked.OPEN,
            answerable,
        )
        wanted = [fold(a) for a in answers]
        for c in candidates:
            text = fold(c.sentence.text)
            hit = all(a in text for a in wanted) if all_required else any(a in text for a in wanted)
            case.rows.append(
                Row(
                    c.dense,
                    c.soft,
                    c.focus,
                    c.kind_ok,
                    c.chunk_rank,
                    c.publication,
                    c.code_match,
                    frozenset(c.missing_by_rule),
                    bool(wanted) and hit,
                )
            )
        cases.append(case)
    return cases


def score(row: Row, case: Case, p: Policy) -> float:
    return weighted_score(
        p,
        dense=row.dense,
        soft=row.soft,
        focus=row.focus,
        kind_ok=row.kind_ok,
        open_question=case.open,
        rank=row.rank,
        publication=row.publication,
        code_match=row.code,
        missing=bool(row.missing),
    )


def best_supported(case: Case, p: Policy) -> list[tuple[float, Row]]:
    """(score, row) of candidates that pass the vetoes, best first (the bar is applied later)."""
    veto = set(p.veto_rules)
    scored = [(score(r, case, p), r) for r in case.rows if r.kind_ok and not (r.missing & veto)]
    return sorted(scored, key=lambda sr: -sr[0])


def outcome(case: Case, p: Policy, bar: float, dense_bar: float | None = None) -> str:
    """ "right", "wrong", "refused" (answerable) or "refused", "answered" (unanswerable)."""
    dense_bar = p.subject_bar(case.language) if dense_bar is None else dense_bar
    if max((r.dense for r in case.rows), default=0.0) < dense_bar:
        top = None  # no sentence of the corpus is close: the subject is absent
    else:
        top = next(((s, r) for s, r in best_supported(case, p) if s >= bar), None)
    if not case.answerable:
        return "answered" if top else "refused"
    if top is None:
        return "refused"
    return "right" if top[1].holds else "wrong"


UTILITY = {
    ("right", True): 1.0,
    ("wrong", True): WRONG,
    ("refused", True): 0.0,
    ("refused", False): 1.0,
    ("answered", False): -1.0,
}


def report(cases: list[Case], p: Policy) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for source in sorted({c.source for c in cases}):
        for lang in sorted({c.language for c in cases if c.source == source}):
            group = [c for c in cases if c.source == source and c.language == lang]
            res = [(outcome(c, p, p.support_bar(c.language, c.figure)), c.answerable) for c in group]
            answerable = [o for o, a in res if a]
            unanswerable = [o for o, a in res if not a]
            out[f"{source}/{lang}"] = {
                "n": len(group),
                "right": round(answerable.count("right") / max(1, len(answerable)), 3),
                "false_refusal": round(answerable.count("refused") / max(1, len(answerable)), 3),
                "refused_unanswerable": round(unanswerable.count("refused") / len(unanswerable), 3)
                if unanswerable
                else float("nan"),
            }
    return out


def dataset_sizes(cases: list[Case]) -> dict[str, float]:
    """Each question's weight divisor: its data set's size (the gold set's divided by GOLD_WEIGHT)."""
    sizes = {s: float(sum(1 for c in cases if c.source == s)) for s in {c.source for c in cases}}
    if "gold" in sizes:
        sizes["gold"] /= GOLD_WEIGHT
    return sizes


def utility(cases: list[Case], p: Policy) -> float:
    sizes = dataset_sizes(cases)
    return sum(
        UTILITY[(outcome(c, p, p.support_bar(c.language, c.figure)), c.answerable)] / sizes[c.source]
        for c in cases
    )
