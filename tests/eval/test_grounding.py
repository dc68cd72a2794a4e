"""The guard's counts over a run and the English-answer test of the generative target."""

from __future__ import annotations

import pytest

from qa.eval.grounding import GuardSummary, Outcome, is_english, strip_quoted


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("The direct-link bandwidth is 9540GB [1].", True),
        ("The champion was “丹佛野马队” [2].", True),  # a quoted Chinese term in an English sentence
        ("两地直联带宽达到9540GB[1]。", False),
        ("9540GB [1]", False),  # no sentence at all
        ("带宽 is 9540GB", False),
        # an extractive fallback: an English sentence around a quote that holds quotes of its own
        ("The source says: “电信业务收入“十四五”期间年均增长7.6%” [1]", True),
        ("The source says: “提前两年实现行政村“村村通5G、村村通千兆”” [1]", True),
        ("The source says: “推动超4000座“通信塔”为“数字塔”” [1]", True),
    ],
)
def test_is_english(text: str, english: bool):
    assert is_english(text) is english


def test_guard_counts_repairs_fallbacks_and_ungrounded_answers():
    rows = [
        Outcome("generative", [], True, True, "It is 9540GB [1].", True),
        Outcome(
            "generative", ['figure "9450GB" is not in passage [1]'], True, True, "It is 9540GB [1].", True
        ),
        Outcome("extractive", ["short answer …"], True, True, "9540GB。原文:…", True),
        Outcome("generative", [], False, True, "中文回答[1]。", False),
        Outcome("generative", [], True, False, "", True),  # a refusal: no language to judge
    ]
    summary = GuardSummary.of(rows)
    assert (summary.repaired, summary.fell_back, summary.ungrounded) == (1, 1, 1)
    assert summary.english_answers == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("says “a” and “b” too", "says   and   too"),
        ("says “a “b” c” too", "says   too"),  # nested: the outer pair is the quote
        ('says “a 「b」 『c』 "d"” too', "says   too"),
        ('says "a “b” c" too', "says   too"),  # ASCII quotes open and close with the same mark
        ("「a『b』c」d", " d"),
        ("no quotes at all", "no quotes at all"),
        ("", ""),
    ],
)
def test_strip_quoted_removes_whole_quotations(text: str, left: str):
    assert strip_quoted(text) == left


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("says “a", "says “a"),  # never closed: quotes nothing
        ("says a” b", "says a” b"),  # never opened
        ("says “a “b” c", "says “a   c"),  # the outer mark never closes; the inner pair does
        ("x “走出去“引进来” y", "x “走出去  y"),  # the report's own unbalanced pair
        ("says “a 「b” c", "says   c"),  # a 「 never closed inside a closed pair
        ('odd " count " of " marks', 'odd   of " marks'),
    ],
)
def test_strip_quoted_survives_unbalanced_marks(text: str, left: str):
    assert strip_quoted(text) == left
