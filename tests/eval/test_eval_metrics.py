"""Metric definitions on hand-made results (pure logic: no model, no index)."""

from __future__ import annotations

import pytest

from qa.eval.grounding import GuardSummary
from qa.eval.metrics import (
    CitedQuote,
    Metrics,
    Passage,
    QuestionResult,
    group_by,
    judge,
    short_answer_matches,
    summarize,
)

EVIDENCE = "两地直联带宽达到9540GB"
EV_START = 1000  # where the evidence sits in the (imaginary) document
DOC = "doc"


def passage(text: str, n: int = 0) -> Passage:
    return Passage(chunk_id=f"c{n}", doc_id=DOC, start=0, end=len(text), text=text)


def quote(start: int, end: int, supporting: bool = True, doc_id: str = DOC) -> CitedQuote:
    return CitedQuote(
        n=1, doc_id=doc_id, start=start, end=end, quote="x" * (end - start), supporting=supporting
    )


def answerable(**kw) -> QuestionResult:
    base = dict(
        id="q",
        mode="hybrid",
        question="带宽?",
        language="zh",
        type="number",
        answerable=True,
        answers=["9540GB"],
        evidence=EVIDENCE,
        doc_id=DOC,
        evidence_spans=[(EV_START, EV_START + len(EVIDENCE))],
        retrieved=[passage("无关"), passage("……" + EVIDENCE + "……", 1)],
        answer="9540GB。报告原文:“两地直联带宽达到9540GB”[1]",
        short_answer="9540GB",
        found=True,
        citations=[quote(EV_START, EV_START + len(EVIDENCE))],
        latency_ms=100.0,
    )
    base.update(kw)
    return judge(QuestionResult(**base))


def unanswerable(found: bool, **kw) -> QuestionResult:
    base = dict(
        id="u",
        mode="hybrid",
        question="6G基站?",
        language="zh",
        type="unanswerable",
        answerable=False,
        answers=[],
        evidence="",
        doc_id=DOC,
        answer="报告中没有提到" if not found else "有100个[1]",
        found=found,
        citations=[quote(0, 5, supporting=found)],
        latency_ms=50.0,
    )
    base.update(kw)
    return judge(QuestionResult(**base))


def test_a_fully_correct_answer_has_no_failures():
    r = answerable()
    assert r.rank == 2
    assert r.correct is True and r.short_exact is True
    assert (r.supporting, r.supporting_on_evidence) == (1, 1)
    assert r.failures == []


def test_rank_is_the_first_passage_holding_the_evidence_within_five():
    assert answerable(retrieved=[passage(EVIDENCE)]).rank == 1
    deep = [passage(f"p{i}", i) for i in range(5)] + [passage(EVIDENCE, 9)]
    r = answerable(retrieved=deep)
    assert r.rank is None
    assert any(f.startswith("retrieval:") for f in r.failures)
    # The evidence split across two passages is not a hit.
    assert answerable(retrieved=[passage(EVIDENCE[:5]), passage(EVIDENCE[5:])]).rank is None


def test_answer_accuracy_folds_width_and_needs_every_value():
    assert answerable(answer="9540GB[1]").correct  # full-width letters fold to ASCII
    r = answerable(answers=["9540GB", "23个"])
    assert r.correct is False and "answer: lacks 23个" in r.failures
    refused = answerable(found=False, citations=[], short_answer=None)
    assert refused.correct is False and "answer: refused an answerable question" in refused.failures


@pytest.mark.parametrize(
    ("short", "answers", "ok"),
    [
        ("9540GB", ["9540GB"], True),
        (" 9540GB ", ["9540GB"], True),
        ("超9540GB", ["9540GB"], True),  # the qualifier the source writes is kept, not counted
        ("19540GB", ["9540GB"], False),
        (None, ["9540GB"], False),
        ("从1775万户增长至5777万户", ["1775万户", "5777万户"], True),
        ("5777万户", ["1775万户", "5777万户"], False),
    ],
)
def test_short_answer_exact_match(short, answers, ok):
    assert short_answer_matches(short, answers) is ok


def test_short_answer_is_only_judged_for_numbers_and_dates():
    assert answerable(type="fact", short_answer=None).short_exact is None
    assert (
        answerable(type="date", short_answer="2025-12-02 18:06", answers=["2025-12-02"]).short_exact is False
    )


def test_citation_covers_evidence_by_offset_overlap_in_the_same_document():
    inside = quote(EV_START + 2, EV_START + 6)
    touching_end = quote(EV_START + len(EVIDENCE) - 1, EV_START + len(EVIDENCE) + 20)
    just_after = quote(EV_START + len(EVIDENCE), EV_START + len(EVIDENCE) + 20)
    other_doc = quote(EV_START, EV_START + 5, doc_id="other")
    r = answerable(citations=[inside, touching_end, just_after, other_doc])
    assert (r.supporting, r.supporting_on_evidence) == (4, 2)
    assert "citation: 2 supporting quote(s) miss the evidence" in r.failures
    missed = answerable(citations=[just_after])
    assert "citation: no supporting quote covers the evidence" in missed.failures


