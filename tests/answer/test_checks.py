"""Support checks: each names itself, passes or fails, and says why."""

from __future__ import annotations

from qa.answer.checks import Check, any_passes, first_failure, run_checks
from qa.answer.evidence import Candidate
from qa.answer.policy import DEFAULT_POLICY, SUPPORT_CHECKS
from qa.answer.question import analyze
from qa.schemas import Sentence
from qa.text.values import find_values

TEXT = "两地直联带宽达到9540GB。"
VETO = DEFAULT_POLICY.veto_rules


def candidate(score: float, missing: list[str] | None = None, kind_ok: bool = True) -> Candidate:
    sentence = Sentence(
        sentence_id="d:s0", chunk_id="d:c0", doc_id="d", section="s", start=0, end=len(TEXT), text=TEXT
    )
    cand = Candidate(0, sentence, dense=score, chunk_rank=0, score=score, kind_ok=kind_ok)
    cand.missing = missing or []
    cand.missing_by_rule = {"code": cand.missing} if missing else {}
    cand.values = find_values(TEXT)
    return cand


def test_all_pass():
    q = analyze("两地直联带宽达到多少?")
    checks = run_checks(q, candidate(0.9), bar=0.68, veto_rules=VETO)
    assert [c.name for c in checks] == ["terms", "kind", "support"]
    assert all(c.passed for c in checks) and first_failure(checks) is None
    assert "9540GB" in checks[1].detail


def test_missing_term_is_the_reason():
    q = analyze("重庆有多少个6G基站?")
    failed = first_failure(run_checks(q, candidate(0.9, missing=["6G"]), bar=0.68, veto_rules=VETO))
    assert failed is not None and failed.name == "terms" and "6G" in failed.detail


def test_low_score_names_score_and_bar():
    q = analyze("两地直联带宽达到多少?")
    failed = first_failure(run_checks(q, candidate(0.5), bar=0.68, veto_rules=VETO))
    assert failed is not None and failed.name == "support"
    assert failed.detail == "score 0.500 < 0.68"


def test_wrong_kind():
    q = analyze("两地直联是哪一年开通的?")
    failed = first_failure(run_checks(q, candidate(0.9, kind_ok=False), bar=0.64, veto_rules=VETO))
    assert failed is not None and failed.name == "kind" and "date" in failed.detail


def test_a_rule_outside_the_veto_only_reports():
    q = analyze("重庆有多少个6G基站?")
    checks = run_checks(q, candidate(0.9, missing=["6G"]), bar=0.68, veto_rules=("entity",))
    assert checks[0].passed and "6G" in checks[0].detail


def _checked(*verdicts: tuple[str, bool]) -> Candidate:
    cand = candidate(0.9)
    cand.checks = [Check(name=name, passed=passed, detail="") for name, passed in verdicts]
    return cand


def test_a_gate_of_every_check_passes_only_where_the_extractive_answerer_answers():
    """The extractive answerer answers from a candidate whose checks all pass (``supported``)."""
    passing = _checked(("subject", True), ("terms", True), ("kind", True), ("support", True))
    no_figure = _checked(("subject", True), ("terms", True), ("kind", False), ("support", True))
    weak = _checked(("subject", True), ("terms", True), ("kind", True), ("support", False))
    for candidates in ([no_figure, weak], [no_figure, passing], [], [weak]):
        expected = any(c.supported for c in candidates)
        assert any_passes(candidates, SUPPORT_CHECKS) is expected


def test_a_gate_of_fewer_checks_ignores_the_others():
    no_figure = _checked(("subject", True), ("terms", True), ("kind", False), ("support", False))
    absent = _checked(("subject", False), ("terms", True), ("kind", True), ("support", True))
    assert any_passes([no_figure], ("subject", "terms"))
    assert not any_passes([no_figure], ("subject", "terms", "kind"))
    assert not any_passes([absent], ("subject", "terms"))


def test_the_policy_names_every_check_a_candidate_gets():
    q = analyze("两地直联带宽达到多少?")
    names = ["subject"] + [c.name for c in run_checks(q, candidate(0.9), bar=0.68, veto_rules=VETO)]
    assert sorted(names) == sorted(SUPPORT_CHECKS) == sorted(DEFAULT_POLICY.generative_refusals)
