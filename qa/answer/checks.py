"""Support checks: named, pure pass/fail verdicts on one candidate sentence.

A candidate answers only when every check passes. Each check says why in its ``detail``,
so a refusal can name its reason (``refusal_reason``) and ``"debug": true`` can show the
breakdown for the chosen sentence and the runner-up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pydantic import BaseModel

from qa.answer.evidence import Candidate
from qa.answer.question import Asked, Question


class Check(BaseModel):
    name: str
    passed: bool
    detail: str


def check_terms(question: Question, cand: Candidate, veto_rules: tuple[str, ...] = ()) -> Check:
    """Everything specific the question names (codes, years, places, rare words) is in the evidence.

    Only the rules in ``veto_rules`` refuse; a term missing by another rule lowers the
    score (``Policy.penalty_missing``) and is reported here without failing."""
    vetoed = cand.vetoed(veto_rules)
    if vetoed:
        return Check(name="terms", passed=False, detail="missing: " + ", ".join(vetoed))
    if cand.missing:
        return Check(name="terms", passed=True, detail="lacks (not required): " + ", ".join(cand.missing))
    return Check(name="terms", passed=True, detail="every required term is present")


def check_kind(question: Question, cand: Candidate) -> Check:
    """The sentence holds the kind of answer asked for (a figure, a date, a person, a place, a list)."""
    if question.asked is Asked.OPEN:
        return Check(name="kind", passed=True, detail="open question: any statement")
    found = ", ".join(v.text for v in cand.values[:3]) if cand.values else ""
    detail = f"asked {question.asked.value}" + (f"; found {found}" if found else "")
    if not cand.kind_ok:
        detail = f"asked {question.asked.value}; none in the evidence"
    return Check(name="kind", passed=cand.kind_ok, detail=detail)


def check_support(question: Question, cand: Candidate, bar: float) -> Check:
    """The sentence's score reaches the policy's bar for this language and kind of question."""
    verdict = ">=" if cand.score >= bar else "<"
    return Check(
        name="support", passed=cand.score >= bar, detail=f"score {cand.score:.3f} {verdict} {bar:.2f}"
    )


def check_subject(question: Question, closest: float, bar: float) -> Check:
    """The corpus says anything close to the question: its closest sentence reaches the bar.

    A question about a subject the corpus never mentions is refused here, whatever its
    words match; the other checks judge one sentence, this one the whole corpus."""
    verdict = ">=" if closest >= bar else "<"
    detail = f"closest sentence {closest:.3f} {verdict} {bar:.2f}"
    return Check(name="subject", passed=closest >= bar, detail=detail)


def run_checks(question: Question, cand: Candidate, bar: float, veto_rules: tuple[str, ...]) -> list[Check]:
    return [
        check_terms(question, cand, veto_rules),
        check_kind(question, cand),
        check_support(question, cand, bar),
    ]


def any_passes(candidates: Iterable[Candidate], names: Collection[str]) -> bool:
    """Whether some candidate passes every check named in ``names`` (a gate of the generative
    answerer, ``Policy.generative_refusals``). With every check named, exactly when the extractive
    answerer answers rather than refuses: it answers from a candidate whose checks all pass."""
    return any(all(c.passed for c in cand.checks if c.name in names) for cand in candidates)


def first_failure(checks: list[Check]) -> Check | None:
    return next((c for c in checks if not c.passed), None)