def test_summary_over_a_small_mixed_set():
    results = [
        answerable(id="a1", retrieved=[passage(EVIDENCE)], latency_ms=100),  # rank 1, all right
        answerable(id="a2", latency_ms=200),  # rank 2, all right
        answerable(  # rank 4, wrong value, one good and one stray citation
            id="a3",
            retrieved=[passage("x", i) for i in range(3)] + [passage(EVIDENCE, 3)],
            answer="100GB",
            short_answer="100GB",
            citations=[quote(EV_START, EV_START + 3), quote(0, 3)],
            latency_ms=300,
        ),
        answerable(id="a4", found=False, citations=[], short_answer=None, retrieved=[], latency_ms=400),
        unanswerable(False, id="u1", latency_ms=500),
        unanswerable(True, id="u2", latency_ms=600),
    ]
    m = summarize(results)
    assert (m.questions, m.answerable, m.unanswerable) == (6, 4, 2)
    assert m.hit_at_1 == pytest.approx(1 / 4)
    assert m.hit_at_3 == pytest.approx(2 / 4)
    assert m.hit_at_5 == pytest.approx(3 / 4)
    assert m.mrr == pytest.approx((1 + 1 / 2 + 1 / 4 + 0) / 4)
    assert m.answer_accuracy == pytest.approx(2 / 4)
    assert m.short_exact_match == pytest.approx(2 / 4)
    # supporting citations of answerable questions: a1 1/1, a2 1/1, a3 1/2, a4 none.
    assert m.citation_precision == pytest.approx(3 / 4)
    assert m.citation_recall == pytest.approx(3 / 4)
    # refusals: a4 (wrong) and u1 (right); unanswerables: u1 (refused) and u2 (answered).
    assert m.refusal_precision == pytest.approx(1 / 2)
    assert m.refusal_recall == pytest.approx(1 / 2)
    assert m.refusal_f1 == pytest.approx(1 / 2)
    assert m.latency_p50_ms == pytest.approx(350)
    assert m.latency_p95_ms == pytest.approx(575)


def test_empty_denominators_are_none_not_zero():
    only_answerable = summarize([answerable()])
    assert only_answerable.refusal_precision is None  # nothing was refused
    assert only_answerable.refusal_recall is None and only_answerable.refusal_f1 is None
    only_unanswerable = summarize([unanswerable(True)])
    assert only_unanswerable.hit_at_5 is None and only_unanswerable.answer_accuracy is None
    assert only_unanswerable.refusal_recall == 0.0 and only_unanswerable.refusal_f1 == 0.0
    assert summarize([]).latency_p50_ms is None


def test_group_by_language():
    groups = group_by([answerable(), answerable(language="en"), unanswerable(False)], lambda r: r.language)
    assert list(groups) == ["en", "zh"]
    assert groups["zh"].questions == 2 and groups["en"].questions == 1


def test_an_error_is_a_failure_and_a_miss():
    r = answerable(error="/ask answered 422: question too long", found=False, answer="", citations=[])
    assert r.failures[0] == "error: /ask answered 422: question too long"
    assert r.correct is False


def test_answering_an_unanswerable_question_is_a_failure():
    assert unanswerable(True).failures == ["refusal: answered a question the report does not answer"]
    assert unanswerable(False).failures == []


def test_the_guard_summary_is_one_nested_part_of_the_metrics():
    results = [
        answerable(id="g1", answerer="generative", language="en", answer="It is 9540GB [1]."),
        answerable(id="g2", answerer="generative", violations=["figure changed"], language="en"),
        answerable(id="g3", answerer="extractive", violations=["after repair: figure changed"]),
    ]
    m = summarize(results)
    assert m.guard == GuardSummary(repaired=1, fell_back=1, ungrounded=0, english_answers=0.5)
    assert m.model_dump()["guard"]["fell_back"] == 1


def test_a_report_with_the_guard_fields_flat_still_reads():
    """Reports written before the guard was nested (reports/eval-generative.json of 2026-11-30)."""
    old = {
        "questions": 2,
        "answerable": 2,
        "unanswerable": 0,
        "repaired": 20,
        "fell_back": 117,
        "ungrounded": 0,
        "english_answers": 0.58,
    }
    m = Metrics.model_validate(old)
    assert m.guard == GuardSummary(repaired=20, fell_back=117, ungrounded=0, english_answers=0.58)
    assert Metrics.model_validate_json(m.model_dump_json()) == m
