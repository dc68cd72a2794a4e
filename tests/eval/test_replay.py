"""Replaying answer decisions offline (the calibration's model of the pipeline's choice)."""

from __future__ import annotations

from qa.answer.policy import DEFAULT_POLICY
from qa.eval.replay import Case, Row, outcome, report


def row(dense: float, holds: bool, missing: frozenset[str] = frozenset(), kind_ok: bool = True) -> Row:
    return Row(dense, 0.0, 1.0, kind_ok, 0, False, False, missing, holds)


def case(rows: list[Row], answerable: bool = True, source: str = "x") -> Case:
    return Case(source, "zh", False, False, answerable, rows)


POLICY = DEFAULT_POLICY.model_copy(
    update={
        "veto_rules": ("code",),
        "min_dense": {"zh": 0.3, "en": 0.3},
        "min_support": {"zh": 0.5, "en": 0.5},
    }
)


def test_the_best_supported_sentence_answers():
    assert outcome(case([row(0.9, True), row(0.8, False)]), POLICY, 0.5) == "right"
    assert outcome(case([row(0.9, False), row(0.8, True)]), POLICY, 0.5) == "wrong"


def test_a_vetoed_rule_skips_the_sentence_and_another_only_lowers_it():
    vetoed = row(0.9, True, frozenset({"code"}))
    assert outcome(case([vetoed, row(0.6, False)]), POLICY, 0.5) == "wrong"
    penalised = row(0.9, True, frozenset({"rare"}))  # 0.9 + focus 0.15 + rank 0.05 + kind 0.1 - 0.3
    assert outcome(case([penalised]), POLICY, 0.5) == "right"


def test_an_absent_subject_is_refused_whatever_the_bar():
    far = case([row(0.25, False)], answerable=False)
    assert outcome(far, POLICY, 0.0) == "refused"
    assert outcome(case([row(0.25, True)]), POLICY, 0.0) == "refused"


def test_report_rates():
    cases = [case([row(0.9, True)]), case([row(0.9, False)]), case([row(0.2, False)], answerable=False)]
    figures = report(cases, POLICY)["x/zh"]
    assert (
        figures["right"] == 0.5 and figures["false_refusal"] == 0.0 and figures["refused_unanswerable"] == 1.0
    )
